"""mLSTM cell, stabilized quadratic (parallel) form: O(T^2) memory, exact, best for short T."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from xlstm_ts.ops.reference.numerics import masked_decay, normalizer_floor
from xlstm_ts.ops.state import MLSTMState
from xlstm_ts.ops.reference.mlstm_recurrent import mlstm_empty_sequence, mlstm_zero_state


def mlstm_parallel_torch(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    f: torch.Tensor,
    initial_state: MLSTMState | None = None,
    eps: float = 1e-6,
) -> tuple[torch.Tensor, MLSTMState]:
    """Parallel mLSTM over the whole sequence.

    log D[t, s] = sum_{s < r <= t} log f_r + i_s for s <= t; m_t = max_s log D[t, s] (and the decayed
    initial stabilizer); h_t = sum_s exp(log D[t,s] - m_t) (q_t . k_s / sqrt(Dqk)) v_s / normalizer.

    Args:
        q, k: (B, H, T, Dqk). v: (B, H, T, Dv). i, f: (B, H, T).
    Returns:
        h (B, H, T, Dv) and the final state.
    """
    T, Dqk = q.shape[2], q.shape[-1]
    if T == 0:  # the row maxima below would reduce over nothing
        return mlstm_empty_sequence(q, k, v, i, f, initial_state)
    C0, n0, m0 = initial_state if initial_state is not None else mlstm_zero_state(q, v)
    k = k * (1.0 / math.sqrt(Dqk))
    log_f_cum = torch.cumsum(F.logsigmoid(f), dim=-1)  # (B, H, T)
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    log_d = log_f_cum[..., :, None] - log_f_cum[..., None, :] + i[..., None, :]  # (B, H, T, T)
    log_d = log_d.masked_fill(~causal, float("-inf"))
    log_init = log_f_cum + m0[..., None]  # (B, H, T) weight of the initial memory
    m = torch.maximum(log_d.amax(-1), log_init)  # (B, H, T)
    decay = masked_decay(log_d - m[..., None], ~causal)
    init_weight = torch.exp(log_init - m)  # (B, H, T)
    scores = (q @ k.transpose(-1, -2)) * decay  # (B, H, T, T)
    numerator = scores @ v + init_weight[..., None] * (q @ C0)
    qn = scores.sum(-1) + init_weight * (q @ n0[..., None]).squeeze(-1)
    denominator = torch.maximum(qn.abs(), normalizer_floor(m)) + eps
    h = numerator / denominator[..., None]

    # final state: every token's weight at the last step, plus the decayed initial memory
    m_last = m[..., -1]  # (B, H)
    w_last = torch.exp(log_d[..., -1, :] - m_last[..., None])  # (B, H, T)
    w_init = init_weight[..., -1]
    kw = k * w_last[..., None]
    C = kw.transpose(-1, -2) @ v + w_init[..., None, None] * C0
    n = kw.sum(-2) + w_init[..., None] * n0
    return h, MLSTMState(C, n, m_last)
