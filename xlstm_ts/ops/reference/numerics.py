"""Numerical helpers shared by the reference forms."""

from __future__ import annotations

import torch

EXP_FLOOR = -80.0
"""exp() arguments below this are raised to it: exp(-80) ~ 2e-35 is still a normal fp32 number.

PyTorch's vectorized CPU exp takes a slow path (about 30x slower) for arguments whose result is
denormal or zero, and masked -inf entries are that case; the clamp changes results by < 1e-34.
"""


def masked_decay(log_weights: torch.Tensor, above_diagonal: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """exp(log_weights) with the masked (future) entries exactly zero.

    Args:
        log_weights: (..., L, L) stabilized log weights (<= 0 where not masked).
        above_diagonal: (L, L) boolean mask of the entries to zero.
        inplace: overwrite `log_weights` (only outside autograd, e.g. in a custom backward).
    """
    if inplace:
        return log_weights.clamp_(min=EXP_FLOOR).exp_().masked_fill_(above_diagonal, 0.0)
    return torch.exp(log_weights.clamp(min=EXP_FLOOR)).masked_fill(above_diagonal, 0.0)


def normalizer_floor(m: torch.Tensor) -> torch.Tensor:
    """exp(-m), the floor of the normalizer max(|n . q|, exp(-m)), with m raised to EXP_FLOOR.

    The floor is the unstabilized 1 in the stabilized scale. When every gate so far kept the
    memory near zero (input-gate pre-activations far below zero, e.g. after a diverging optimizer
    step), m < -88 and exp(-m) overflows fp32: h = C q / inf is still 0, but the backward then
    multiplies 0 by inf and every gradient turns NaN. Below m = -80 the floor wins the max by
    ~1e34 anyway and h is ~1e-35 of C q, so the clamp changes nothing but the NaN.
    """
    return torch.exp(-m.clamp(min=EXP_FLOOR))


def rowdot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Dot products along the last axis, (..., D) x (..., D) -> (...), without an (..., D) temporary.

    `(a * b).sum(-1)` allocates the full product first; on CPU that allocation costs more than
    the arithmetic for large tensors. einsum lowers this to a batched matrix product.
    """
    return torch.einsum("...d,...d->...", a, b)


def graph_anchor(*tensors: torch.Tensor) -> torch.Tensor:
    """An exact 0 (a 0-dim tensor) that depends on every tensor given in autograd.

    An empty sequence (T = 0) computes nothing from its inputs; adding this to its results puts the
    inputs in their graph, so a backward gives them zero gradients (empty ones for empty tensors)
    instead of raising "element 0 of tensors does not require grad". Each term sums an empty slice,
    so the result is exactly 0 whatever the values (inf and NaN included).
    """
    anchor = tensors[0].reshape(-1)[:0].sum()
    for x in tensors[1:]:
        anchor = anchor + x.reshape(-1)[:0].sum()
    return anchor
