"""The standard Theta method (Assimakopoulos & Nikolopoulos, 2000), in the form of Hyndman &
Billah (2003): simple exponential smoothing with a drift of half the series' linear trend, on the
seasonally adjusted series, then re-seasonalized.

Written from the published equations (numpy and scipy only): the seasonal adjustment is the
classical decomposition (multiplicative when every value is positive, additive otherwise), used
only when the autocorrelation at the season lag passes the 90 % test of the original method; the
smoothing weight minimizes the one-step in-sample squared error over a grid.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

ALPHAS = np.linspace(0.01, 0.99, 50)
"""The smoothing weights tried (the one with the least one-step squared error is kept)."""
Z_90 = 1.645
"""Two-sided 90 % normal quantile of the seasonality test."""


def theta_forecast(history: np.ndarray, steps: int, season: int) -> np.ndarray:
    """``steps`` values after ``history`` (n,) by the standard Theta method; ``season`` m (1: none).

    Fewer than 3 values: the last value repeated. A constant history: that constant.
    """
    y = np.asarray(history, dtype=np.float64)
    n = len(y)
    if n < 3 or np.ptp(y) == 0.0:
        return np.full(steps, float(y[-1]))
    indices, multiplicative = seasonal_indices(y, season)
    position = np.arange(n) % season if indices is not None else None
    adjusted = y
    if indices is not None:
        adjusted = y / indices[position] if multiplicative else y - indices[position]
    level, alpha = _ses(adjusted)
    t = np.arange(n, dtype=np.float64)
    slope = float(np.polyfit(t, adjusted, 1)[0])
    h = np.arange(1, steps + 1, dtype=np.float64)
    drift = 0.5 * slope * (h - 1.0 + 1.0 / alpha - (1.0 - alpha) ** n / alpha)
    forecast = level + drift
    if indices is not None:
        future = indices[(n + np.arange(steps)) % season]
        forecast = forecast * future if multiplicative else forecast + future
    return forecast


def seasonal_indices(y: np.ndarray, season: int) -> tuple[np.ndarray | None, bool]:
    """Classical-decomposition seasonal indices (m,) indexed by ``t mod m`` (positions of ``y``),
    and whether they are multiplicative; (None, False) when the series is too short (fewer than
    two seasons) or the season lag's autocorrelation is not significant at 90 %."""
    n = len(y)
    if season <= 1 or n < 2 * season or not seasonal_test(y, season):
        return None, False
    multiplicative = bool(np.all(y > 0))
    trend = _centered_moving_average(y, season)
    valid = ~np.isnan(trend)
    ratios = y[valid] / trend[valid] if multiplicative else y[valid] - trend[valid]
    positions = np.flatnonzero(valid) % season
    sums = np.bincount(positions, weights=ratios, minlength=season)
    counts = np.bincount(positions, minlength=season)
    if np.any(counts == 0):
        return None, False
    indices = sums / counts
    if multiplicative:
        if np.any(indices <= 0):
            return None, False
        indices = indices / indices.mean()
    else:
        indices = indices - indices.mean()
    return indices, multiplicative


def seasonal_test(y: np.ndarray, season: int) -> bool:
    """The autocorrelation at lag ``season`` exceeds its 90 % bound (Bartlett's variance)."""
    n = len(y)
    centered = y - y.mean()
    denominator = float(centered @ centered)
    if denominator == 0.0 or season >= n:
        return False
    acf = np.array([float(centered[k:] @ centered[: n - k]) / denominator for k in range(1, season + 1)])
    bound = Z_90 * np.sqrt((1.0 + 2.0 * np.sum(acf[:-1] ** 2)) / n)
    return bool(abs(acf[-1]) > bound)


def _centered_moving_average(y: np.ndarray, season: int) -> np.ndarray:
    """The m-term centered moving average (2 x m for an even m); NaN where it does not reach."""
    if season % 2:
        weights = np.full(season, 1.0 / season)
    else:
        weights = np.full(season + 1, 1.0 / season)
        weights[[0, -1]] = 0.5 / season
    trend = np.full(len(y), np.nan)
    half = len(weights) // 2
    trend[half : len(y) - half] = np.convolve(y, weights, mode="valid")
    return trend


def _ses(y: np.ndarray) -> tuple[float, float]:
    """The final level of simple exponential smoothing and its weight (least one-step squared
    error over :data:`ALPHAS`; the level starts at the first value)."""
    best = (np.inf, float(y[-1]), float(ALPHAS[-1]))
    for alpha in ALPHAS:
        level = lfilter([alpha], [1.0, -(1.0 - alpha)], y, zi=[(1.0 - alpha) * y[0]])[0]
        sse = float(np.sum((y[1:] - level[:-1]) ** 2))
        if sse < best[0]:
            best = (sse, float(level[-1]), float(alpha))
    return best[1], best[2]
