"""Forecast accuracy metrics: plain numpy functions.

Every function takes array-likes of matching shapes, ignores nothing (a NaN in the inputs gives a
NaN result), and returns a Python float averaged over every element.

>>> mae([1.0, 2.0], [1.5, 2.5])
0.5
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "mse",
    "mae",
    "mase",
    "smape",
    "pinball_loss",
    "crps_from_quantiles",
    "seasonal_naive_forecast",
]


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    true = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    if true.shape != pred.shape:
        raise ValueError(f"y_true and y_pred have different shapes {true.shape} and {pred.shape}")
    if true.size == 0:
        raise ValueError("empty input: nothing to score")
    return true, pred


def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error ``mean((y_true - y_pred) ** 2)``."""
    true, pred = _pair(y_true, y_pred)
    return float(np.mean((true - pred) ** 2))


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error ``mean(|y_true - y_pred|)``."""
    true, pred = _pair(y_true, y_pred)
    return float(np.mean(np.abs(true - pred)))


def mase(y_true: ArrayLike, y_pred: ArrayLike, y_train: ArrayLike, season_length: int = 1) -> float:
    """Mean absolute scaled error (Hyndman & Koehler, 2006).

    The forecast's MAE divided by the in-sample MAE of the seasonal-naive forecast on ``y_train``
    (``mean(|y_train[t] - y_train[t - m]|)``, m = ``season_length``). Below 1: better than the
    in-sample seasonal-naive forecast.

    Args:
        y_true, y_pred: actuals and forecasts of one series (any shape, same shape).
        y_train: the history the forecast was made from (1-D), longer than ``season_length``.
        season_length: m, e.g. 24 for hourly data with a daily cycle (1: the naive forecast).

    Raises:
        ValueError: ``y_train`` too short for m, or constant (a zero scale).
    """
    true, pred = _pair(y_true, y_pred)
    train = np.asarray(y_train, dtype=np.float64).ravel()
    m = int(season_length)
    if m < 1:
        raise ValueError(f"season_length must be >= 1; got {season_length}")
    if train.size <= m:
        raise ValueError(f"y_train has {train.size} values; MASE with season_length={m} needs more than {m}")
    scale = float(np.mean(np.abs(train[m:] - train[:-m])))
    if scale == 0.0:
        raise ValueError("y_train is constant at lag season_length: the MASE scale is zero")
    return float(np.mean(np.abs(true - pred)) / scale)


def smape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Symmetric mean absolute percentage error in percent, between 0 and 200.

    ``100 * mean(2 |y_pred - y_true| / (|y_true| + |y_pred|))``; a term where both values are 0
    counts as 0.
    """
    true, pred = _pair(y_true, y_pred)
    denominator = np.abs(true) + np.abs(pred)
    ratio = np.divide(2.0 * np.abs(pred - true), denominator, out=np.zeros_like(denominator), where=denominator > 0)
    return float(100.0 * np.mean(ratio))


def _quantile_inputs(
    y_true: ArrayLike, y_quantiles: ArrayLike, quantiles: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    true = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_quantiles, dtype=np.float64)
    levels = np.asarray(list(quantiles), dtype=np.float64)
    if levels.ndim != 1 or levels.size == 0 or np.any((levels <= 0) | (levels >= 1)):
        raise ValueError(f"quantiles must be a non-empty list of levels in (0, 1); got {list(quantiles)}")
    if pred.shape != (*true.shape, levels.size):
        raise ValueError(
            f"y_quantiles must have shape y_true.shape + (n_quantiles,) = {(*true.shape, levels.size)}; "
            f"got {pred.shape}"
        )
    if true.size == 0:
        raise ValueError("empty input: nothing to score")
    return true, pred, levels


def pinball_loss(y_true: ArrayLike, y_quantiles: ArrayLike, quantiles: Sequence[float]) -> float:
    """Mean pinball (quantile) loss over every value and quantile level.

    For level q and error e = y - y_q: ``max(q e, (q - 1) e)``.

    Args:
        y_true: actuals, shape S.
        y_quantiles: quantile forecasts, shape S + (Q,), the last axis in the order of ``quantiles``.
        quantiles: the Q levels in (0, 1).
    """
    true, pred, levels = _quantile_inputs(y_true, y_quantiles, quantiles)
    error = true[..., None] - pred
    return float(np.mean(np.maximum(levels * error, (levels - 1.0) * error)))


def crps_from_quantiles(y_true: ArrayLike, y_quantiles: ArrayLike, quantiles: Sequence[float]) -> float:
    """Continuous ranked probability score approximated from a few quantiles.

    CRPS = 2 * integral over q in (0, 1) of the pinball loss at level q; approximated by twice the
    pinball loss averaged over the given levels (exact in the limit of many evenly spaced levels;
    with [0.1, 0.5, 0.9] it is a coarse approximation -- compare models on the same levels only).
    Same arguments as :func:`pinball_loss`. Lower is better; in the data's units.
    """
    return 2.0 * pinball_loss(y_true, y_quantiles, quantiles)


def seasonal_naive_forecast(y_train: ArrayLike, horizon: int, season_length: int = 1) -> np.ndarray:
    """Repeat the last observed season: ``forecast[h] = y_train[T - m + (h mod m)]``.

    The baseline every forecaster should beat; with ``season_length=1`` it is the naive forecast.
    """
    train = np.asarray(y_train, dtype=np.float64).ravel()
    m = int(season_length)
    if m < 1 or train.size < m:
        raise ValueError(f"need season_length >= 1 and at least season_length values; got m={m}, {train.size} values")
    return train[train.size - m + np.arange(int(horizon)) % m]
