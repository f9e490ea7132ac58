"""mLSTM cell, chunkwise-parallel form: linear in T, quadratic only inside a chunk.

The sequence is cut into chunks of `chunk_size` steps. Inside a chunk the stabilized parallel
form is used; across chunks the (C, n, m) memory is carried by a short recurrence over chunks,
which is the only sequential part. Any T works: the tail chunk is padded internally with steps
that leave the memory untouched (log f = 0, i = -inf); the caller's tensors are never padded.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from xlstm_ts.ops.state import MLSTMState
from xlstm_ts.ops.reference.mlstm_recurrent import mlstm_zero_state


def _chunk_states(
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    log_f_in_chunk: torch.Tensor,
    initial_state: MLSTMState,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, MLSTMState]:
    """Memory entering every chunk, and the memory after the last one.

    Args:
        k: (B, H, NC, L, Dqk) already scaled keys. v: (B, H, NC, L, Dv).
        i: (B, H, NC, L). log_f_in_chunk: (B, H, NC, L) cumulative log forget gate within a chunk.
    Returns:
        C_in (B, H, NC, Dqk, Dv), n_in (B, H, NC, Dqk), m_in (B, H, NC), final state.
    """
    chunk_decay = log_f_in_chunk[..., -1]  # (B, H, NC) total log decay over a chunk
    log_w = chunk_decay[..., None] - log_f_in_chunk + i  # (B, H, NC, L) weight at the chunk end
    m_local = log_w.amax(-1)  # (B, H, NC)
    kw = k * torch.exp(log_w - m_local[..., None])[..., None]
    C_local = kw.transpose(-1, -2) @ v  # (B, H, NC, Dqk, Dv)
    n_local = kw.sum(-2)  # (B, H, NC, Dqk)

    C, n, m = initial_state
    C_in, n_in, m_in = [], [], []
    for c in range(k.shape[2]):
        C_in.append(C)
        n_in.append(n)
        m_in.append(m)
        m_next = torch.maximum(chunk_decay[..., c] + m, m_local[..., c])
        keep = torch.exp(chunk_decay[..., c] + m - m_next)
        add = torch.exp(m_local[..., c] - m_next)
        C = keep[..., None, None] * C + add[..., None, None] * C_local[:, :, c]
        n = keep[..., None] * n + add[..., None] * n_local[:, :, c]
        m = m_next
    return (
        torch.stack(C_in, dim=2),
        torch.stack(n_in, dim=2),
        torch.stack(m_in, dim=2),
        MLSTMState(C, n, m),
    )


def mlstm_chunkwise_torch(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    f: torch.Tensor,
    initial_state: MLSTMState | None = None,
    chunk_size: int = 64,
    eps: float = 1e-6,
) -> tuple[torch.Tensor, MLSTMState]:
    """Chunkwise-parallel mLSTM.

    Args:
        q, k: (B, H, T, Dqk). v: (B, H, T, Dv). i, f: (B, H, T) gate pre-activations.
        initial_state: (C, n, m) to continue from, or None for the empty memory.
        chunk_size: steps per chunk (any T is accepted; it need not divide T).
    Returns:
        h (B, H, T, Dv) and the final state.
    """
    B, H, T, Dqk = q.shape
    Dv = v.shape[-1]
    if initial_state is None:
        initial_state = mlstm_zero_state(q, v)
    L = max(1, min(chunk_size, T))
    NC = -(-T // L)
    pad = NC * L - T
    k = k * (1.0 / math.sqrt(Dqk))
    log_f = F.logsigmoid(f)
    if pad:
        q = F.pad(q, (0, 0, 0, pad))
        k = F.pad(k, (0, 0, 0, pad))
        v = F.pad(v, (0, 0, 0, pad))
        log_f = F.pad(log_f, (0, pad), value=0.0)
        i = F.pad(i, (0, pad), value=float("-inf"))
    q = q.reshape(B, H, NC, L, Dqk)
    k = k.reshape(B, H, NC, L, Dqk)
    v = v.reshape(B, H, NC, L, Dv)
    i = i.reshape(B, H, NC, L)
    b = torch.cumsum(log_f.reshape(B, H, NC, L), dim=-1)  # (B, H, NC, L)

    C_in, n_in, m_in, final_state = _chunk_states(k, v, i, b, initial_state)

    causal = torch.ones(L, L, dtype=torch.bool, device=q.device).tril()
    log_d = (b[..., :, None] - b[..., None, :] + i[..., None, :]).masked_fill(~causal, float("-inf"))
    log_inter = b + m_in[..., None]  # (B, H, NC, L) weight of the memory entering the chunk
    m = torch.maximum(log_d.amax(-1), log_inter)  # (B, H, NC, L)
    scores = (q @ k.transpose(-1, -2)) * torch.exp(log_d - m[..., None])  # (B, H, NC, L, L)
    inter_weight = torch.exp(log_inter - m)
    numerator = scores @ v + inter_weight[..., None] * (q @ C_in)  # (B, H, NC, L, Dv)
    qn = scores.sum(-1) + inter_weight * (q @ n_in[..., None]).squeeze(-1)
    denominator = torch.maximum(qn.abs(), torch.exp(-m)) + eps
    h = (numerator / denominator[..., None]).reshape(B, H, NC * L, Dv)[:, :, :T]
    return h, final_state
