"""The standard Theta method (Assimakopoulos & Nikolopoulos, 2000), in the form of Hyndman &
Billah (2003): simple exponential smoothing with a drift of half the series' linear trend, on the
seasonally adjusted series, then re-seasonalized.

Written from the published equations (numpy and scipy only): the seasonal adjustment is the
classical decomposition (multiplicative when every value is positive, additive otherwise), used
only when the autocorrelation at the season lag passes the 90 % test of the original method; the
smoothing weight minimizes the one-step in-sample squared error over a grid.

:func:`theta_forecast` forecasts one series; :func:`theta_forecast_batch` forecasts many windows
of one length at once (the benchmark baseline :class:`~xlstm_ts.models.baselines.ThetaNet`), with
the same numbers row by row.
"""

from __future__ import annotations

from collections.abc import Callable

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


def theta_forecast_batch(windows: np.ndarray, steps: int, season: int) -> np.ndarray:
    """``steps`` values after each row of ``windows`` (N, n) by the standard Theta method, season m:
    row by row what :func:`theta_forecast` gives, computed for all rows at once. Returns (N, steps)."""
    return seasonal_forecast_batch(windows, steps, season, _theta_adjusted_batch)


def seasonal_forecast_batch(
    windows: np.ndarray, steps: int, season: int, forecast_adjusted: Callable[[np.ndarray, int], np.ndarray]
) -> np.ndarray:
    """The frame shared by the batch forecasts of this module and :mod:`xlstm_ts.models.ets`: rows
    of ``windows`` (N, n) shorter than 3 or constant repeat their last value; the others are
    seasonally adjusted (classical decomposition with the 90 % test, as :func:`seasonal_indices`),
    forecast by ``forecast_adjusted(adjusted (N', n), steps) -> (N', steps)`` and re-seasonalized.
    Returns (N, steps)."""
    y = np.asarray(windows, dtype=np.float64)
    if y.ndim != 2:
        raise ValueError(f"windows must be (N, n); got shape {y.shape}")
    n_rows, n = y.shape
    out = np.repeat(y[:, -1:], steps, axis=1)
    if n < 3 or n_rows == 0:
        return out
    active = np.ptp(y, axis=1) > 0.0
    y = y[active]
    adjusted, future, multiplicative, seasonal = y, None, None, None
    if season > 1 and n >= 2 * season:
        indices, multiplicative, seasonal = _seasonal_indices_batch(y, season)
        position = np.arange(n) % season
        with np.errstate(divide="ignore", invalid="ignore"):  # np.where computes the unused branch too
            adjusted = np.where(
                seasonal[:, None],
                np.where(multiplicative[:, None], y / indices[:, position], y - indices[:, position]),
                y,
            )
        future = indices[:, (n + np.arange(steps)) % season]
    forecast = forecast_adjusted(adjusted, steps)
    if future is not None:
        reseasoned = np.where(multiplicative[:, None], forecast * future, forecast + future)
        forecast = np.where(seasonal[:, None], reseasoned, forecast)
    out[active] = forecast
    return out


def _theta_adjusted_batch(adjusted: np.ndarray, steps: int) -> np.ndarray:
    """The Theta forecast (N, steps) of seasonally adjusted rows (N, n >= 3)."""
    n = adjusted.shape[1]
    level, alpha = _ses_batch(adjusted)
    t = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    slope = (adjusted - adjusted.mean(axis=1, keepdims=True)) @ t / float(t @ t)
    h = np.arange(1, steps + 1, dtype=np.float64)
    a = alpha[:, None]
    return level[:, None] + 0.5 * slope[:, None] * (h - 1.0 + 1.0 / a - (1.0 - a) ** n / a)


def _seasonal_indices_batch(y: np.ndarray, season: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of ``y`` (N, n >= 2m): the seasonal indices (N, m) as :func:`seasonal_indices`
    computes them, whether they are multiplicative (N,), and whether the row is seasonally adjusted
    at all (N,: the season test passed and the indices are valid)."""
    n = y.shape[1]
    centered = y - y.mean(axis=1, keepdims=True)
    denominator = np.einsum("ij,ij->i", centered, centered)
    acf = np.stack([np.einsum("ij,ij->i", centered[:, k:], centered[:, : n - k]) for k in range(1, season + 1)], 1)
    acf = acf / np.where(denominator == 0.0, 1.0, denominator)[:, None]
    bound = Z_90 * np.sqrt((1.0 + 2.0 * np.sum(acf[:, :-1] ** 2, axis=1)) / n)
    seasonal = (np.abs(acf[:, -1]) > bound) & (denominator > 0.0) & (season < n)
    multiplicative = np.all(y > 0, axis=1)
    if season % 2:
        weights = np.full(season, 1.0 / season)
    else:
        weights = np.full(season + 1, 1.0 / season)
        weights[[0, -1]] = 0.5 / season
    half = len(weights) // 2
    trend = lfilter(weights, [1.0], y, axis=1)[:, len(weights) - 1 :]  # the valid part: (N, n - 2 * half)
    middle = y[:, half : n - half]
    ratios = np.where(multiplicative[:, None], middle / np.where(trend == 0.0, np.nan, trend), middle - trend)
    positions = np.arange(half, n - half) % season
    onehot = positions[:, None] == np.arange(season)[None, :]  # (n - 2 * half, m)
    counts = onehot.sum(axis=0)
    indices = ratios @ onehot / np.where(counts == 0, 1, counts)
    seasonal &= np.all(counts > 0) & np.isfinite(indices).all(axis=1)
    indices = np.where(np.isfinite(indices), indices, 0.0)
    positive = np.all(indices > 0, axis=1)
    seasonal &= ~multiplicative | positive
    mean = indices.mean(axis=1, keepdims=True)
    indices = np.where(multiplicative[:, None], indices / np.where(mean == 0.0, 1.0, mean), indices - mean)
    return indices, multiplicative, seasonal


def _ses_batch(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``y`` (N, n): the final level of simple exponential smoothing and its weight,
    chosen as :func:`_ses` chooses it (the first weight of least one-step squared error)."""
    best_sse = np.full(len(y), np.inf)
    best_level = y[:, -1].copy()
    best_alpha = np.full(len(y), float(ALPHAS[-1]))
    for alpha in ALPHAS:
        level = lfilter([alpha], [1.0, -(1.0 - alpha)], y, axis=1, zi=(1.0 - alpha) * y[:, :1])[0]
        sse = np.sum((y[:, 1:] - level[:, :-1]) ** 2, axis=1)
        better = sse < best_sse
        best_sse = np.where(better, sse, best_sse)
        best_level = np.where(better, level[:, -1], best_level)
        best_alpha = np.where(better, alpha, best_alpha)
    return best_level, best_alpha
