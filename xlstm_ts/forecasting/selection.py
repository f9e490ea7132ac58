"""The default model choice: the xLSTM network, a simple forecast, or an equal-weight mean of
several of them, decided on held-out windows.

With ``model="auto"`` (the default) the estimator scores, on the validation windows of the
training data (the last ``validation_size`` steps of each series, never trained on), the five
members -- the seasonal naive forecast (repeat the last season), the naive forecast (repeat the
last value), the standard Theta method (:mod:`xlstm_ts.models.theta`), damped-trend exponential
smoothing ("ets", :mod:`xlstm_ts.models.ets`) and the network -- and every equal-weight mean of
two or more of them (31 candidates), by the mean absolute error in each series' own scaled units,
and keeps the best. Candidates are ordered simplest first (single simple forecasts, means of
simple forecasts, the network, means with the network); a later one is kept only when strictly
better than every earlier one, so the default is never worse than seasonal naive on that backtest
and the network runs only when it earns its place. ``fit_info_["model_selection"]`` holds the
errors and the reason.

Combining beats picking on held-out data because single validation windows are noisy: on the
development panel of ``experiments/panel_series.py`` (20 series-origins never reported as
results) the geometric-mean MASE went from 0.765 (the best of the network, its mean with the best
simple forecast, and three simple forecasts) to 0.704 with the means.

Every simple forecast reads the last :func:`history_steps` steps (up to :data:`SIMPLE_HISTORY`,
never fewer than the network's ``lookback``), on validation as after ``fit``, so what validation
measured is what ``predict`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from xlstm_ts.data.scaling import StandardScaler
from xlstm_ts.forecasting.frames import Series
from xlstm_ts.models.ets import ets_forecast
from xlstm_ts.models.theta import theta_forecast

MODELS = ("auto", "xlstm")
"""Valid values of the estimator's ``model``."""
CHOICES = ("xlstm", "ensemble", "seasonal_naive", "naive", "theta", "ets")
"""What can forecast after ``model="auto"`` ("ensemble": the equal-weight mean of the members in
``FittedState.ensemble_members``)."""
BASELINES = ("seasonal_naive", "naive", "theta", "ets")
"""The simple forecasts the network must beat, simplest first."""
MEMBERS = (*BASELINES, "xlstm")
"""What a mean may combine."""
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
    standard Theta method with season m (see :func:`~xlstm_ts.models.theta.theta_forecast`); "ets":
    damped-trend exponential smoothing on the seasonally adjusted series
    (:func:`~xlstm_ts.models.ets.ets_forecast`).
    """
    if name == "theta":
        return theta_forecast(history, steps, season)
    if name == "ets":
        return ets_forecast(history, steps, season)
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


def candidates(available: Sequence[str]) -> list[tuple[str, ...]]:
    """The candidates over the ``available`` members, simplest first: each simple forecast (in
    :data:`BASELINES` order), the means of 2+ simple forecasts, the network, the means with it."""
    simple = [name for name in BASELINES if name in available]
    out: list[tuple[str, ...]] = [(name,) for name in simple]
    out += [group for k in range(2, len(simple) + 1) for group in combinations(simple, k)]
    if "xlstm" in available:
        pool = [*simple, "xlstm"]
        out.append(("xlstm",))
        out += [group for k in range(2, len(pool) + 1) for group in combinations(pool, k) if "xlstm" in group]
    return out


def uses_network(chosen: str, members: Sequence[str] | None) -> bool:
    """Whether the network forecasts for the choice ``chosen`` ("ensemble": of ``members``)."""
    return chosen == "xlstm" or (chosen == "ensemble" and "xlstm" in (members or ()))


def label(members: Sequence[str]) -> str:
    """A candidate's name in ``fit_info_``: the member, or ``mean(a+b+...)``."""
    return members[0] if len(members) == 1 else "mean(" + "+".join(members) + ")"


def mean_residuals(residuals: dict[str, np.ndarray], members: Sequence[str]) -> np.ndarray:
    """(N, H): the errors of the equal-weight mean of ``members`` (the mean of their errors)."""
    return np.mean([residuals[name] for name in members], axis=0)


def choose(residuals: dict[str, np.ndarray]) -> tuple[tuple[str, ...], dict[str, float], str]:
    """The best candidate on the validation errors ``residuals`` (member -> (N, H); a member that
    could not run is left out): its members, every candidate's mean absolute error (by
    :func:`label`) and why. A candidate is kept only when strictly better than every simpler one
    (beyond float noise: on an exactly periodic series seasonal naive and Theta both err by ~1e-15
    and rounding must not decide)."""
    errors: dict[str, float] = {}
    best: tuple[str, ...] | None = None
    for members in candidates(list(residuals)):
        error = float(np.abs(mean_residuals(residuals, members)).mean())
        errors[label(members)] = error
        if best is None or error < errors[label(best)] - 1e-9 * max(1.0, abs(errors[label(best)])):
            best = members
    if best is None:
        raise ValueError(f"no simple forecast to compare with; got errors of {sorted(residuals)}")
    name = label(best)
    if len(best) == 1 and best[0] in BASELINES:
        simple = best[0]
        why = f"{simple}'s validation MAE {errors[simple]:.4g} is not beaten by any other candidate (scaled units)"
    else:
        simple = min((m for m in BASELINES if m in residuals), key=lambda m: errors[m])
        why = (f"{name}'s validation MAE {errors[name]:.4g} is the lowest of {len(errors)} candidates "
               f"(the best single simple forecast, {simple}: {errors[simple]:.4g}; the network: "
               f"{errors.get('xlstm', float('nan')):.4g}; scaled units)")
    return best, errors, why
