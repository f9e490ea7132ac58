"""mLSTM cell, step-by-step recurrence (the plainest statement of the math).

Shapes follow the ops convention, heads before time:
q, k: (B, H, T, Dqk); v: (B, H, T, Dv); i, f: (B, H, T) gate pre-activations.
State: C (B, H, Dqk, Dv), n (B, H, Dqk), m (B, H).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from xlstm_ts.ops.reference.numerics import graph_anchor, normalizer_floor
from xlstm_ts.ops.state import MLSTMState


def mlstm_zero_state(q: torch.Tensor, v: torch.Tensor) -> MLSTMState:
    """The empty memory for q (B, H, [T,] Dqk) and v (B, H, [T,] Dv).

    m = -inf marks "nothing stored yet": the first token then sets m to its own input gate,
    which is what the parallel form's row-wise maximum gives.
    """
    B, H, Dqk, Dv = q.shape[0], q.shape[1], q.shape[-1], v.shape[-1]
    C = q.new_zeros(B, H, Dqk, Dv)
    n = q.new_zeros(B, H, Dqk)
    m = q.new_full((B, H), float("-inf"))
    return MLSTMState(C, n, m)


def mlstm_empty_sequence(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    f: torch.Tensor,
    initial_state: MLSTMState | tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
) -> tuple[torch.Tensor, MLSTMState]:
    """The mLSTM over an empty sequence (T = 0), the one behaviour of every form and backend.

    Nothing is processed: h is (B, H, 0, Dv) and the final state is the state after no step, a copy
    of `initial_state` (writing into it cannot change the caller's tensors) or the empty memory.
    Both stay in the autograd graph of the inputs: a backward gives q, k, v, i, f (empty) gradients
    and passes the final state's gradient through to the initial state unchanged.
    """
    anchor = graph_anchor(q, k, v, i, f)
    state = initial_state if initial_state is not None else mlstm_zero_state(q, v)
    h = q.new_zeros(q.shape[0], q.shape[1], 0, v.shape[-1]) + anchor.to(q.dtype)
    return h, MLSTMState(*(x + anchor.to(x.dtype) for x in state))


def mlstm_step_torch(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    f: torch.Tensor,
    state: MLSTMState | tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
    eps: float = 1e-6,
) -> tuple[torch.Tensor, MLSTMState]:
    """One mLSTM time step.

    Args:
        q, k: (B, H, Dqk). v: (B, H, Dv). i, f: (B, H) input / forget gate pre-activations.
        state: (C (B, H, Dqk, Dv), n (B, H, Dqk), m (B, H)) or None for the empty memory.

    Returns:
        h (B, H, Dv) and the new state.
    """
    C, n, m = state if state is not None else mlstm_zero_state(q, v)
    k = k * (1.0 / math.sqrt(q.shape[-1]))
    log_f = F.logsigmoid(f)
    m_new = torch.maximum(log_f + m, i)
    f_gate = torch.exp(log_f + m - m_new)  # (B, H)
    i_gate = torch.exp(i - m_new)
    C = f_gate[..., None, None] * C + i_gate[..., None, None] * (k[..., :, None] * v[..., None, :])
    n = f_gate[..., None] * n + i_gate[..., None] * k
    numerator = torch.einsum("bhd,bhde->bhe", q, C)
    qn = (q * n).sum(-1)
    denominator = torch.maximum(qn.abs(), normalizer_floor(m_new)) + eps
    return numerator / denominator[..., None], MLSTMState(C, n, m_new)


def mlstm_recurrent_torch(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    f: torch.Tensor,
    initial_state: MLSTMState | None = None,
    eps: float = 1e-6,
) -> tuple[torch.Tensor, MLSTMState]:
    """The mLSTM as a loop of :func:`mlstm_step_torch` over time. Returns h (B, H, T, Dv), final state."""
    if q.shape[2] == 0:
        return mlstm_empty_sequence(q, k, v, i, f, initial_state)
    state = initial_state
    outputs = []
    # unbind once: indexing per step would make autograd write a full-size zero gradient per step
    for q_t, k_t, v_t, i_t, f_t in zip(*(x.unbind(2) for x in (q, k, v, i, f))):
        h, state = mlstm_step_torch(q_t, k_t, v_t, i_t, f_t, state, eps=eps)
        outputs.append(h)
    if state is None:
        state = mlstm_zero_state(q, v)
    return torch.stack(outputs, dim=2), state
