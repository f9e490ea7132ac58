"""User frames in, series out, and forecasts back into the user's form.

Accepted inputs (see :func:`read_frame`):

* **long** form (the frame has the id column, default ``unique_id``): one row per (series, time
  step) with the id, the timestamp (``ds``) and the target (``y``) columns, plus the future
  covariate columns if any. Every other column is an error (nothing is dropped silently).
* **wide** form (no id column): one timestamp axis -- the ``time_col`` column if present, else a
  pandas ``DatetimeIndex``, else the frame's only datetime column -- and one numeric column per
  series. Future covariate columns are shared by every series of the frame.
* a 2-D **numpy** array (n_steps, n_columns): wide form with integer time steps 0..n-1 and
  integer column names 0..n-1.

pandas and polars frames are both accepted (polars goes through ``to_pandas``); outputs come back
in the library and form of the input. Integer time columns (steps 0, 1, 2, ...) are accepted as well
as timestamps.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

Library = Literal["pandas", "polars", "numpy"]
Form = Literal["wide", "long"]
TimeKind = Literal["datetime", "integer"]

MISSING_POLICIES = ("raise", "interpolate", "ffill")
"""Valid values of ``fill_missing``."""


# --------------------------------------------------------------------------- data holders
@dataclass(frozen=True)
class FrameLayout:
    """How the frame seen by ``fit`` is laid out: later frames must match it, outputs mirror it."""

    library: Library
    form: Form
    time_col: Hashable | None
    """Name of the timestamp column (or of the DatetimeIndex); None for numpy input."""
    time_in_index: bool
    """Wide pandas frame whose timestamps are its index."""
    id_col: Hashable | None
    """Long form: the series id column."""
    target_col: Hashable | None
    """Long form: the target column."""
    targets: tuple[Hashable, ...]
    """Wide form: the value columns (one series each), in frame order. Long form: ()."""
    covariates: tuple[Hashable, ...]
    """Future covariate columns (extra input channels whose future values predict() needs)."""
    columns: tuple[Hashable, ...]
    """Every column of the fit frame (the time index excluded), in order."""
    time_kind: TimeKind
    time_dtype: str
    """dtype of the time axis (e.g. ``datetime64[us, UTC]``, ``int64``), restored on output."""
    id_dtype: str | None = None
    """Long form: dtype of the id column, restored on output."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        return {
            "library": self.library,
            "form": self.form,
            "time_col": self.time_col,
            "time_in_index": self.time_in_index,
            "id_col": self.id_col,
            "target_col": self.target_col,
            "targets": list(self.targets),
            "covariates": list(self.covariates),
            "columns": list(self.columns),
            "time_kind": self.time_kind,
            "time_dtype": self.time_dtype,
            "id_dtype": self.id_dtype,
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> FrameLayout:
        """Inverse of :meth:`to_dict` (raises KeyError/TypeError/ValueError on malformed input)."""
        layout = cls(
            library=values["library"],
            form=values["form"],
            time_col=values["time_col"],
            time_in_index=bool(values["time_in_index"]),
            id_col=values["id_col"],
            target_col=values["target_col"],
            targets=tuple(values["targets"]),
            covariates=tuple(values["covariates"]),
            columns=tuple(values["columns"]),
            time_kind=values["time_kind"],
            time_dtype=str(values["time_dtype"]),
            id_dtype=values.get("id_dtype"),
        )
        if layout.library not in ("pandas", "polars", "numpy") or layout.form not in ("wide", "long"):
            raise ValueError(f"unknown library/form {layout.library!r}/{layout.form!r}")
        if layout.time_kind not in ("datetime", "integer"):
            raise ValueError(f"unknown time kind {layout.time_kind!r}")
        return layout


