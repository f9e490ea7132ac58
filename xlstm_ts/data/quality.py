"""Data-quality report of a benchmark frame: timestamp irregularities, missing and sentinel values.

The benchmarks are used with a row-based protocol (windows are consecutive rows), so the reader
keeps every row; this report makes the irregularities visible instead of hiding them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

SENTINEL = -9999.0
"""Missing-value code used by some station data (e.g. weather.csv's ``wv``, ``max. PAR`` and ``OT``)."""


class DataQualityWarning(UserWarning):
    """A benchmark file has duplicated timestamps, gaps, missing values or sentinel values."""


def nominal_step(freq: str) -> pd.Timedelta:
    """Fixed time step of a pandas alias (``"W"`` -> 7 days)."""
    offset = to_offset(freq)
    if isinstance(offset, pd.offsets.Week):
        return pd.Timedelta(weeks=offset.n)
    if isinstance(offset, pd.offsets.Day):  # a calendar offset in pandas 3.0, a fixed tick before and after
        return pd.Timedelta(days=offset.n)
    return pd.Timedelta(offset)


@dataclass(frozen=True)
class DataQualityReport:
    """Irregularities found in one benchmark frame; row numbers count data rows from 0 (header excluded)."""

    dataset: str
    """Dataset name."""
    n_rows: int
    """Number of data rows."""
    step: pd.Timedelta
    """Nominal time step derived from the dataset frequency."""
    duplicate_rows: tuple[int, ...] = ()
    """Rows whose timestamp equals the previous row's timestamp."""
    gap_rows: tuple[int, ...] = ()
    """Rows whose timestamp is more than one step after the previous row's timestamp."""
    irregular_rows: tuple[int, ...] = ()
    """Rows whose timestamp goes backwards or advances by less than one step (but not zero)."""
    missing_values: int = 0
    """Number of NaN cells among the value columns."""
    sentinel_counts: tuple[tuple[str, int], ...] = ()
    """``(column, count)`` of cells equal to :data:`SENTINEL`, only for columns that have any."""

    def __post_init__(self) -> None:
        if self.n_rows < 0 or self.missing_values < 0:
            raise ValueError("n_rows and missing_values must be >= 0")
        for row in (*self.duplicate_rows, *self.gap_rows, *self.irregular_rows):
            if not 0 < row < max(self.n_rows, 1):
                raise ValueError(f"row {row} is outside 1..{self.n_rows - 1}")

    @property
    def is_clean(self) -> bool:
        """``True`` when nothing irregular was found."""
        return not (
            self.duplicate_rows or self.gap_rows or self.irregular_rows or self.missing_values or self.sentinel_counts
        )

    def describe(self, index: pd.DatetimeIndex | None = None) -> str:
        """One-paragraph human description; timestamps are shown when ``index`` is given."""

        def at(row: int) -> str:
            if index is None:
                return f"row {row}"
            return f"row {row} ({index[row - 1]} -> {index[row]})"

        parts: list[str] = []
        if self.duplicate_rows:
            rows = ", ".join(map(at, self.duplicate_rows))
            parts.append(f"{len(self.duplicate_rows)} duplicated timestamp(s): {rows}")
        if self.gap_rows:
            parts.append(f"{len(self.gap_rows)} gap(s) longer than {self.step}: " + ", ".join(map(at, self.gap_rows)))
        if self.irregular_rows:
            parts.append(f"{len(self.irregular_rows)} irregular step(s): " + ", ".join(map(at, self.irregular_rows)))
        if self.missing_values:
            parts.append(f"{self.missing_values} missing value(s)")
        if self.sentinel_counts:
            counts = ", ".join(f"{name!r} x{count}" for name, count in self.sentinel_counts)
            parts.append(f"cells equal to {SENTINEL:g}: {counts}")
        if not parts:
            return f"{self.dataset}: no irregularities in {self.n_rows} rows"
        return f"{self.dataset} ({self.n_rows} rows, kept as they are): " + "; ".join(parts)


def inspect_frame(dataset: str, frame: pd.DataFrame, freq: str) -> DataQualityReport:
    """Build the :class:`DataQualityReport` of a frame with a DatetimeIndex and float value columns.

    Args:
        dataset: name written into the report.
        frame: (N, C) values indexed by timestamps.
        freq: nominal pandas frequency alias of the rows.
    """
    step = nominal_step(freq)
    dates = frame.index.to_numpy(dtype="datetime64[ns]")
    deltas = np.diff(dates)
    step_ns = np.timedelta64(step.value, "ns")
    zero = np.timedelta64(0, "ns")
    duplicates = np.flatnonzero(deltas == zero) + 1
    gaps = np.flatnonzero(deltas > step_ns) + 1
    irregular = np.flatnonzero((deltas < step_ns) & (deltas != zero)) + 1
    values = frame.to_numpy(dtype=np.float64)
    sentinels = (values == SENTINEL).sum(axis=0)
    return DataQualityReport(
        dataset=dataset,
        n_rows=len(frame),
        step=step,
        duplicate_rows=tuple(int(i) for i in duplicates),
        gap_rows=tuple(int(i) for i in gaps),
        irregular_rows=tuple(int(i) for i in irregular),
        missing_values=int(np.isnan(values).sum()),
        sentinel_counts=tuple((str(name), int(n)) for name, n in zip(frame.columns, sentinels, strict=True) if n),
    )
