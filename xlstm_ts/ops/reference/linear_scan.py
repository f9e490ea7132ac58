"""A first-order linear recurrence over chunks with a hand-written backward.

states[0] = initial; states[c + 1] = decay[c] * states[c] + x[c]. Running it as one op (instead of a
Python loop under autograd) costs one fused multiply-add per chunk forward and one backward.
"""

from __future__ import annotations

import torch


class LinearScan(torch.autograd.Function):
    """decay (B, H, NC), x (B, H, NC, *S), initial (B, H, *S) -> states (B, H, NC + 1, *S)."""

    @staticmethod
    def forward(ctx, decay, x, initial):  # type: ignore[override]
        NC = x.shape[2]
        states = x.new_empty(x.shape[:2] + (NC + 1,) + x.shape[3:])
        states[:, :, 0] = initial
        extra = (1,) * (x.dim() - 3)
        decay_b = decay.reshape(decay.shape + extra)
        for c in range(NC):
            torch.addcmul(x[:, :, c], decay_b[:, :, c], states[:, :, c], out=states[:, :, c + 1])
        ctx.save_for_backward(decay_b, states)
        return states

    @staticmethod
    def backward(ctx, d_states):  # type: ignore[override]
        decay_b, states = ctx.saved_tensors
        NC = states.shape[2] - 1
        # total[c] = dL/d states[c], through every later state
        total = torch.empty_like(d_states)
        total[:, :, NC] = d_states[:, :, NC]
        for c in range(NC - 1, -1, -1):
            torch.addcmul(d_states[:, :, c], decay_b[:, :, c], total[:, :, c + 1], out=total[:, :, c])
        d_x = total[:, :, 1:]
        reduce_dims = tuple(range(3, states.dim()))
        d_decay = (d_x * states[:, :, :-1]).sum(reduce_dims) if reduce_dims else d_x * states[:, :, :-1]
        return d_decay, d_x, total[:, :, 0]
