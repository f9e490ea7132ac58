"""Forecast the horizon after the end of a frame with a saved run's network (``xlstm-ts predict``).

The frame has a date column and the run's input channels; the last ``lookback`` rows are scaled
with the run's saved training statistics, forecast, unscaled, and dated one step after another
(the benchmark's frequency, anchored on the frame's own dates -- weekly data on Tuesdays continues
on Tuesdays --, else the step of the frame's dates).

Nothing is guessed or dropped silently: the dates must parse (numbers are refused, not read as
nanoseconds since 1970), be unique, and the rows the model reads must be one step apart and hold
finite numbers; unsorted rows are sorted by date. Rows before the last ``lookback`` are not read
(only their dates must parse). Dates with mixed UTC offsets (local time across a DST change) are
converted to UTC, which keeps every instant.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from pandas.tseries.frequencies import to_offset

from xlstm_ts.pipeline.run_dir import OpenedRun, open_run

MAX_SCALED = 1e6
"""Largest |standardized value| the network is fed: data a million training standard deviations
away is a unit or a file mix-up, and overflows the float32 network (NaN forecasts)."""


def predict_run(run: OpenedRun | str | Path, frame: pd.DataFrame, *, source: str = "input") -> pd.DataFrame:
    """The forecast of the ``horizon`` steps after the last row of ``frame``.

    Args:
        run: an opened run or a run directory written by ``xlstm-ts fit``.
        frame: a ``date`` column (else the first column holds the dates) and the model's channels.
        source: how error messages name the frame (the CLI passes the CSV path).
    Returns:
        A frame with ``date`` (the future timestamps) and one column per output channel, in the
        data's units; ``attrs["freq"]`` is the step used (an offset string such as ``"h"``).
    Raises:
        TypeError: ``frame`` is not a pandas DataFrame.
        ValueError: no columns, dates that are numbers, unparseable, missing or duplicated,
            missing or non-numeric channels, fewer rows than the lookback, NaN or infinite values
            in the last ``lookback`` rows, rows there not one step apart, dates at another step
            than the model's, values far outside the training range, or no way to infer the step.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"{source} must be a pandas DataFrame, got {type(frame).__module__}.{type(frame).__name__}: pass a pandas "
            f"frame (polars: frame.to_pandas())"
        )
    if not isinstance(run, OpenedRun):
        run = open_run(run)
    network, description = run.network, run.description
    lookback, horizon = description["config"]["lookback"], description["config"]["horizon"]
    channels: list[str] = description["channel_names"]
    outputs: list[str] = description.get("output_names") or channels
    if frame.shape[1] == 0:
        raise ValueError(f"{source} has no columns; give a 'date' column and the model's channels {channels}")
    if len(set(frame.columns)) != len(frame.columns):
        duplicated = sorted({str(c) for c in frame.columns if list(frame.columns).count(c) > 1})
        raise ValueError(f"{source} has duplicated column names {duplicated}; rename or drop them")
    date_column = "date" if "date" in frame.columns else frame.columns[0]
    missing = [c for c in channels if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{source} lacks the model's channels {missing}; it has {list(frame.columns)}: give a 'date' column and "
            f"the channels {channels}"
        )
    if date_column in channels:
        raise ValueError(
            f"{source} has no 'date' column (its first column {date_column!r} is a channel of the model); give the "
            f"dates in a column named 'date'"
        )
    if len(frame) < lookback:
        raise ValueError(
            f"{source} has {len(frame)} rows; the model needs the last {lookback} (its lookback): give at least "
            f"{lookback} rows"
        )
    dates, in_utc = _parse_dates(frame[date_column], date_column, source)
    duplicated = dates.duplicated(keep="first").to_numpy()
    if duplicated.any():
        first = int(np.flatnonzero(duplicated)[0])
        raise ValueError(
            f"{source}: column {date_column!r} has {int(duplicated.sum())} duplicated date(s), the first "
            f"{dates.iloc[first]} at row {first}; drop or aggregate the duplicated rows"
        )
    order = np.argsort(dates.to_numpy(), kind="stable")  # unsorted rows: sorted by date
    frame, dates = frame.iloc[order], dates.iloc[order].reset_index(drop=True)
    rows = np.asarray(frame.index)[-lookback:]  # the frame's labels, for messages
    values = _channel_values(frame.iloc[-lookback:], channels, source, lookback)
    window = pd.DatetimeIndex(dates.iloc[-lookback:])
    offset = _step(window, description.get("freq"), date_column, source)
    expected = pd.date_range(window[0], periods=len(window), freq=offset)
    if not expected.equals(window):
        bad = int(np.flatnonzero(np.asarray(expected != window))[0])
        raise ValueError(
            f"{source}: the last {lookback} rows (the model's input) are not one step ({offset.freqstr}) apart in "
            f"column {date_column!r}: row {rows[bad]} is {window[bad]}, expected {expected[bad]}; give consecutive "
            f"rows (fill in the missing steps) at the model's frequency"
            + (
                " (the dates mix UTC offsets, e.g. local time across a DST change, and were compared in UTC: write "
                "them in one offset or without offsets)"
                if in_utc
                else ""
            )
        )
    scaler = run.scaler
    x = scaler.transform(values) if scaler is not None else values
    worst = np.abs(x).max(axis=0)
    if scaler is not None and not (worst <= MAX_SCALED).all():
        col = int(np.flatnonzero(~(worst <= MAX_SCALED))[0])
        raise ValueError(
            f"{source}: column {channels[col]!r} has values up to {float(np.abs(values[:, col]).max()):.3g}, "
            f"{float(worst[col]):.3g} training standard deviations from the training mean "
            f"{float(scaler.mean_[col]):.4g}; the model cannot forecast from there: check the column's units "
            f"(rescale it to the training data's)"
        )
    inputs = torch.as_tensor(x, dtype=torch.float32)[None]  # (1, L, C_in)
    settings = description["config"]  # a seed ensemble's holds its members' under "network"
    cycle = int(settings.get("cycle_length") or (settings.get("network") or {}).get("cycle_length") or 0)
    if cycle > 0:  # the phase channel: steps from the training file's first date, modulo the cycle
        phase = _cycle_phase(window[0], description.get("cycle_anchor"), offset, cycle, source)
        inputs = torch.cat([inputs, torch.remainder(torch.arange(lookback) + phase, cycle).float()[None, :, None]], -1)
    with torch.no_grad():
        y = network(inputs).double().numpy()[0]  # (H, C_out)
    if scaler is not None:
        y = scaler.inverse_transform(y, description.get("output_channels"))
    if not np.isfinite(y).all():
        col = int(np.flatnonzero(~np.isfinite(y).all(axis=0))[0])
        raise ValueError(
            f"{source}: the forecast of {outputs[col]!r} is not finite (NaN/inf) although its inputs are; check the "
            f"input's units against the training data's"
        )
    future = pd.date_range(window[-1] + offset, periods=horizon, freq=offset)
    result = pd.DataFrame(y, columns=outputs)
    result.insert(0, "date", future)
    result.attrs["freq"] = offset.freqstr
    return result