@dataclass
class Series:
    """One series: its id, time axis, target values and covariates (all in data units)."""

    id: Hashable
    time: pd.Index
    """DatetimeIndex, or an integer Index of time steps; sorted, unique."""
    target: np.ndarray
    """(T,) float64; may hold NaN until the missing-value policy is applied."""
    covariates: np.ndarray
    """(T, K) float64, K = number of future covariates (K may be 0)."""
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """(T,) position of each time step among the input frame's rows (-1 for a step added by the
    time grid), for error messages."""

    def __len__(self) -> int:
        return len(self.target)


# --------------------------------------------------------------------------- reading
def as_pandas(data: Any, what: str = "the frame") -> tuple[pd.DataFrame, Library]:
    """``data`` as a pandas DataFrame and the library it came from (numpy arrays get integer column
    names and an integer index). Raises ValueError/TypeError for anything else or an empty frame."""
    library: Library
    if isinstance(data, pd.DataFrame):
        frame, library = data, "pandas"
    elif type(data).__module__.split(".")[0] == "polars" and hasattr(data, "to_pandas"):
        if not hasattr(data, "columns"):  # a polars Series
            raise TypeError(f"{what} must be a DataFrame, got a polars {type(data).__name__}")
        frame, library = data.to_pandas(), "polars"
    elif isinstance(data, np.ndarray) or (hasattr(data, "__array__") and not isinstance(data, (str, bytes))):
        if isinstance(data, pd.Series):
            raise TypeError(f"{what} must be a DataFrame (or a 2-D array), got a pandas Series: use series.to_frame()")
        array = np.asarray(data)
        if array.ndim != 2:
            raise ValueError(
                f"{what} must be a DataFrame or a 2-D array (n_steps, n_series); got an array of shape "
                f"{array.shape}. Reshape your data: array.reshape(-1, 1) for one series"
            )
        frame, library = pd.DataFrame(array), "numpy"
    else:
        raise TypeError(f"{what} must be a pandas or polars DataFrame or a 2-D numpy array; got {type(data).__name__}")
    if frame.shape[0] == 0:
        raise ValueError(
            f"{what} is empty: 0 sample(s) (shape={frame.shape}) while a minimum of 1 is required; it needs "
            f"at least one series with enough time steps"
        )
    if frame.shape[1] == 0:
        raise ValueError(
            f"{what} is empty: 0 feature(s) (shape={frame.shape}) while a minimum of 1 is required; it needs a "
            f"column per series to forecast"
        )
    return frame, library


