"""Training losses on the scaled data: point losses and the pinball (quantile) loss."""

from __future__ import annotations

import torch


def point_loss(name: str, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared (``"mse"``) or absolute (``"mae"``) error of two tensors of the same shape."""
    if name == "mae":
        return (prediction - target).abs().mean()
    return (prediction - target).pow(2).mean()


def pinball_loss(prediction: torch.Tensor, target: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """Mean pinball (quantile) loss of prediction (..., Q) against target (...) at ``levels`` (Q,)."""
    error = target.unsqueeze(-1) - prediction
    return torch.maximum(levels * error, (levels - 1.0) * error).mean()
