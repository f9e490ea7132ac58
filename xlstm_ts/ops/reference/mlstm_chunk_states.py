"""The memory entering every chunk of the chunkwise mLSTM: forward and hand-written backward.

Plain tensor functions (no autograd inside); `mlstm_chunkwise.MLSTMChunkwise` ties them to the
output part. Notation per batch and head, chunk c with L steps:

    b[c, s]   cumulative log forget gate inside the chunk, g_c = b[c, L-1] its total
    log_w     = g_c - b[c, s] + i[c, s]      log weight of step s in the memory at the chunk's end
    m_{c+1}   = max(g_c + m_c, max_s log_w)  the stabilizer of the memory after chunk c
    C_{c+1}   = keep_c C_c + sum_s e[c, s] k_s v_s^T,   n_{c+1} = keep_c n_c + sum_s e[c, s] k_s
    keep_c    = exp(g_c + m_c - m_{c+1}),   e[c, s] = scale * exp(log_w[c, s] - m_{c+1})

The key scale 1/sqrt(Dqk) rides in e, so k is never rescaled as a whole.

Shapes: k (B, H, NC, L, Dqk) unscaled; v (B, H, NC, L, Dv); i, b (B, H, NC, L). Returned states:
the memory entering each chunk, C_in (B, H, NC, Dqk, Dv), n_in (B, H, NC, Dqk), m_in (B, H, NC),
and the memory after the last chunk. Every full-size buffer is written in place where it can be:
on CPU a fresh allocation of this size costs about as much as a pass of arithmetic over it.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from xlstm_ts.ops.reference.numerics import rowdot


class StatesSaved(NamedTuple):
    """What the backward of the memory recurrence needs."""

    v: torch.Tensor
    k_weighted: torch.Tensor  # k * e, (B, H, NC, L, Dqk)
    e: torch.Tensor  # (B, H, NC, L)
    keep: torch.Tensor  # (B, H, NC)
    C_in: torch.Tensor
    n_in: torch.Tensor
    previous_wins: torch.Tensor  # (B, H, NC) bool: m_{c+1} came from g_c + m_c
    local_argmax: torch.Tensor  # (B, H, NC) the step s with the largest log_w[c, s]


class StatesGrad(NamedTuple):
    """Gradients of the inputs of :func:`chunk_states_forward`; dk and dv are new tensors."""

    dk: torch.Tensor
    dv: torch.Tensor
    di: torch.Tensor
    db: torch.Tensor
    dC0: torch.Tensor
    dn0: torch.Tensor
    dm0: torch.Tensor


class ChunkStates(NamedTuple):
    """The memory entering every chunk and the memory after the last one."""

    C_in: torch.Tensor
    n_in: torch.Tensor
    m_in: torch.Tensor
    C_final: torch.Tensor
    n_final: torch.Tensor
    m_final: torch.Tensor


def chunk_states_forward(
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    b: torch.Tensor,
    C0: torch.Tensor,
    n0: torch.Tensor,
    m0: torch.Tensor,
    scale: float,
) -> tuple[ChunkStates, StatesSaved]:
    """The chunk-boundary memories (see the module docstring) and what the backward needs."""
    g = b[..., -1]
    log_w = g[..., None] - b + i
    m_local, local_argmax = log_w.max(-1)

    # the stabilizer recurrence runs on (B, H) scalars: a short loop over chunks
    m_list = [m0]
    for g_c, m_local_c in zip(g.unbind(-1), m_local.unbind(-1)):
        m_list.append(torch.maximum(g_c + m_list[-1], m_local_c))
    m = torch.stack(m_list, dim=-1)  # (B, H, NC + 1)
    previous_wins = g + m[..., :-1] >= m_local
    keep = torch.exp(g + m[..., :-1] - m[..., 1:])

    e = torch.exp(log_w - m[..., 1:, None]).mul_(scale)
    k_weighted = k * e[..., None]
    # each chunk's own contribution, then turned in place into the memory entering each chunk
    C = k_weighted.transpose(-1, -2) @ v  # (B, H, NC, Dqk, Dv)
    n = (e[..., None, :] @ k).squeeze(-2)  # (B, H, NC, Dqk)
    C_final = _scan_in_place(C, keep[..., None, None], C0, reverse=False)
    n_final = _scan_in_place(n, keep[..., None], n0, reverse=False)
    states = ChunkStates(C, n, m[..., :-1], C_final, n_final, m[..., -1])
    return states, StatesSaved(v, k_weighted, e, keep, C, n, previous_wins, local_argmax)


def chunk_states_backward(
    saved: StatesSaved,
    dC_in: torch.Tensor,
    dn_in: torch.Tensor,
    dm_in: torch.Tensor,
    dC_final: torch.Tensor,
    dn_final: torch.Tensor,
    dm_final: torch.Tensor,
) -> StatesGrad:
    """Gradients of k, v, i, b and the initial state from those of the boundary memories.

    Args:
        dC_in (B, H, NC, Dqk, Dv), dn_in (B, H, NC, Dqk), dm_in (B, H, NC): gradients of the
        memory entering each chunk, as used by the chunk outputs (dC_in and dn_in are overwritten).
        dC_final, dn_final, dm_final: gradients of the memory after the last chunk.
    """
    v, k_weighted, e, keep, C_in, n_in, previous_wins, local_argmax = saved
    NC = keep.shape[-1]
    # through every later memory; in place, dC_in[c] becomes the gradient of chunk c's contribution
    dC0 = _scan_in_place(dC_in, keep[..., None, None], dC_final, reverse=True)
    dn0 = _scan_in_place(dn_in, keep[..., None], dn_final, reverse=True)
    dX, dXn = dC_in, dn_in

    d_keep = rowdot(dX.flatten(-2), C_in.flatten(-2)) + rowdot(dXn, n_in)
    d_k_weighted = (v @ dX.transpose(-1, -2)).add_(dXn[..., None, :])  # (B, H, NC, L, Dqk)
    dv = k_weighted @ dX
    d_log_w = rowdot(d_k_weighted, k_weighted)  # through e = scale * exp(log_w - m_{c+1})
    dk = d_k_weighted.mul_(e[..., None])

    # keep_c = exp(g_c + m_c - m_{c+1})
    d_log_keep = d_keep * keep
    dm = torch.cat([dm_in, dm_final[..., None]], dim=-1)
    dm[..., :-1] += d_log_keep
    dm[..., 1:] -= d_log_keep + d_log_w.sum(-1)
    dg = d_log_keep
    # m_{c+1} = max(g_c + m_c, log_w[c, argmax]): route each total to the branch that won
    to_local = torch.empty_like(keep)
    for c in range(NC - 1, -1, -1):
        total = dm[..., c + 1]
        routed = torch.where(previous_wins[..., c], total, 0.0)
        dm[..., c] += routed
        dg[..., c] += routed
        to_local[..., c] = total - routed
    d_log_w.scatter_add_(-1, local_argmax[..., None], to_local[..., None])

    # log_w = g - b + i, g = b[..., -1]
    dg += d_log_w.sum(-1)
    db = -d_log_w
    db[..., -1] += dg
    return StatesGrad(dk, dv, d_log_w, db, dC0, dn0, dm[..., 0])


def _scan_in_place(x: torch.Tensor, decay: torch.Tensor, start: torch.Tensor, reverse: bool) -> torch.Tensor:
    """The chunk recurrence, the only sequential part: one fused multiply-add per chunk.

    Forward (over chunks c = 0, 1, ...): carry_{c+1} = decay_c * carry_c + x_c with carry_0 = start;
    x_c is replaced by carry_c (the memory entering chunk c) and the last carry is returned.
    Reverse (the adjoint, c = NC-1, ..., 0): carry_c = x_c + decay_c * carry_{c+1} with
    carry_NC = start; x_c is replaced by carry_{c+1} and carry_0 is returned.

    Args:
        x: (B, H, NC, *S), overwritten. decay: (B, H, NC, 1, ...) broadcastable to x. start: (B, H, *S).
    """
    carry = start.clone()
    spare = torch.empty_like(carry)
    chunks = range(x.shape[2] - 1, -1, -1) if reverse else range(x.shape[2])
    for c in chunks:
        torch.addcmul(x[:, :, c], decay[:, :, c], carry, out=spare)
        x[:, :, c].copy_(carry)
        carry, spare = spare, carry
    return carry
