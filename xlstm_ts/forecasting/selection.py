"""The default model choice: the xLSTM network, a simple forecast, or their mean, decided on
held-out windows.

With ``model="auto"`` (the default) the estimator compares, on the validation windows of the
training data (the last ``validation_size`` steps of each series, never trained on): the network,
the seasonal naive forecast (repeat the last season), the naive forecast (repeat the last value),
the standard Theta method (:mod:`xlstm_ts.models.theta`) and the mean of the network and the seasonal naive forecast ("ensemble"), by the mean absolute
error in each series' own scaled units, and keeps the best; the network or the ensemble only when
strictly better than every simple forecast. So the default is never worse than seasonal naive on
that backtest. ``fit_info_["model_selection"]`` holds the errors and the reason.

Every simple forecast reads the last :func:`history_steps` steps (up to :data:`SIMPLE_HISTORY`,
never fewer than the network's ``lookback``), on validation as after ``fit``, so what validation
measured is what ``predict`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from xlstm_ts.data.scaling import StandardScaler
from xlstm_ts.forecasting.frames import Series
from xlstm_ts.models.theta import theta_forecast

MODELS = ("auto", "xlstm")
"""Valid values of the estimator's ``model``."""
CHOICES = ("xlstm", "ensemble", "seasonal_naive", "naive", "theta")
"""What can forecast after ``model="auto"``."""
BASELINES = ("seasonal_naive", "naive", "theta")
"""The simple forecasts the network must beat."""
SIMPLE_HISTORY = 4096
"""The simple forecasts read up to this many steps of each series (at least the network's
lookback): Theta's seasonal indices and trend need more than the network's window, and a bounded
history keeps a fitted model's memory bounded under ``update``."""


def history_steps(series: Sequence[Series], lookback: int) -> int:
    """M: the steps of history the simple forecasts read, ``lookback`` <= M <= :data:`SIMPLE_HISTORY`
    (the longest series' length when shorter)."""
    return max(lookback, min(SIMPLE_HISTORY, max(len(s) for s in series)))


def kept_history(series: Sequence[Series], steps: int) -> np.ndarray:
    """(S, steps) float64: the last ``steps`` target values of each series, NaN before a shorter
    series' first step."""
    kept = np.full((len(series), steps), np.nan)
    for k, s in enumerate(series):
        tail = s.target[-steps:]
        kept[k, steps - len(tail) :] = tail
    return kept


def baseline_forecast(name: str, history: np.ndarray, steps: int, season: int) -> np.ndarray:
    """``steps`` values after ``history`` (n,) by a simple rule.

    "naive": the last value; "seasonal_naive": ``y[n - m + (h mod m)]`` for step h (0-based),
    m = ``season`` (the naive forecast when m is 1 or longer than the history); "theta": the
    standard Theta method with season m (see :func:`~xlstm_ts.models.theta.theta_forecast`).
    """
    if name == "theta":
        return theta_forecast(history, steps, season)
    if name == "seasonal_naive" and 1 < season <= len(history):
        last_season = history[len(history) - season :]
        return last_season[np.arange(steps) % season].astype(np.float64)
    if name in ("naive", "seasonal_naive"):
        return np.full(steps, float(history[-1]))
    raise ValueError(f"unknown simple forecast {name!r}; valid: {BASELINES}")


def validation_window_starts(length: int, held_out: int, horizon: int) -> range:
    """Forecast starts of a series' validation windows (stride 1), as the network's validation
    loader orders them: the first forecasts step ``length - held_out``, the last ends at the end."""
    return range(length - held_out, length - horizon + 1) if held_out else range(0)


def baseline_residuals(
    name: str,
    series: Sequence[Series],
    held_out: Sequence[int],
    scalers: Sequence[StandardScaler],
    horizon: int,
    season: int,
    history: int,
) -> np.ndarray:
    """Errors ``truth - forecast`` (N, H) of a simple forecast on every validation window, in
    scaled units, in the order of the network's validation loader; each forecast reads up to
    ``history`` steps before its window."""
    rows = []
    for s, n_val, scaler in zip(series, held_out, scalers, strict=True):
        std = float(scaler.std_[0])
        for start in validation_window_starts(len(s), n_val, horizon):
            forecast = baseline_forecast(name, s.target[max(0, start - history) : start], horizon, season)
            rows.append((s.target[start : start + horizon] - forecast) / std)
    return np.asarray(rows, dtype=np.float64).reshape(-1, horizon)


def choose(errors: dict[str, float]) -> tuple[str, str]:
    """The candidate with the lowest error -- the network or the ensemble only if strictly better
    than every simple forecast in ``errors`` (one that could not run is left out; of simple
    forecasts tied within float noise the first of :data:`BASELINES`) -- and why."""
    candidates = [name for name in BASELINES if name in errors]
    best = min(errors[name] for name in candidates)
    # the first (simplest) within float noise of the best: on an exactly periodic series the
    # seasonal naive and Theta both err by ~1e-15 and rounding must not decide
    simple = next(name for name in candidates if errors[name] <= best + 1e-9 * max(1.0, abs(best)))
    learned = min((name for name in ("xlstm", "ensemble") if name in errors), key=lambda name: errors[name])
    if errors[learned] < errors[simple]:
        return learned, (
            f"{learned}'s validation MAE {errors[learned]:.4g} beats {simple}'s {errors[simple]:.4g} (scaled units)"
        )
    return simple, (
        f"{simple}'s validation MAE {errors[simple]:.4g} is not beaten by the network's {errors['xlstm']:.4g} "
        f"(scaled units): the simple forecast is used"
    )