def _parse_dates(column: pd.Series, name: Any, source: str) -> tuple[pd.Series, bool]:
    """The dates of ``column`` (a datetime Series, tz-aware if the input is), and whether mixed
    UTC offsets were converted to UTC; refuses numbers."""
    in_utc = False
    if pd.api.types.is_datetime64_any_dtype(column):
        parsed = pd.Series(pd.DatetimeIndex(column))
    else:
        kind = pd.api.types.infer_dtype(column, skipna=True)
        if pd.api.types.is_numeric_dtype(column) or kind in ("integer", "floating", "mixed-integer-float", "decimal",
                                                             "boolean", "complex"):
            raise ValueError(
                f"{source}: column {name!r} holds numbers ({column.dtype}), not dates; give the dates (e.g. "
                f"2020-01-01 00:00) in a column named 'date'"
            )
        try:
            with warnings.catch_warnings():  # pandas announces that mixed offsets will need utc=True
                warnings.simplefilter("ignore", FutureWarning)
                parsed = pd.to_datetime(column, errors="coerce")
        except (ValueError, TypeError) as err:
            if "utc=True" not in str(err) and "mixed time zones" not in str(err).lower():
                raise ValueError(
                    f"{source}: column {name!r} could not be parsed as dates ({err}); fix or drop those rows"
                ) from None
            parsed = None
        if parsed is None or not pd.api.types.is_datetime64_any_dtype(parsed):
            # mixed UTC offsets (local time across a DST change): pandas raises or returns objects;
            # in UTC every instant is kept -- but naive dates among them would be read as UTC: refused
            aware = set()
            for value in column.dropna():
                try:
                    stamp = pd.Timestamp(value)
                except (ValueError, TypeError):
                    continue
                if stamp is not pd.NaT:
                    aware.add(stamp.tzinfo is not None)
            if len(aware) > 1:
                raise ValueError(
                    f"{source}: column {name!r} mixes dates with and without a UTC offset; write all of them with "
                    f"an offset or all without"
                )
            try:
                parsed = pd.to_datetime(column, errors="coerce", utc=True)
            except (ValueError, TypeError) as err:
                raise ValueError(
                    f"{source}: column {name!r} could not be parsed as dates ({err}); fix or drop those rows"
                ) from None
            in_utc = True
        parsed = pd.Series(pd.DatetimeIndex(parsed))
    bad = parsed.isna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{source}: column {name!r} has {int(bad.sum())} missing or unparseable date(s), the first at row "
            f"{column.index[first]} ({column.iloc[first]!r}); fix or drop those rows"
        )
    return parsed, in_utc


