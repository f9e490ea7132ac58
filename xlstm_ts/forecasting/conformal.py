"""Split-conformal prediction intervals, calibrated per horizon step on held-out windows.

After training, the network forecasts every validation window (held out from the gradient steps:
the last ``validation_size`` steps of each series). The absolute errors of step ``h``, in each
series' own scaled units (z-scores of its training part), pooled over series and windows, give
the conformity scores of that step; the interval at level ``a`` (%) is the point forecast plus and
minus the ``ceil((n + 1) a / 100)``-th smallest score, times the series' standard deviation.
Columns are named like statsforecast's: ``<name>-lo-80``, ``<name>-hi-80``.

Windows are stride-1 and overlap, so scores are not independent; the coverage is measured on
series that were not calibrated on in ``experiments/forecaster_panel.py``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from xlstm_ts.training.evaluate import predict_windows


def check_levels(levels: Any) -> tuple[int | float, ...] | None:
    """The ``levels`` parameter checked and sorted ascending (None stays None).

    Raises:
        ValueError: not a non-empty list of distinct numbers in (0, 100).
    """
    if levels is None:
        return None
    if isinstance(levels, (str, bytes)) or not isinstance(levels, Sequence) or len(levels) == 0:
        raise ValueError(f"levels must be a non-empty list of coverage percentages in (0, 100), e.g. [80, 95]; got {levels!r}")
    out = []
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < float(level) < 100:
            raise ValueError(f"levels are coverage percentages in (0, 100), e.g. [80, 95]; got {level!r} in {list(levels)}")
        out.append(int(level) if float(level).is_integer() else float(level))
    if len(set(out)) != len(out):
        raise ValueError(f"levels has repeated values: {list(levels)}")
    return tuple(sorted(out))


def minimum_scores(level: float) -> int:
    """Calibration scores needed for a finite interval at ``level`` %: the smallest n with
    ``ceil((n + 1) * level / 100) <= n``."""
    alpha = float(level) / 100.0
    return math.ceil(alpha / (1.0 - alpha) - 1e-12)


def conformal_width(scores: np.ndarray, level: float) -> float:
    """The ``ceil((n + 1) level / 100)``-th smallest of ``scores`` (n,), or inf if n is too small."""
    n = len(scores)
    rank = math.ceil((n + 1) * float(level) / 100.0 - 1e-12)
    if rank > n:
        return math.inf
    return float(np.sort(scores)[rank - 1])


def network_residuals(network: torch.nn.Module, windows: Dataset, median_index: int | None) -> np.ndarray:
    """Errors ``truth - forecast`` (N, H) of the network's point forecast (the median with
    quantiles) on ``windows`` (the held-out validation windows ``(x, y)``, y (H, 1)), scaled units."""
    # its own generator: iterating a loader draws a seed, and fit must leave the global RNG alone
    prediction, target = predict_windows(network, DataLoader(windows, batch_size=512, generator=torch.Generator()))
    point = prediction[..., 0] if median_index is None else prediction[..., 0, median_index]  # (N, H)
    return target[..., 0] - point


def calibrate(residuals: np.ndarray, levels: Sequence[float]) -> dict[float, np.ndarray]:
    """Per-step widths (scaled units) for every level from held-out errors ``residuals`` (N, H).

    Raises:
        ValueError: too few windows for a finite interval at some level (the message says how many).
    """
    scores = np.abs(residuals)
    n = scores.shape[0]
    widths = {}
    for level in levels:
        need = minimum_scores(level)
        if n < need:
            raise ValueError(
                f"levels: a {level}% interval needs at least {need} held-out validation windows to calibrate on; "
                f"the validation hold-out gives {n}. Hold out more steps (validation_size=...), give more or longer "
                f"series, or ask for a lower level"
            )
        widths[level] = np.array([conformal_width(scores[:, h], level) for h in range(scores.shape[1])])
    return widths


def interval_columns(
    point: np.ndarray, std: float, widths: dict[float, np.ndarray]
) -> dict[str, np.ndarray]:
    """``{"lo-95": ..., "lo-80": ..., "hi-80": ..., "hi-95": ...}`` around ``point`` (h,) in data
    units; steps past the calibrated horizon get NaN (no calibration exists for them)."""
    h = len(point)
    out: dict[str, np.ndarray] = {}
    scaled = {}
    for level, width in widths.items():
        w = np.full(h, np.nan)
        k = min(h, len(width))
        w[:k] = width[:k] * std
        scaled[level] = w
    for level in sorted(widths, reverse=True):
        out[f"lo-{level}"] = point - scaled[level]
    for level in sorted(widths):
        out[f"hi-{level}"] = point + scaled[level]
    return out
