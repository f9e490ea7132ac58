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


DROP_LAST_BATCH_SIZES: tuple[int, ...] = (8, 16, 32, 128)
"""Test batch sizes of the published scripts (PatchTST: 128, ILI 16; DLinear: 8, 16 or 32 by dataset)."""


def drop_last_metrics(
    prediction: np.ndarray, target: np.ndarray, batch_sizes: Sequence[int] = DROP_LAST_BATCH_SIZES
) -> dict[str, list[float]]:
    """MSE/MAE over the windows a test loader with ``drop_last=True`` would keep, per batch size.

    The LTSF-Linear code that DLinear and PatchTST report from most likely built its test loader
    with ``drop_last=True`` (evidence in experiments/published.yaml, notes), so their numbers would
    leave out the last ``N % batch_size`` windows, the latest of the test set. Our protocol scores every window; this says how much of a difference in a
    table is that protocol and not the model. Returns ``{"32": [mse, mae], ...}`` (scaled units).

    Args:
        prediction, target: (N, H, C) in window order.
    """
    n = prediction.shape[0]
    result = {}
    for batch in batch_sizes:
        kept = n - n % batch
        if kept == 0:
            continue
        error = prediction[:kept] - target[:kept]
        result[str(batch)] = [float(np.mean(error**2)), float(np.mean(np.abs(error)))]
    return result
