"""Outputs: forecasts written back into the fit frame's library and form, and read back in."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from xlstm_ts.forecasting.frames.layout import FrameLayout, _id_value, _parse_time, as_pandas


# --------------------------------------------------------------------------- outputs
def quantile_column(name: Hashable, level: float) -> str:
    """Column of quantile ``level`` of output ``name``: ``"y_q0.1"``."""
    return f"{name}_q{level:g}"


def build_output(
    layout: FrameLayout,
    ids: Sequence[Hashable],
    times: Sequence[pd.Index],
    point: Sequence[np.ndarray],
    quantiles: Sequence[dict[float, np.ndarray]] | None,
    intervals: Sequence[dict[str, np.ndarray]] | None = None,
) -> Any:
    """Forecasts in the fit frame's library and form.

    Wide: the time axis (same column or index name) and, per target, its point column, its
    quantile columns, then its interval columns (``<name>-lo-80``, ...). Long: id, time, target,
    then the quantile and interval columns. numpy: the wide values.
    """
    if layout.form == "long":
        parts = []
        for k, series_id in enumerate(ids):
            part: dict[Hashable, Any] = {
                layout.id_col: [series_id] * len(times[k]),
                layout.time_col: _restore_time(times[k], layout),
                layout.target_col: point[k],
            }
            if quantiles is not None:
                for level, values in quantiles[k].items():
                    part[quantile_column(layout.target_col, level)] = values
            if intervals is not None:
                for suffix, values in intervals[k].items():
                    part[f"{layout.target_col}-{suffix}"] = values
            parts.append(pd.DataFrame(part))
        frame = pd.concat(parts, ignore_index=True)
        if layout.id_dtype is not None:
            try:
                frame[layout.id_col] = frame[layout.id_col].astype(layout.id_dtype)
            except (TypeError, ValueError):
                pass
    else:
        index = times[0]
        if any(not t.equals(index) for t in times[1:]):
            raise AssertionError("wide-form series must share one time axis")
        columns: dict[Hashable, Any] = {}
        for k, name in enumerate(ids):
            columns[name] = point[k]
            if quantiles is not None:
                for level, values in quantiles[k].items():
                    columns[quantile_column(name, level)] = values
            if intervals is not None:
                for suffix, values in intervals[k].items():
                    columns[f"{name}-{suffix}"] = values
        if layout.library == "numpy":
            return np.column_stack(list(columns.values()))
        frame = pd.DataFrame(columns)
        time = _restore_time(index, layout)
        if layout.time_in_index:
            frame.index = pd.Index(time, name=layout.time_col)
        else:
            frame.insert(0, layout.time_col, time)
    if layout.library == "polars":
        import polars as pl

        return pl.from_pandas(frame)
    return frame


def _restore_time(time: pd.Index, layout: FrameLayout) -> Any:
    try:
        return (
            np.asarray(time.astype(layout.time_dtype))
            if layout.time_kind == "integer"
            else time.astype(layout.time_dtype)
        )
    except (TypeError, ValueError):
        return time


# --------------------------------------------------------------------------- forecasts back in
def read_forecast(
    data: Any, layout: FrameLayout, levels: Sequence[float] | None, ids: Sequence[Hashable], starts: Sequence[pd.Index]
) -> dict[Hashable, tuple[pd.Index, np.ndarray, dict[float, np.ndarray]]]:
    """Parse a frame returned by ``predict`` back into ``{id: (times, point, {level: values})}``.

    ``starts`` gives, per id, the time axis a numpy forecast (which has none) is placed on.
    """
    names = list(levels or [])
    out: dict[Hashable, tuple[pd.Index, np.ndarray, dict[float, np.ndarray]]] = {}
    if isinstance(data, np.ndarray):
        width = 1 + len(names)
        if data.ndim != 2 or data.shape[1] != width * len(ids):
            raise ValueError(f"forecast array of shape {data.shape} does not match {len(ids)} series x {width} columns")
        for k, series_id in enumerate(ids):
            block = data[:, k * width : (k + 1) * width]
            out[series_id] = (starts[k][: len(block)], block[:, 0], {q: block[:, 1 + j] for j, q in enumerate(names)})
        return out
    frame, _ = as_pandas(data, "forecast")
    if layout.form == "long":
        times = _parse_time(frame[layout.time_col], layout.time_col, "forecast")
        codes, uniques = pd.factorize(frame[layout.id_col], sort=False)
        for code, series_id in enumerate(uniques):
            rows = np.flatnonzero(codes == code)
            point = frame[layout.target_col].to_numpy(dtype=np.float64)[rows]
            bands = {q: frame[quantile_column(layout.target_col, q)].to_numpy(dtype=np.float64)[rows] for q in names}
            out[_id_value(series_id)] = (times[rows], point, bands)
        return out
    if layout.time_in_index and isinstance(frame.index, pd.DatetimeIndex):
        times = pd.DatetimeIndex(frame.index)
    else:
        times = _parse_time(frame[layout.time_col], layout.time_col, "forecast")
    for name in layout.targets:
        if name not in frame.columns:
            continue
        bands = {q: frame[quantile_column(name, q)].to_numpy(dtype=np.float64) for q in names}
        out[name] = (times, frame[name].to_numpy(dtype=np.float64), bands)
    return out
