"""The time axis: frequency inference, the regular time grid, future time stamps and seasonality."""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from xlstm_ts.forecasting.frames.layout import Series, TimeKind


def infer_frequency(series: Sequence[Series], freq: Any, time_kind: TimeKind) -> Any:
    """The common step of every series: a pandas frequency string (datetime axes) or an int step.

    With ``freq`` given the rows must lie on its grid (absent steps are filled in later, see
    :func:`regularize`). Without it, each series' step is inferred by ``pandas.infer_freq``; an
    irregular axis is an error that names the first irregular step and suggests ``freq=``.
    """
    if time_kind == "integer":
        if freq is not None and not (isinstance(freq, (int, np.integer)) and not isinstance(freq, bool) and freq >= 1):
            raise ValueError(
                f"freq for integer time steps must be a positive int; got {freq!r}: pass the step as an int (e.g. "
                f"freq=1) or freq=None to infer it"
            )
        if freq is not None:
            return int(freq)
        steps = set()
        for s in series:
            diffs = np.diff(np.asarray(s.time, dtype=np.int64))
            if len(diffs) == 0:
                continue
            values, counts = np.unique(diffs, return_counts=True)
            if len(values) > 1:
                common = int(values[np.argmax(counts)])
                bad = int(np.flatnonzero(diffs != common)[0])
                raise ValueError(
                    f"irregular time steps in series {s.id!r}: the step from {s.time[bad]} to {s.time[bad + 1]} "
                    f"is {int(diffs[bad])}, the most common step is {common}; pass freq={common} to treat the "
                    f"absent steps as missing values (see fill_missing=)"
                )
            steps.add(int(values[0]))
        if len(steps) > 1:
            raise ValueError(
                f"the series have different integer time steps {sorted(steps)}; forecast them with separate models, "
                f"or pass freq={min(steps)} if the longer steps are absent steps (missing values)"
            )
        return steps.pop() if steps else 1

    if freq is not None:
        try:
            offset = to_offset(freq)
        except (ValueError, TypeError) as err:
            raise ValueError(
                f"freq={freq!r} is not a pandas frequency alias: {err}; pass an alias such as 'h', '15min', 'D', 'W'"
            ) from None
        return offset.freqstr
    found: dict[str, Hashable] = {}
    for s in series:
        if len(s.time) < 3:
            raise ValueError(
                f"series {s.id!r} has {len(s.time)} time step(s) (n_samples={len(s.time)}): too few to infer a "
                f"frequency (3 needed) or to train; pass freq= or give a longer series"
            )
        inferred = _infer_freq(s.time)
        if inferred is None:
            raise ValueError(_irregular_message(s))
        found.setdefault(inferred, s.id)
    if len(found) > 1:
        detail = ", ".join(f"{sid!r}: {f}" for f, sid in found.items())
        raise ValueError(f"the series have different frequencies ({detail}); forecast them with separate models")
    return next(iter(found))


def regularize(series: Series, freq: Any, time_kind: TimeKind) -> Series:
    """Put ``series`` on its full time grid: absent steps become rows of NaN (then handled by the
    missing-value policy). Raises if a timestamp is off the grid of ``freq``."""
    grid = time_grid(series.time[0], series.time[-1], freq, time_kind)
    if len(grid) == len(series.time) and grid.equals(series.time):
        return series
    off_grid = ~series.time.isin(grid)
    if off_grid.any():
        first = int(np.flatnonzero(off_grid)[0])
        raise ValueError(
            f"series {series.id!r}: timestamp {series.time[first]} (row {int(series.rows[first])} of the frame) is not "
            f"on the {freq!r} grid that starts at {series.time[0]}; check freq= (e.g. 'W-MON' for weeks on Mondays)"
        )
    position = grid.get_indexer(series.time)
    target = np.full(len(grid), np.nan)
    target[position] = series.target
    covariates = np.full((len(grid), series.covariates.shape[1]), np.nan)
    covariates[position] = series.covariates
    rows = np.full(len(grid), -1, dtype=np.int64)
    rows[position] = series.rows
    return Series(series.id, grid, target, covariates, rows)


def time_grid(start: Any, end: Any, freq: Any, time_kind: TimeKind) -> pd.Index:
    """Every step from ``start`` to ``end`` (inclusive)."""
    if time_kind == "integer":
        start, end, step = int(start), int(end), int(freq)
        count = (end - start) // step + 1  # Python ints: end + 1 may lie past the int64 limit
        return pd.Index(start + step * np.arange(count, dtype=np.int64))
    grid = pd.date_range(start, end, freq=to_offset(freq))
    if len(grid) == 0 or grid[0] != start:
        return pd.DatetimeIndex([start]).append(grid)  # start off the grid: caught by the caller
    return grid


