"""Read a benchmark CSV into a pandas DataFrame, keeping every row and reporting its quirks."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from xlstm_ts.data.quality import DataQualityReport, DataQualityWarning, inspect_frame
from xlstm_ts.data.registry import DatasetSpec

DATE_COLUMN = "date"
"""Name of the timestamp column of every benchmark file (and of the returned index)."""

REPORT_ATTR = "quality_report"
"""Key of the :class:`DataQualityReport` in ``DataFrame.attrs``."""

_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def read_benchmark(spec: DatasetSpec, path: str | Path) -> pd.DataFrame:
    """Read ``spec``'s CSV file at ``path``.

    The file is decoded as UTF-8 (weather.csv's header keeps its U+FFFD unit characters), CRLF and
    LF line endings are both accepted, and the ``date`` column is parsed with ``spec.date_format``
    (e.g. exchange_rate.csv's ``1990/1/1 0:00``). All rows are kept, including duplicated
    timestamps and gaps; those are listed in a :class:`DataQualityReport` stored in
    ``frame.attrs["quality_report"]`` (see :func:`quality_report`) and described once per file and
    process by a :class:`DataQualityWarning` (as is a shape that differs from the registry).

    Returns:
        Frame of shape (N, C) with float64 columns in file order and a DatetimeIndex named ``"date"``.

    Raises:
        ValueError: the first column is not ``date``, a date does not parse, or a value is not numeric.
    """
    path = Path(path)
    raw = pd.read_csv(path, encoding="utf-8", dtype={DATE_COLUMN: str})
    if raw.columns[0] != DATE_COLUMN:
        raise ValueError(f"{path}: first column must be {DATE_COLUMN!r}, got {raw.columns[0]!r}")
    try:
        index = pd.DatetimeIndex(pd.to_datetime(raw[DATE_COLUMN], format=spec.date_format), name=DATE_COLUMN)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{path}: cannot parse the {DATE_COLUMN!r} column with format {spec.date_format!r}: {exc}"
        ) from exc
    values = raw.drop(columns=DATE_COLUMN)
    non_numeric = [name for name, dtype in values.dtypes.items() if not pd.api.types.is_numeric_dtype(dtype)]
    if non_numeric:
        raise ValueError(f"{path}: non-numeric value column(s) {non_numeric[:5]}")
    frame = pd.DataFrame(values.to_numpy(dtype=np.float64), index=index, columns=values.columns)
    _check_shape(spec, path, frame)
    report = inspect_frame(spec.name, frame, spec.freq)
    frame.attrs[REPORT_ATTR] = report
    if not report.is_clean:
        _warn_once(path, report.describe(frame.index), stacklevel=2)
    return frame


def quality_report(frame: pd.DataFrame) -> DataQualityReport:
    """The :class:`DataQualityReport` attached to a frame returned by :func:`read_benchmark`."""
    report = frame.attrs.get(REPORT_ATTR)
    if not isinstance(report, DataQualityReport):
        raise KeyError("frame has no quality report; was it returned by read_benchmark()?")
    return report


def _check_shape(spec: DatasetSpec, path: Path, frame: pd.DataFrame) -> None:
    n_rows, n_columns = frame.shape[0], frame.shape[1] + 1
    if (n_rows, n_columns) != (spec.n_rows, spec.n_columns):
        _warn_once(
            path,
            f"{path}: {n_rows} rows x {n_columns} columns, the canonical {spec.file_name} has "
            f"{spec.n_rows} x {spec.n_columns}",
            stacklevel=3,
        )


def _warn_once(path: Path, message: str, stacklevel: int) -> None:
    key = (str(path.resolve()), message)
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(message, DataQualityWarning, stacklevel=stacklevel + 1)
