"""Future covariates: the ``future=`` frame parsed into per-series tables and looked up by time."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from xlstm_ts.forecasting.frames.layout import (
    FrameLayout,
    _covariate_matrix,
    _id_value,
    _parse_time,
    as_pandas,
    check_same_columns,
)


# --------------------------------------------------------------------------- future covariates
FutureTables = dict[Any, tuple[pd.Index | None, np.ndarray]]
"""Series id (None: shared by every series) -> (time axis or None for numpy rows, (n, K) values)."""


def read_future(data: Any, layout: FrameLayout, id_col: Hashable, what: str = "future") -> FutureTables:
    """Parse the ``future=`` frame of covariate values (its form follows ``layout``).

    Long: columns id, time, covariates. Wide: the time column (or DatetimeIndex) and the covariates.
    numpy: an array (steps, K) of the steps right after the end of the series.
    """
    covariates = list(layout.future_covariates)
    if layout.library == "numpy" or isinstance(data, np.ndarray):
        array = np.asarray(data, dtype=np.float64)
        if array.ndim == 1 and len(covariates) == 1:
            array = array[:, None]
        if array.ndim != 2 or array.shape[1] != len(covariates):
            raise ValueError(
                f"{what} must be an array (steps, {len(covariates)}) of the covariates {covariates}; "
                f"got shape {array.shape}"
            )
        _check_future_finite(array, what, covariates)
        return {None: (None, array)}
    frame, _ = as_pandas(data, what)
    if layout.form == "long":
        expected = [id_col, layout.time_col, *covariates]
        check_same_columns(frame, layout, what, expected)
        times = _parse_time(frame[layout.time_col], layout.time_col, what)
        values = _covariate_matrix(frame, covariates)
        _check_future_finite(values, what, covariates)
        tables: FutureTables = {}
        codes, uniques = pd.factorize(frame[id_col], sort=False)
        for code, series_id in enumerate(uniques):
            rows = np.flatnonzero(codes == code)
            tables[_id_value(series_id)] = (times[rows], values[rows])
        return tables
    if layout.time_in_index and isinstance(frame.index, pd.DatetimeIndex):
        check_same_columns(frame, layout, what, covariates)
        times = pd.DatetimeIndex(frame.index)
    else:
        check_same_columns(frame, layout, what, [layout.time_col, *covariates])
        times = _parse_time(frame[layout.time_col], layout.time_col, what)
    values = _covariate_matrix(frame, covariates)
    _check_future_finite(values, what, covariates)
    return {None: (times, values)}


def future_values(tables: FutureTables, key: Any, wanted: pd.Index, series_id: Hashable) -> np.ndarray:
    """The covariate rows at the ``wanted`` times (error naming the first absent one)."""
    if key not in tables:
        raise ValueError(f"future= has no rows for series {series_id!r}; it has the ids {list(tables)[:10]}")
    times, values = tables[key]
    if times is None:  # numpy: rows are the steps right after the end
        if len(values) < len(wanted):
            raise ValueError(
                f"future= has {len(values)} rows; {len(wanted)} steps of covariates are needed "
                f"(whole blocks of horizon)"
            )
        return values[: len(wanted)]
    if times.has_duplicates:
        raise ValueError(f"future= has duplicated timestamps for series {series_id!r}")
    position = pd.Index(times).get_indexer(wanted)
    absent = position < 0
    if absent.any():
        first = int(np.flatnonzero(absent)[0])
        raise ValueError(
            f"future= lacks the covariates of series {series_id!r} at {wanted[first]} ({int(absent.sum())} of the "
            f"{len(wanted)} needed steps {wanted[0]} .. {wanted[-1]} are absent; the network forecasts whole blocks "
            f"of horizon steps)"
        )
    return values[position]


def _check_future_finite(values: np.ndarray, what: str, covariates: Sequence[Hashable]) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(v[0]) for v in np.nonzero(bad))
        raise ValueError(
            f"{what} has {int(bad.sum())} missing or infinite covariate value(s) (NaN/inf), the first in column "
            f"{covariates[col]!r} at row {row}; future covariates must be complete"
        )
