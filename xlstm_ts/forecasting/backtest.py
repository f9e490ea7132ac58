"""Rolling-origin backtests (``XLSTMForecaster.cross_validation``): where the windows lie, the
truncated histories the models are fitted on, and the long result frame.

Each series is backtested at its own end: window ``k`` of ``n_windows`` forecasts the ``horizon``
steps after a cutoff, the last window ending at the series' last step and the earlier ones
``step_size`` steps apart. The result has one row per series x cutoff x step, like
statsforecast's and NeuralForecast's ``cross_validation``: the id, the time, ``cutoff`` (the last
time step of the history), the true value (the target column) and ``forecast`` (plus its quantile
and interval columns).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlstm_ts.forecasting.frames import Series

FORECAST_COLUMN = "forecast"
"""Name of the point-forecast column of a backtest frame."""


@dataclass(frozen=True)
class BacktestWindow:
    """One forecast origin of one series."""

    series_index: int
    """Position of the series in the list given to :func:`plan_windows`."""
    start: int
    """Steps of history (the forecast starts at this index of the series)."""


def plan_windows(
    series: Sequence[Series], horizon: int, n_windows: int, step_size: int, min_history: int
) -> list[list[BacktestWindow]]:
    """The windows of every series, grouped by rank (oldest first): ``plan[k]`` holds window ``k``
    of each series.

    Raises:
        ValueError: a series is too short to leave ``min_history`` steps before its first window.
    """
    plan: list[list[BacktestWindow]] = [[] for _ in range(n_windows)]
    for index, s in enumerate(series):
        last_start = len(s) - horizon
        first_start = last_start - (n_windows - 1) * step_size
        if first_start < min_history:
            need = min_history + (n_windows - 1) * step_size + horizon
            raise ValueError(
                f"series {s.id!r} has {len(s)} time steps; {n_windows} backtest window(s) of horizon={horizon} "
                f"every step_size={step_size} steps after {min_history} steps of history need at least {need}: "
                f"give longer series, fewer n_windows or a smaller step_size"
            )
        for k in range(n_windows):
            plan[k].append(BacktestWindow(index, first_start + k * step_size))
    return plan


def truncate(series: Series, length: int) -> Series:
    """The first ``length`` steps of ``series`` (target, covariates and time alike)."""
    return Series(series.id, series.time[:length], series.target[:length], series.covariates[:length],
                  series.rows[:length])


def backtest_rows(
    series: Series,
    window: BacktestWindow,
    horizon: int,
    point: np.ndarray,
    extra: dict[str, np.ndarray],
    *,
    id_col: Hashable,
    time_col: Hashable,
    target_col: Hashable,
) -> pd.DataFrame:
    """The ``horizon`` rows of one window: id, time, cutoff, true value, forecast and ``extra`` columns."""
    start = window.start
    rows: dict[Hashable, object] = {
        id_col: [series.id] * horizon,
        time_col: series.time[start : start + horizon],
        "cutoff": [series.time[start - 1]] * horizon,
        target_col: series.target[start : start + horizon],
        FORECAST_COLUMN: point,
    }
    rows.update(extra)
    return pd.DataFrame(rows)
