"""Recurrent state containers of the xLSTM cells (plain named tuples: they unpack like tuples)."""

from __future__ import annotations

from typing import NamedTuple

import torch


class MLSTMState(NamedTuple):
    """mLSTM memory after the last processed step."""

    C: torch.Tensor
    """Matrix memory, (B, H, Dqk, Dv), scaled by exp(-m)."""
    n: torch.Tensor
    """Normalizer, (B, H, Dqk), scaled by exp(-m)."""
    m: torch.Tensor
    """Log-space stabilizer, (B, H); -inf for an empty memory."""


class SLSTMState(NamedTuple):
    """sLSTM state after the last processed step, each (B, H, Dh)."""

    h: torch.Tensor
    """Hidden output, fed back through the head-wise recurrent weights."""
    c: torch.Tensor
    """Cell state, scaled by exp(-m)."""
    n: torch.Tensor
    """Normalizer, scaled by exp(-m)."""
    m: torch.Tensor
    """Log-space stabilizer; -inf for an empty memory."""
