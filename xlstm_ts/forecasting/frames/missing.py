"""Missing values: the ``fill_missing`` policies applied to the target and covariates of a series."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from xlstm_ts.forecasting.frames.layout import FrameLayout, Series

MISSING_POLICIES = ("raise", "interpolate", "ffill")
"""Valid values of ``fill_missing``."""
LEADING_POLICIES = ("raise", "drop")
"""Valid values of ``leading_missing``: a series that starts with missing values is an error, or
starts at its first complete row."""


# --------------------------------------------------------------------------- missing values
def fill_missing_values(
    series: Series, policy: str, what: str, layout: FrameLayout, leading: str = "raise"
) -> Series:
    """Apply the missing-value policy to the target and covariates of one series.

    "raise": any NaN (or a step absent from the time grid) is an error with the count and the first
    position; "interpolate": linear in time, a trailing gap takes the last value; "ffill": carry the
    last value forward. Infinite values are always an error.

    A leading gap (missing values before the first complete row) is never filled -- that would
    invent history: with ``leading="raise"`` and a filling policy it is an error that says how many
    steps and where the data starts; ``leading="drop"`` starts the series at its first complete row.
    """
    values = np.column_stack([series.target, series.covariates])
    gap = _leading_gap(values)
    if gap and gap < len(values):
        if leading == "drop":
            series = Series(
                series.id, series.time[gap:], series.target[gap:], series.covariates[gap:], series.rows[gap:]
            )
            values = values[gap:]
        elif policy != "raise":
            col = int(np.flatnonzero(np.isnan(values[:gap]).any(axis=0))[0])
            raise ValueError(
                f"series {series.id!r} in {what} starts with {gap} step(s) with missing values (column "
                f"{_column_name(col, layout, series)!r}, from time {series.time[0]}; the first complete row is "
                f"{_position(series, gap)}): fill_missing={policy!r} would invent that history. Drop those rows, "
                f"or pass leading_missing='drop' to start the series at its first complete row"
            )
    if np.isinf(values).any():
        row, col = (int(v[0]) for v in np.nonzero(np.isinf(values)))
        raise ValueError(
            f"infinite value in {what}: series {series.id!r}, column {_column_name(col, layout, series)!r}, "
            f"{_position(series, row)}; inf and -inf are not valid inputs: replace them (e.g. by NaN, then "
            f"fill_missing='interpolate') or drop those rows"
        )
    missing = np.isnan(values)
    if not missing.any():
        return series
    if policy == "raise":
        row, col = (int(v[0]) for v in np.nonzero(missing))
        absent = int((series.rows < 0).sum())
        detail = f" ({absent} of them time steps absent from the frame)" if absent else ""
        raise ValueError(
            f"{int(missing.sum())} missing value(s) (NaN){detail} in {what}: the first in series {series.id!r}, "
            f"column {_column_name(col, layout, series)!r}, {_position(series, row)}. Pass fill_missing='interpolate' "
            f"or fill_missing='ffill' to fill them, or clean the data"
        )
    filled = pd.DataFrame(values)
    if policy == "interpolate":
        filled = filled.interpolate(method="linear", limit_direction="forward")
    else:
        filled = filled.ffill()
    if filled.isna().any().any():
        col = int(np.flatnonzero(filled.isna().any().to_numpy())[0])
        raise ValueError(
            f"series {series.id!r}: column {_column_name(col, layout, series)!r} has no value at all in {what}; "
            f"nothing to fill from: drop that series (or column) or give it values"
        )
    result = filled.to_numpy()
    return Series(series.id, series.time, result[:, 0], result[:, 1:], series.rows)


def _leading_gap(values: np.ndarray) -> int:
    """Rows (n, C) before the first one without NaN (n when every row has one)."""
    complete = ~np.isnan(values).any(axis=1)
    return int(np.argmax(complete)) if complete.any() else len(values)


def _column_name(col: int, layout: FrameLayout, series: Series) -> Hashable:
    if col == 0:
        return layout.target_col if layout.form == "long" else series.id
    return layout.covariates[col - 1]


def _position(series: Series, row: int) -> str:
    frame_row = int(series.rows[row]) if len(series.rows) else -1
    where = f"row {frame_row} of the frame" if frame_row >= 0 else "a time step absent from the frame"
    return f"time {series.time[row]} ({where})"
