"""sLSTM cell (paper eqs. 8-17), step-by-step with head-wise recurrent weights.

wx: (B, T, 4, H, Dh) input contributions to the gates in the order (i, f, z, o);
r: (4, H, Dh, Dh): gate g of head h receives h_{t-1}[b, h, :] @ r[g, h]; b: (4, H, Dh).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from xlstm_ts.ops.state import SLSTMState


def slstm_zero_state(wx: torch.Tensor) -> SLSTMState:
    """Empty state for gate inputs wx (B, [T,] 4, H, Dh): zeros and m = -inf."""
    B, H, Dh = wx.shape[0], wx.shape[-2], wx.shape[-1]
    zeros = wx.new_zeros(B, H, Dh)
    return SLSTMState(zeros, zeros, zeros, wx.new_full((B, H, Dh), float("-inf")))


def slstm_step_torch(
    wx_t: torch.Tensor,
    r: torch.Tensor,
    b: torch.Tensor,
    state: SLSTMState | tuple[torch.Tensor, ...] | None = None,
) -> tuple[torch.Tensor, SLSTMState]:
    """One sLSTM step. wx_t: (B, 4, H, Dh). Returns h (B, H, Dh) and the new state."""
    h, c, n, m = state if state is not None else slstm_zero_state(wx_t)
    gates = wx_t + torch.einsum("bhd,ghde->bghe", h, r) + b  # (B, 4, H, Dh)
    i_pre, f_pre, z_pre, o_pre = gates.unbind(1)
    log_f = F.logsigmoid(f_pre)
    m_new = torch.maximum(log_f + m, i_pre)
    i_gate = torch.exp(i_pre - m_new)
    f_gate = torch.exp(log_f + m - m_new)
    c = f_gate * c + i_gate * torch.tanh(z_pre)
    n = f_gate * n + i_gate
    h = torch.sigmoid(o_pre) * c / n
    return h, SLSTMState(h, c, n, m_new)


def slstm_recurrent_torch(
    wx: torch.Tensor,
    r: torch.Tensor,
    b: torch.Tensor,
    initial_state: SLSTMState | None = None,
) -> tuple[torch.Tensor, SLSTMState]:
    """sLSTM over a sequence. Returns h (B, T, H, Dh) and the final state."""
    state = initial_state if initial_state is not None else slstm_zero_state(wx)
    outputs = []
    # unbind once: indexing wx[:, t] would make autograd write a full-size zero gradient per step
    for wx_t in wx.unbind(1):
        h, state = slstm_step_torch(wx_t, r, b, state)
        outputs.append(h)
    return torch.stack(outputs, dim=1), state
