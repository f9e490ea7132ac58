"""Test-set evaluation over every window, in the scaled and in the data's own units."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from xlstm_ts.data.scaling import StandardScaler


@torch.no_grad()
def predict_windows(network: nn.Module, loader: DataLoader) -> tuple[np.ndarray, np.ndarray]:
    """Forecasts and targets of every window of `loader`: two float64 arrays (N, H, C_out)."""
    was_training = network.training
    network.eval()
    device = next(network.parameters()).device
    predictions, targets = [], []
    for x, y in loader:
        predictions.append(network(x.to(device)).double().cpu().numpy())
        targets.append(y.double().numpy())
    network.train(was_training)
    return np.concatenate(predictions), np.concatenate(targets)


def error_metrics(
    prediction: np.ndarray,
    target: np.ndarray,
    scaler: StandardScaler | None = None,
    channels: Sequence[int] | None = None,
    prefix: str = "test",
) -> dict[str, float]:
    """MSE/MAE on the scaled data (as papers report) and, with a scaler, in the data's units.

    Args:
        prediction, target: (N, H, C_out) in scaled units.
        scaler: the training-row scaler; `channels` picks its statistics for the output channels.
    """
    error = prediction - target
    metrics = {
        f"{prefix}_mse": float(np.mean(error**2)),
        f"{prefix}_mae": float(np.mean(np.abs(error))),
        f"{prefix}_windows": int(prediction.shape[0]),
    }
    if scaler is not None:
        error_original = scaler.inverse_transform(prediction, channels) - scaler.inverse_transform(target, channels)
        metrics[f"{prefix}_mse_original"] = float(np.mean(error_original**2))
        metrics[f"{prefix}_mae_original"] = float(np.mean(np.abs(error_original)))
    return metrics