def detect_layout(
    frame: pd.DataFrame,
    library: Library,
    *,
    id_col: Hashable,
    time_col: Hashable,
    target_col: Hashable,
    covariates: Sequence[Hashable],
    what: str = "fit(df)",
) -> FrameLayout:
    """Work out the form, the time axis, the targets and the covariates of the fit frame."""
    columns = tuple(frame.columns)
    if len(set(columns)) != len(columns):
        duplicated = sorted({str(c) for c in columns if columns.count(c) > 1})
        raise ValueError(f"the frame has duplicated column names {duplicated}")
    covariates = tuple(covariates)
    missing_cov = [c for c in covariates if c not in columns]
    if missing_cov:
        raise ValueError(
            f"future_covariates column(s) {missing_cov} not found; the frame's columns are {list(columns)}"
        )

    if library != "numpy" and id_col in columns:  # long form
        if time_col not in columns:
            raise ValueError(
                f"long-form frame (it has the id column {id_col!r}) lacks the time column {time_col!r}; "
                f"columns are {list(columns)}; pass time_col="
            )
        if target_col not in columns:
            raise ValueError(
                f"long-form frame lacks the target column {target_col!r}; columns are {list(columns)}; "
                f"pass target_col= to name it"
            )
        overlap = [c for c in (id_col, time_col, target_col) if c in covariates]
        if overlap:
            raise ValueError(f"{overlap} cannot be both a future covariate and the id/time/target column")
        extra = [c for c in columns if c not in (id_col, time_col, target_col, *covariates)]
        if extra:
            raise ValueError(
                f"unexpected column(s) {extra} in the long-form frame: list them in future_covariates= "
                f"(known-in-advance inputs) or drop them; expected {[id_col, time_col, target_col, *covariates]}"
            )
        time_values = frame[time_col]
        return FrameLayout(
            library=library,
            form="long",
            time_col=time_col,
            time_in_index=False,
            id_col=id_col,
            target_col=target_col,
            targets=(),
            covariates=covariates,
            columns=columns,
            time_kind=_time_kind(time_values, time_col),
            time_dtype=str(_parse_time(time_values, time_col, what).dtype),
            id_dtype=str(frame[id_col].dtype),
        )

    # wide form
    if library == "numpy":
        time_name, in_index = None, False
        time_kind: TimeKind = "integer"
        time_dtype = "int64"
    else:
        time_name, in_index = _wide_time_axis(frame, time_col)
        time_values = frame.index.to_series() if in_index else frame[time_name]
        time_kind = _time_kind(time_values, time_name)
        time_dtype = str(_parse_time(time_values, time_name, what).dtype)
    if time_name in covariates and not in_index:
        raise ValueError(f"the time column {time_name!r} cannot be a future covariate")
    targets = tuple(c for c in columns if c not in covariates and (in_index or c != time_name))
    if not targets:
        raise ValueError(
            f"no target column: the frame has only {list(columns)} (time axis and covariates); a wide frame "
            f"needs one numeric column per series to forecast"
        )
    non_numeric = [c for c in (*targets, *covariates) if not _is_numeric(frame[c])]
    if non_numeric:
        dtypes = {str(c): str(frame[c].dtype) for c in non_numeric}
        raise ValueError(
            f"non-numeric column(s) {dtypes}: every column other than the time column must be numeric "
            f"(targets, or future covariates); convert or drop them"
        )
    return FrameLayout(
        library=library,
        form="wide",
        time_col=time_name,
        time_in_index=in_index,
        id_col=None,
        target_col=None,
        targets=targets,
        covariates=covariates,
        columns=columns,
        time_kind=time_kind,
        time_dtype=time_dtype,
    )


def check_same_columns(
    frame: pd.DataFrame, layout: FrameLayout, what: str, expected: Sequence[Hashable] | None = None
) -> None:
    """``frame`` must have exactly the expected columns (default: those of the fit frame), in any order."""
    wanted = list(layout.columns if expected is None else expected)
    got = list(frame.columns)
    missing = [c for c in wanted if c not in got]
    unexpected = [c for c in got if c not in wanted]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if unexpected:
            parts.append(f"unexpected {unexpected}")
        raise ValueError(
            f"{what} has other columns than the frame seen in fit: {', '.join(parts)}; expected the columns {wanted}"
        )


def extract_series(frame: pd.DataFrame, layout: FrameLayout, what: str = "the frame") -> list[Series]:
    """Split ``frame`` (laid out as ``layout``) into sorted series; checks numbers and duplicated times."""
    if layout.form == "long":
        target_col, id_col = layout.target_col, layout.id_col
        for column in (target_col, *layout.covariates):
            if not _is_numeric(frame[column]):
                role = "target" if column == target_col else "future covariate"
                raise ValueError(f"{role} column {column!r} is not numeric (dtype {frame[column].dtype}) in {what}")
        if frame[id_col].isna().any():
            first = int(np.flatnonzero(frame[id_col].isna().to_numpy())[0])
            raise ValueError(f"{what}: the id column {id_col!r} has missing values (first at row {first})")
        times = _parse_time(frame[layout.time_col], layout.time_col, what)
        positions = np.arange(len(frame))
        out = []
        codes, uniques = pd.factorize(frame[id_col], sort=False)
        for code, series_id in enumerate(uniques):
            rows = positions[codes == code]
            out.append(
                _make_series(
                    _id_value(series_id),
                    times[rows],
                    frame[target_col].to_numpy(dtype=np.float64, na_value=np.nan)[rows],
                    _covariate_matrix(frame, layout.covariates)[rows],
                    rows,
                    what,
                )
            )
        return out
    if layout.library == "numpy":
        times = pd.Index(np.arange(len(frame), dtype=np.int64))
    elif layout.time_in_index:
        times = _parse_time(frame.index.to_series(), layout.time_col, what)
    else:
        times = _parse_time(frame[layout.time_col], layout.time_col, what)
    for column in (*layout.targets, *layout.covariates):
        if not _is_numeric(frame[column]):
            raise ValueError(f"column {column!r} is not numeric (dtype {frame[column].dtype}) in {what}")
    rows = np.arange(len(frame))
    covariates = _covariate_matrix(frame, layout.covariates)
    return [
        _make_series(name, times, frame[name].to_numpy(dtype=np.float64, na_value=np.nan), covariates, rows, what)
        for name in layout.targets
    ]


