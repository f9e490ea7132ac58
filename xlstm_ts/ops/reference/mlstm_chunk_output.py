"""Outputs of the chunkwise mLSTM inside each chunk, with a hand-written backward.

Plain autograd over this part stores and revisits half a dozen (L x L) tensors per chunk; this
Function keeps the two it needs (decay and scores) and fuses the elementwise work, which makes the
CPU chunkwise form several times faster.
The gradient is exact, including the path through the stabilizer m (it matters through eps and
the exp(-m) floor of the normalizer); tests compare it with autograd over the parallel form.

Shapes (NC chunks of L steps): q, k (B, H, NC, L, Dqk) with k already scaled; v (B, H, NC, L, Dv);
i (B, H, NC, L) input-gate pre-activations; b (B, H, NC, L) cumulative log forget gate within the
chunk; C_in (B, H, NC, Dqk, Dv), n_in (B, H, NC, Dqk), m_in (B, H, NC) the memory entering a chunk.
"""

from __future__ import annotations

import torch

from xlstm_ts.ops.reference.numerics import masked_decay


def _log_decay(b: torch.Tensor, i: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """log D[t, s] = b_t - b_s + i_s for s <= t, -inf above the diagonal, (B, H, NC, L, L); the mask."""
    L = b.shape[-1]
    log_d = b[..., :, None] - b[..., None, :] + i[..., None, :]
    above = torch.ones(L, L, dtype=torch.bool, device=b.device).triu(1)
    return log_d.masked_fill_(above, float("-inf")), above


class ChunkOutput(torch.autograd.Function):
    """h (B, H, NC, L, Dv) from the intra-chunk terms and the memory entering each chunk.

    The forward keeps the decay matrix, the scores and q @ C_in for the backward (all linear in T),
    so the backward needs no exp and six matmuls instead of eight.
    """

    @staticmethod
    def forward(ctx, q, k, v, i, b, C_in, n_in, m_in, eps: float):  # type: ignore[override]
        log_d, above = _log_decay(b, i)
        m_intra, argmax = log_d.max(-1)  # (B, H, NC, L)
        log_inter = b + m_in[..., None]
        m = torch.maximum(m_intra, log_inter)
        inter_wins = log_inter >= m_intra
        decay = masked_decay(log_d.sub_(m[..., None]), above, inplace=True)  # (B, H, NC, L, L)
        scores = (q @ k.transpose(-1, -2)).mul_(decay)
        inter_weight = torch.exp(log_inter - m)
        q_C = q @ C_in  # (B, H, NC, L, Dv)
        q_n = (q @ n_in[..., None]).squeeze(-1)  # (B, H, NC, L)
        numerator = scores @ v + inter_weight[..., None] * q_C
        qn = scores.sum(-1) + inter_weight * q_n
        normalizer = torch.maximum(qn.abs(), torch.exp(-m)) + eps
        h = numerator / normalizer[..., None]
        ctx.save_for_backward(
            q, k, v, C_in, n_in, decay, scores, q_C, q_n, inter_weight, m, argmax, inter_wins, qn, normalizer, h
        )
        return h

    @staticmethod
    def backward(ctx, dh):  # type: ignore[override]
        (q, k, v, C_in, n_in, decay, scores, q_C, q_n, inter_weight, m, argmax, inter_wins, qn, normalizer, h) = (
            ctx.saved_tensors
        )
        floor = torch.exp(-m)

        # h = numerator / normalizer, normalizer = max(|qn|, exp(-m)) + eps
        d_num = dh / normalizer[..., None]  # (B, H, NC, L, Dv)
        d_norm = -(dh * h).sum(-1) / normalizer
        qn_wins = qn.abs() >= floor
        d_qn = torch.where(qn_wins, d_norm * torch.sign(qn), 0.0)
        d_m = torch.where(qn_wins, 0.0, -d_norm * floor)

        # numerator = scores @ v + w * (q @ C_in); qn = rowsum(scores) + w * (q . n_in)
        d_scores = (d_num @ v.transpose(-1, -2)).add_(d_qn[..., None])  # (B, H, NC, L, L)
        dv = scores.transpose(-1, -2) @ d_num
        d_inter = (d_num * q_C).sum(-1) + d_qn * q_n
        weighted_d_num = inter_weight[..., None] * d_num
        weighted_d_qn = (d_qn * inter_weight)[..., None]
        dq = weighted_d_num @ C_in.transpose(-1, -2) + weighted_d_qn * n_in[..., None, :]
        dC_in = q.transpose(-1, -2) @ weighted_d_num
        dn_in = (weighted_d_qn * q).sum(-2)

        # scores = qk * decay, decay = exp(log_d - m)
        d_log_d = d_scores * scores
        d_qk = d_scores.mul_(decay)
        dq += d_qk @ k
        dk = d_qk.transpose(-1, -2) @ q
        d_m -= d_log_d.sum(-1)

        # inter_weight = exp(b + m_in - m)
        d_log_inter = d_inter * inter_weight
        d_m -= d_log_inter

        # m = max(max_s log_d[t, s], b_t + m_in): route d_m to the winner
        d_log_inter = d_log_inter + torch.where(inter_wins, d_m, 0.0)
        d_log_d.scatter_add_(-1, argmax[..., None], torch.where(inter_wins, 0.0, d_m)[..., None])

        # log_d[t, s] = b_t - b_s + i_s ; log_inter = b_t + m_in
        d_cols = d_log_d.sum(-2)
        db = d_log_d.sum(-1) - d_cols + d_log_inter
        di = d_cols
        dm_in = d_log_inter.sum(-1)
        return dq, dk, dv, di, db, dC_in, dn_in, dm_in, None