def _channel_values(window: pd.DataFrame, channels: list[str], source: str, lookback: int) -> np.ndarray:
    """(lookback, C) float64 values of the channels in the rows the model reads; every one finite."""
    columns = []
    for name in channels:
        column = window[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_complex_dtype(column):
            numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            text = np.isnan(numbers) & column.notna().to_numpy()
            if text.any():
                first = int(np.flatnonzero(text)[0])
                raise ValueError(
                    f"{source}: column {name!r} has a value that is not a number, {column.iloc[first]!r} at row "
                    f"{window.index[first]} (within the last {lookback} rows, the model's input); convert or fix it"
                )
        bad = ~np.isfinite(numbers)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{source}: column {name!r} has {int(bad.sum())} NaN or infinite value(s) in the last {lookback} rows "
                f"(the model's input), the first at row {window.index[first]}; fill them in or give a later window"
            )
        columns.append(numbers)
    return np.column_stack(columns)


def _step(window: pd.DatetimeIndex, freq: str | None, name: Any, source: str) -> pd.DateOffset:
    """The step of the model (the benchmark's ``freq``, anchored on the data's dates), else of the dates."""
    with warnings.catch_warnings():  # pandas 3 announces that infer_freq will return an offset
        warnings.filterwarnings("ignore", message=".*infer_freq.*")
        own = pd.infer_freq(window) if len(window) >= 3 else None
    if freq:
        offset = to_offset(freq)
        if own is not None:
            mine = to_offset(own)
            if mine != offset:
                if type(mine) is type(offset) and mine.n == offset.n:
                    return mine  # the same step on another anchor: weekly on Tuesdays for a "W" (Sunday) model
                raise ValueError(
                    f"{source}: column {name!r} steps by {mine.freqstr}, the model was trained on {offset.freqstr} "
                    f"data; give data at the model's frequency (resample it)"
                )
        if not offset.is_on_offset(window[0]):
            if isinstance(offset, pd.offsets.Week) and offset.weekday is not None:
                return pd.offsets.Week(offset.n, weekday=window[0].weekday())
            raise ValueError(
                f"{source}: column {name!r} starts at {window[0]}, off the model's {offset.freqstr} grid; give "
                f"dates on that grid"
            )
        return offset
    if own is not None:
        return to_offset(own)
    steps = np.unique(np.diff(window.asi8))
    if len(steps) == 1:
        return to_offset(pd.Timedelta(int(steps[0]), unit="ns"))
    raise ValueError(f"{source}: cannot infer the time step from column {name!r}; give consecutive, regular dates")


def _cycle_phase(start: pd.Timestamp, anchor: str | None, offset: pd.DateOffset, cycle: int, source: str) -> int:
    """The cycle phase of ``start``: whole steps of ``offset`` from the training file's first date."""
    if anchor is None:
        raise ValueError("the run's model.json lacks cycle_anchor (the first date of its data): refit the run")
    first = pd.Timestamp(anchor)
    if start.tzinfo is not None:  # the benchmark dates are naive wall-clock times
        start = start.tz_localize(None)
    if not isinstance(offset, pd.offsets.Tick):
        raise ValueError(f"a network with a cycle needs a fixed time step, not {offset.freqstr}")
    steps = (start - first) / pd.Timedelta(offset)
    if steps != round(steps):
        raise ValueError(
            f"{source}: the window starts at {start}, off the model's {offset.freqstr} grid from {first}; "
            f"give dates on that grid"
        )
    return int(round(steps)) % cycle