def _make_series(
    series_id: Hashable, time: pd.Index, target: np.ndarray, covariates: np.ndarray, rows: np.ndarray, what: str
) -> Series:
    order = np.argsort(np.asarray(time), kind="stable")
    time, target, covariates, rows = time[order], target[order], covariates[order], rows[order]
    duplicated = np.asarray(time.duplicated())
    if duplicated.any():
        first = int(np.flatnonzero(duplicated)[0])
        raise ValueError(
            f"duplicated timestamps in {what}: series {series_id!r} has {int(duplicated.sum())} row(s) whose "
            f"time {time[first]} was already seen (first at row {int(rows[first])} of the frame); "
            f"aggregate or drop the duplicates first"
        )
    return Series(series_id, pd.Index(time), target, covariates, rows)


# --------------------------------------------------------------------------- time axis
def infer_frequency(series: Sequence[Series], freq: Any, time_kind: TimeKind) -> Any:
    """The common step of every series: a pandas frequency string (datetime axes) or an int step.

    With ``freq`` given the rows must lie on its grid (absent steps are filled in later, see
    :func:`regularize`). Without it, each series' step is inferred by ``pandas.infer_freq``; an
    irregular axis is an error that names the first irregular step and suggests ``freq=``.
    """
    if time_kind == "integer":
        if freq is not None and not (isinstance(freq, (int, np.integer)) and not isinstance(freq, bool) and freq >= 1):
            raise ValueError(f"freq for integer time steps must be a positive int; got {freq!r}")
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
            raise ValueError(f"the series have different integer time steps {sorted(steps)}")
        return steps.pop() if steps else 1

    if freq is not None:
        try:
            offset = to_offset(freq)
        except (ValueError, TypeError) as err:
            raise ValueError(
                f"freq={freq!r} is not a pandas frequency alias (e.g. 'h', '15min', 'D', 'W'): {err}"
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
        return pd.Index(np.arange(int(start), int(end) + 1, int(freq), dtype=np.int64))
    grid = pd.date_range(start, end, freq=to_offset(freq))
    if len(grid) == 0 or grid[0] != start:
        return pd.DatetimeIndex([start]).append(grid)  # start off the grid: caught by the caller
    return grid


def future_times(last: Any, freq: Any, steps: int, time_kind: TimeKind) -> pd.Index:
    """The ``steps`` time stamps after ``last``."""
    if time_kind == "integer":
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
    except (ValueError, TypeError):
        step = None
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


# --------------------------------------------------------------------------- missing values
def fill_missing_values(series: Series, policy: str, what: str, layout: FrameLayout) -> Series:
    """Apply the missing-value policy to the target and covariates of one series.

    "raise": any NaN (or a step absent from the time grid) is an error with the count and the first
    position; "interpolate": linear in time, the edges take the nearest value; "ffill": carry the last
    value forward, a leading gap takes the first value. Infinite values are always an error.
    """
    values = np.column_stack([series.target, series.covariates])
    if np.isinf(values).any():
        row, col = (int(v[0]) for v in np.nonzero(np.isinf(values)))
        raise ValueError(
            f"infinite value in {what}: series {series.id!r}, column {_column_name(col, layout, series)!r}, "
            f"{_position(series, row)}; inf and -inf are not valid inputs"
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
        filled = filled.interpolate(method="linear", limit_direction="both")
    else:
        filled = filled.ffill().bfill()
    if filled.isna().any().any():
        col = int(np.flatnonzero(filled.isna().any().to_numpy())[0])
        raise ValueError(
            f"series {series.id!r}: column {_column_name(col, layout, series)!r} has no value at all in {what}; "
            f"nothing to fill from"
        )
    result = filled.to_numpy()
    return Series(series.id, series.time, result[:, 0], result[:, 1:], series.rows)


def _column_name(col: int, layout: FrameLayout, series: Series) -> Hashable:
    if col == 0:
        return layout.target_col if layout.form == "long" else series.id
    return layout.covariates[col - 1]


def _position(series: Series, row: int) -> str:
    frame_row = int(series.rows[row]) if len(series.rows) else -1
    where = f"row {frame_row} of the frame" if frame_row >= 0 else "a time step absent from the frame"
    return f"time {series.time[row]} ({where})"


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
) -> Any:
    """Forecasts in the fit frame's library and form.

    Wide: the time axis (same column or index name) and, per target, its point column and then its
    quantile columns. Long: id, time, target, then the quantile columns. numpy: the wide values.
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


# --------------------------------------------------------------------------- helpers
def _wide_time_axis(frame: pd.DataFrame, time_col: Hashable) -> tuple[Hashable, bool]:
    if time_col in frame.columns:
        return time_col, False
    if isinstance(frame.index, pd.DatetimeIndex):
        return frame.index.name, True
    datetime_columns = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    if len(datetime_columns) == 1:
        return datetime_columns[0], False
    if len(datetime_columns) > 1:
        raise ValueError(f"several datetime columns {datetime_columns}: pass time_col= to say which is the time axis")
    raise ValueError(
        f"no timestamp column found: the frame has no column {time_col!r}, no DatetimeIndex and no datetime "
        f"column (columns: {list(frame.columns)[:10]}); pass time_col='name' (strings are parsed as dates), "
        f"parse the dates first (e.g. pd.read_csv(..., parse_dates=['date'])), or use the long form "
        f"(unique_id, ds, y)"
    )


def _time_kind(values: pd.Series, name: Hashable) -> TimeKind:
    if pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return "integer"
    return "datetime"


def _parse_time(values: pd.Series, name: Hashable, what: str = "the frame") -> pd.Index:
    if pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return pd.Index(values.to_numpy(dtype=np.int64))
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.DatetimeIndex(values)
    else:
        try:
            parsed = pd.DatetimeIndex(pd.to_datetime(values))
        except (ValueError, TypeError) as err:
            raise ValueError(f"time column {name!r} of {what} could not be parsed as dates: {err}") from None
    if parsed.isna().any():
        first = int(np.flatnonzero(parsed.isna())[0])
        raise ValueError(
            f"time column {name!r} of {what} has {int(parsed.isna().sum())} missing timestamp(s), first at row {first}"
        )
    return parsed


def _is_numeric(column: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(column)) and not pd.api.types.is_complex_dtype(column)


def _covariate_matrix(frame: pd.DataFrame, covariates: Sequence[Hashable]) -> np.ndarray:
    if not covariates:
        return np.zeros((len(frame), 0))
    return frame[list(covariates)].to_numpy(dtype=np.float64, na_value=np.nan)


def _id_value(value: Any) -> Hashable:
    """numpy scalars become plain Python values (JSON-friendly, equal to the original)."""
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------- future covariates
FutureTables = dict[Any, tuple[pd.Index | None, np.ndarray]]
"""Series id (None: shared by every series) -> (time axis or None for numpy rows, (n, K) values)."""


def read_future(data: Any, layout: FrameLayout, id_col: Hashable, what: str = "future") -> FutureTables:
    """Parse the ``future=`` frame of covariate values (its form follows ``layout``).

    Long: columns id, time, covariates. Wide: the time column (or DatetimeIndex) and the covariates.
    numpy: an array (steps, K) of the steps right after the end of the series.
    """
    covariates = list(layout.covariates)
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
