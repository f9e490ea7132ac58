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

from xlstm_ts.ops.reference.linear_scan import LinearScan
from xlstm_ts.ops.reference.mlstm_chunk_output import ChunkOutput
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
        C_in (B, H, NC, Dqk, Dv), n_in (B, H, NC, Dqk), m_in (B, H, NC), the final state.
    """
    B, H, NC, L, Dqk = k.shape
    Dv = v.shape[-1]
    chunk_decay = log_f_in_chunk[..., -1]  # (B, H, NC) total log decay over a chunk
    log_w = chunk_decay[..., None] - log_f_in_chunk + i  # (B, H, NC, L) weight at the chunk end
    m_local = log_w.amax(-1)  # (B, H, NC)
    kw = k * torch.exp(log_w - m_local[..., None])[..., None]
    C_local = kw.transpose(-1, -2) @ v  # (B, H, NC, Dqk, Dv)
    n_local = kw.sum(-2)  # (B, H, NC, Dqk)

    # the stabilizer recurrence is on (B, H) scalars: cheap as a loop
    C0, n0, m = initial_state
    m_in = []
    for decay_c, m_local_c in zip(chunk_decay.unbind(-1), m_local.unbind(-1)):
        m_in.append(m)
        m = torch.maximum(decay_c + m, m_local_c)
    m_all = torch.stack(m_in + [m], dim=-1)  # (B, H, NC + 1)
    keep = torch.exp(chunk_decay + m_all[..., :-1] - m_all[..., 1:])
    add = torch.exp(m_local - m_all[..., 1:])
    # one scan carries C and n together, flattened side by side: [C (Dqk*Dv) | n (Dqk)]
    local = torch.cat([C_local.flatten(-2), n_local], dim=-1) * add[..., None]
    memory0 = torch.cat([C0.flatten(-2), n0], dim=-1)
    memory = LinearScan.apply(keep, local, memory0)  # (B, H, NC + 1, Dqk*Dv + Dqk)
    C_all = memory[..., : Dqk * Dv].unflatten(-1, (Dqk, Dv))
    n_all = memory[..., Dqk * Dv :]
    final = MLSTMState(C_all[:, :, -1], n_all[:, :, -1], m)
    return C_all[:, :, :-1], n_all[:, :, :-1], m_all[..., :-1], final


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

    h = ChunkOutput.apply(q, k, v, i, b, C_in, n_in, m_in, eps)  # (B, H, NC, L, Dv)
    h = h.reshape(B, H, NC * L, Dv)[:, :, :T]
    return h, final_state
