"""Outputs of the chunkwise mLSTM inside each chunk: forward and hand-written backward.

Plain tensor functions (no autograd inside). Per batch, head and chunk, with a_s = i_s - b_s:

    log D[t, s] = b_t - b_s + i_s            (s <= t)   intra-chunk log weights
    m_t         = b_t + M_t,   M_t = max(max_{s<=t} a_s, m_in)        the row stabilizer
    D[t, s]     = scale * exp(a_s - M_t)     the b_t cancels: one broadcast subtraction
    S           = (q k^T) * D,   w_t = exp(m_in - M_t)                weight of the entering memory
    h_t         = (S v + w_t q_t C_in)_t / (max(|S 1 + w_t q_t n_in|, exp(-m_t)) + eps)

Because M_t is a running maximum of a vector (not a row maximum of an L x L matrix), the
stabilizer costs O(L) and its gradient goes to one step per row. The backward never forms the
gradient of log D: its row sums and column sums follow from quantities of size L x Dv.

The key scale 1/sqrt(Dqk) rides in D (as log(scale) inside the exp), so k is never rescaled.
Shapes (NC chunks of L steps): q, k (B, H, NC, L, Dqk) with k unscaled; v (B, H, NC, L, Dv);
i, b (B, H, NC, L); C_in (B, H, NC, Dqk, Dv), n_in (B, H, NC, Dqk), m_in (B, H, NC).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from xlstm_ts.ops.reference.numerics import EXP_FLOOR, normalizer_floor, rowdot


class OutputSaved(NamedTuple):
    """What the backward of the chunk outputs needs (all linear in T)."""

    q: torch.Tensor
    k: torch.Tensor
    v: torch.Tensor
    C_in: torch.Tensor
    n_in: torch.Tensor
    decay: torch.Tensor  # D, (B, H, NC, L, L)
    scores: torch.Tensor  # S, (B, H, NC, L, L)
    s_v: torch.Tensor  # S @ v, (B, H, NC, L, Dv)
    q_C: torch.Tensor  # q @ C_in
    q_n: torch.Tensor  # q . n_in, (B, H, NC, L)
    row_sum: torch.Tensor  # S @ 1
    inter_weight: torch.Tensor  # w
    floor: torch.Tensor  # exp(-m_t)
    inter_wins: torch.Tensor  # bool: M_t = m_in
    running_argmax: torch.Tensor  # step of max_{s<=t} a_s
    qn: torch.Tensor
    normalizer: torch.Tensor
    h: torch.Tensor


class OutputGrad(NamedTuple):
    dq: torch.Tensor
    dk: torch.Tensor
    dv: torch.Tensor
    di: torch.Tensor
    db: torch.Tensor
    dC_in: torch.Tensor
    dn_in: torch.Tensor
    dm_in: torch.Tensor


def chunk_output_forward(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    b: torch.Tensor,
    C_in: torch.Tensor,
    n_in: torch.Tensor,
    m_in: torch.Tensor,
    scale: float,
    eps: float,
) -> tuple[torch.Tensor, OutputSaved]:
    """h (B, H, NC, L, Dv) and what the backward needs."""
    L = q.shape[-2]
    log_scale = math.log(scale)
    a = i - b
    running_max, running_argmax = torch.cummax(a, dim=-1)
    m_in_rows = m_in[..., None]
    inter_wins = m_in_rows >= running_max
    M = torch.maximum(running_max, m_in_rows)  # (B, H, NC, L)

    # on and below the diagonal a_s - M_t <= 0; above it the clamp keeps exp finite before masking
    above = torch.ones(L, L, dtype=torch.bool, device=q.device).triu_(1)
    decay = torch.sub((a + log_scale)[..., None, :], M[..., :, None])
    decay.clamp_(EXP_FLOOR, log_scale).exp_().masked_fill_(above, 0.0)
    scores = (q @ k.transpose(-1, -2)).mul_(decay)
    inter_weight = torch.exp(m_in_rows - M)
    q_C = q @ C_in
    q_n = (q @ n_in[..., None]).squeeze(-1)
    s_v = scores @ v
    row_sum = scores.sum(-1)
    qn = torch.addcmul(row_sum, inter_weight, q_n)
    floor = normalizer_floor(b + M)
    normalizer = torch.maximum(qn.abs(), floor).add_(eps)
    h = torch.addcmul(s_v, inter_weight[..., None], q_C).div_(normalizer[..., None])
    saved = OutputSaved(
        q, k, v, C_in, n_in, decay, scores, s_v, q_C, q_n, row_sum, inter_weight, floor, inter_wins,
        running_argmax, qn, normalizer, h,
    )  # fmt: skip
    return h, saved


def chunk_output_backward(saved: OutputSaved, dh: torch.Tensor) -> OutputGrad:
    """Gradients of the inputs of :func:`chunk_output_forward` from dh (B, H, NC, L, Dv).

    dq, dk, dv, dC_in are new tensors (callers may accumulate into them in place).
    """
    (q, k, v, C_in, n_in, decay, scores, s_v, q_C, q_n, row_sum, w, floor, inter_wins, running_argmax,
     qn, normalizer, h) = saved  # fmt: skip

    # h = numerator / normalizer, normalizer = max(|qn|, exp(-m)) + eps
    d_num = dh / normalizer[..., None]
    d_norm = -rowdot(dh, h) / normalizer
    qn_wins = qn.abs() >= floor
    d_qn = torch.where(qn_wins, d_norm * torch.sign(qn), 0.0)
    d_m = torch.where(qn_wins, 0.0, -d_norm * floor)  # through exp(-m_t), m_t = b_t + M_t

    # numerator = S v + w q C_in, qn = S 1 + w q n_in
    d_scores = (d_num @ v.transpose(-1, -2)).add_(d_qn[..., None])  # (B, H, NC, L, L)
    dv = scores.transpose(-1, -2) @ d_num
    d_w = rowdot(d_num, q_C) + d_qn * q_n
    # S = (q k^T) * D with log D[t, s] = a_s - M_t + log(scale). d log D = dS * S is never formed:
    # its row t sums to d_num_t . (S v)_t + d_qn_t (S 1)_t, its column s to v_s . dv_s + (S^T d_qn)_s
    d_M = rowdot(d_num, s_v).add_(d_qn * row_sum).neg_()
    d_a = rowdot(v, dv).add_((scores.transpose(-1, -2) @ d_qn[..., None]).squeeze(-1))

    w_d_num = d_num.mul_(w[..., None])
    w_d_qn = w * d_qn
    dq = (w_d_num @ C_in.transpose(-1, -2)).addcmul_(w_d_qn[..., None], n_in[..., None, :])
    dC_in = q.transpose(-1, -2) @ w_d_num
    dn_in = (q.transpose(-1, -2) @ w_d_qn[..., None]).squeeze(-1)
    d_qk = d_scores.mul_(decay)
    _batched(dq).baddbmm_(_batched(d_qk), _batched(k))
    dk = d_qk.transpose(-1, -2) @ q

    # w = exp(m_in - M)
    d_log_w = d_w * w
    dm_in = d_log_w.sum(-1)
    d_M -= d_log_w
    d_M += d_m
    # M_t = max(max_{s<=t} a_s, m_in): each row's gradient goes to the winner
    dm_in += torch.where(inter_wins, d_M, 0.0).sum(-1)
    d_a.scatter_add_(-1, running_argmax, torch.where(inter_wins, 0.0, d_M))
    # a = i - b; m_t = b_t + M_t
    db = d_m - d_a
    return OutputGrad(dq, dk, dv, d_a, db, dC_in, dn_in, dm_in)


def _batched(x: torch.Tensor) -> torch.Tensor:
    """(..., R, C) -> (N, R, C) for the batched matmul ops (a view of tensors made here)."""
    return x.reshape(-1, x.shape[-2], x.shape[-1])
