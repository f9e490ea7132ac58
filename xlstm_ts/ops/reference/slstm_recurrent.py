"""sLSTM cell (paper eqs. 8-17), step-by-step with head-wise recurrent weights.

wx: (B, T, 4, H, Dh) input contributions to the gates in the order (i, f, z, o);
r: (4, H, Dh, Dh): gate g of head h receives h_{t-1}[b, h, :] @ r[g, h]; b: (4, H, Dh).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from xlstm_ts.ops.reference.numerics import graph_anchor
from xlstm_ts.ops.state import SLSTMState


def slstm_zero_state(wx: torch.Tensor) -> SLSTMState:
    """Empty state for gate inputs wx (B, [T,] 4, H, Dh): zeros and m = -inf."""
    B, H, Dh = wx.shape[0], wx.shape[-2], wx.shape[-1]
    zeros = wx.new_zeros(B, H, Dh)
    return SLSTMState(zeros, zeros, zeros, wx.new_full((B, H, Dh), float("-inf")))


def slstm_empty_sequence(
    wx: torch.Tensor,
    r: torch.Tensor,
    b: torch.Tensor,
    initial_state: SLSTMState | tuple[torch.Tensor, ...] | None = None,
) -> tuple[torch.Tensor, SLSTMState]:
    """The sLSTM over an empty sequence (T = 0), the one behaviour of every backend.

    h is (B, 0, H, Dh) and the final state a copy of `initial_state` (writing into it cannot change
    the caller's tensors) or the empty state. Both stay in the autograd graph: wx gets an empty
    gradient, r and b zero ones, and the final state's gradient reaches the initial state unchanged.
    """
    anchor = graph_anchor(wx, r, b)
    state = initial_state if initial_state is not None else slstm_zero_state(wx)
    h = wx.new_zeros(wx.shape[0], 0, wx.shape[-2], wx.shape[-1]) + anchor.to(wx.dtype)
    return h, SLSTMState(*(x + anchor.to(x.dtype) for x in state))


def dense_recurrent_weight(r: torch.Tensor) -> torch.Tensor:
    """The head-wise weights r (4, H, Dh, Dh) as one block-diagonal matrix (H*Dh, 4*H*Dh).

    h_{t-1} flattened to (B, H*Dh) times it gives every gate of every head in one matmul,
    laid out as (B, 4, H, Dh): faster on CPU than a batched product over heads.
    """
    return torch.cat([torch.block_diag(*r[g]) for g in range(r.shape[0])], dim=1)


def _cell_update(gates: torch.Tensor, state: SLSTMState) -> tuple[torch.Tensor, SLSTMState]:
    """The sLSTM update from all gate pre-activations (B, 4, H, Dh) and the previous state."""
    _, c, n, m = state
    i_pre, f_pre, z_pre, o_pre = gates.unbind(1)
    log_f = F.logsigmoid(f_pre)
    m_new = torch.maximum(log_f + m, i_pre)
    i_gate = torch.exp(i_pre - m_new)
    f_gate = torch.exp(log_f + m - m_new)
    c = f_gate * c + i_gate * torch.tanh(z_pre)
    n = f_gate * n + i_gate
    h = torch.sigmoid(o_pre) * c / n
    return h, SLSTMState(h, c, n, m_new)


def slstm_step_torch(
    wx_t: torch.Tensor,
    r: torch.Tensor,
    b: torch.Tensor,
    state: SLSTMState | tuple[torch.Tensor, ...] | None = None,
) -> tuple[torch.Tensor, SLSTMState]:
    """One sLSTM step. wx_t: (B, 4, H, Dh). Returns h (B, H, Dh) and the new state."""
    state = SLSTMState(*state) if state is not None else slstm_zero_state(wx_t)
    gates = wx_t + torch.einsum("bhd,ghde->bghe", state.h, r) + b  # (B, 4, H, Dh)
    return _cell_update(gates, state)


def slstm_recurrent_torch(
    wx: torch.Tensor,
    r: torch.Tensor,
    b: torch.Tensor,
    initial_state: SLSTMState | None = None,
) -> tuple[torch.Tensor, SLSTMState]:
    """sLSTM over a sequence. Returns h (B, T, H, Dh) and the final state."""
    if wx.shape[1] == 0:
        return slstm_empty_sequence(wx, r, b, initial_state)
    state = initial_state if initial_state is not None else slstm_zero_state(wx)
    B, T, G, H, Dh = wx.shape
    recurrent = dense_recurrent_weight(r)  # (H*Dh, 4*H*Dh)
    inputs = wx + b  # bias added once, not per step
    outputs = []
    # unbind once: indexing wx[:, t] would make autograd write a full-size zero gradient per step
    for input_t in inputs.unbind(1):
        gates = input_t + (state.h.reshape(B, H * Dh) @ recurrent).view(B, G, H, Dh)
        h, state = _cell_update(gates, state)
        outputs.append(h)
    return torch.stack(outputs, dim=1), state