def future_times(last: Any, freq: Any, steps: int, time_kind: TimeKind, name: Hashable = None) -> pd.Index:
    """The ``steps`` time stamps after ``last`` (``name``: the time column, for the error message).

    Raises:
        ValueError: integer steps past the int64 limit (numpy would wrap them around silently).
    """
    if time_kind == "integer":
        end = int(last) + int(freq) * steps
        if end > np.iinfo(np.int64).max:
            column = f"time column {name!r}" if name is not None else "integer time axis"
            raise ValueError(
                f"{column}: the {steps} time steps after {int(last)} (step {int(freq)}) pass the int64 limit "
                f"{np.iinfo(np.int64).max}; shift the time column (e.g. subtract its first value) before fit/predict"
            )
        return pd.Index(int(last) + int(freq) * np.arange(1, steps + 1, dtype=np.int64))
    offset = to_offset(freq)
    return pd.date_range(pd.Timestamp(last) + offset, periods=steps, freq=offset)


def season_length(freq: Any, time_kind: TimeKind) -> int:
    """The main seasonal period in steps of ``freq``: the number of steps per day for sub-daily data
    (hourly: 24, 15min: 96), 7 for daily, 5 for business days, 52 for weekly, 12 for monthly,
    4 for quarterly, 1 otherwise (yearly, integer steps)."""
    if time_kind == "integer":
        return 1
    offset = to_offset(freq)
    prefix = rule_code(offset).split("-")[0]
    try:
        step = pd.Timedelta(offset)
    except (ValueError, TypeError):  # pandas 3.0 made Day a calendar offset
        step = pd.Timedelta(days=offset.n) if isinstance(offset, pd.offsets.Day) else None
    if prefix == "B":
        return max(1, round(5 / offset.n))
    if step is not None and step < pd.Timedelta(days=1):
        per_day = pd.Timedelta(days=1) / step
        return max(1, int(round(per_day)))
    if step is not None and step == pd.Timedelta(days=1):
        return 7
    if prefix == "W":
        return max(1, round(52 / offset.n))
    if prefix in ("M", "ME", "MS", "BM", "BME", "BMS", "SM", "SME", "SMS"):
        return max(1, round(12 / offset.n))
    if prefix in ("Q", "QE", "QS", "BQ", "BQE", "BQS"):
        return max(1, round(4 / offset.n))
    return 1


def rule_code(offset: Any) -> str:
    """The alias of an offset without its multiple: "h" for ``3h``, "W-SUN", "MS"."""
    return str(getattr(offset, "rule_code", "") or "")


def _infer_freq(time: pd.Index) -> str | None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*infer_freq.*")
        try:
            inferred = pd.infer_freq(time)
        except (TypeError, ValueError):
            return None
    if inferred is None:
        return None
    return to_offset(inferred).freqstr


def _irregular_message(s: Series) -> str:
    diffs = np.diff(np.asarray(s.time, dtype="datetime64[ns]").astype(np.int64))
    values, counts = np.unique(diffs, return_counts=True)
    common = int(values[np.argmax(counts)])
    bad = np.flatnonzero(diffs != common)
    common_td = pd.Timedelta(common, unit="ns")
    hint = _alias_of(common_td)
    if len(bad) == 0:  # equal steps that pandas still cannot name (e.g. 7 hours 3 minutes)
        return f"cannot infer a frequency for series {s.id!r}: its step {common_td} has no pandas alias; pass freq="
    i = int(bad[0])
    return (
        f"irregular timestamps in series {s.id!r}, cannot infer a frequency: the step from {s.time[i]} "
        f"(row {int(s.rows[i])} of the frame) to {s.time[i + 1]} is {pd.Timedelta(int(diffs[i]), unit='ns')}, "
        f"the most common step is {common_td}; "
        + (f"pass freq={hint!r} " if hint else "pass freq= ")
        + "to place the rows on that grid (absent steps then count as missing values, see fill_missing=)"
    )


def _alias_of(step: pd.Timedelta) -> str | None:
    try:
        return to_offset(step).freqstr
    except (ValueError, TypeError):
        return None


infer_freq = _infer_freq
"""Public name of :func:`_infer_freq`."""
