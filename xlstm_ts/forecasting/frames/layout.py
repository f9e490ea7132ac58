"""Data holders and reading: the frame layout, the series, and the detection of the input form."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

Library = Literal["pandas", "polars", "numpy"]
Form = Literal["wide", "long"]
TimeKind = Literal["datetime", "integer"]


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
    """Every covariate column, in channel order: the future-known ones (whose values after the end
    ``predict`` needs), then the past-only ones, then the static ones (``n_past``, ``n_static``)."""
    columns: tuple[Hashable, ...]
    """Every column of the fit frame (the time index excluded), in order."""
    time_kind: TimeKind
    time_dtype: str
    """dtype of the time axis (e.g. ``datetime64[us, UTC]``, ``int64``), restored on output."""
    id_dtype: str | None = None
    """Long form: dtype of the id column, restored on output."""
    n_past: int = 0
    """How many of ``covariates`` (after the future ones) are past-only: observed, never known ahead."""
    n_static: int = 0
    """How many of ``covariates`` (the last ones) are static: one value per series (long form)."""

    @property
    def n_future(self) -> int:
        """How many of ``covariates`` (the first ones) are known in advance."""
        return len(self.covariates) - self.n_past - self.n_static

    @property
    def future_covariates(self) -> tuple[Hashable, ...]:
        """The known-in-advance covariate columns (``future=`` of ``predict`` carries them)."""
        return self.covariates[: self.n_future]

    @property
    def past_covariates(self) -> tuple[Hashable, ...]:
        """The past-only covariate columns."""
        return self.covariates[self.n_future : self.n_future + self.n_past]

    @property
    def static_covariates(self) -> tuple[Hashable, ...]:
        """The static covariate columns (constant within each series)."""
        return self.covariates[len(self.covariates) - self.n_static :]

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
            "n_past": self.n_past,
            "n_static": self.n_static,
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
            n_past=int(values.get("n_past", 0)),
            n_static=int(values.get("n_static", 0)),
        )
        if not 0 <= layout.n_past + layout.n_static <= len(layout.covariates) or min(layout.n_past, layout.n_static) < 0:
            raise ValueError(f"n_past={layout.n_past}, n_static={layout.n_static} do not fit {len(layout.covariates)} covariates")
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
    """(T, K) float64, K = number of covariates (future, past, static; K may be 0)."""
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """(T,) position of each time step among the input frame's rows (-1 for a step added by the
    time grid), for error messages."""

    def __len__(self) -> int:
        return len(self.target)


# --------------------------------------------------------------------------- reading
def read_input(df: Any, what: str) -> tuple[pd.DataFrame, Library]:
    """Any accepted input (pandas/polars frame, 2-D array-like) as a pandas frame and its library;
    Series, sparse, complex and non-numeric object arrays are refused with the fix named."""
    if isinstance(df, pd.Series):
        raise TypeError(f"{what} must be a DataFrame (or a 2-D array), got a pandas Series: use series.to_frame()")
    if df is not None and type(df).__module__.startswith("scipy.sparse"):
        raise TypeError(f"{what}: sparse input is not supported; pass a dense array (X.toarray()) or a DataFrame")
    if isinstance(df, np.ndarray) or (
        not isinstance(df, pd.DataFrame) and not hasattr(df, "to_pandas") and hasattr(df, "__array__")
    ):
        array = np.asarray(df)
        if np.iscomplexobj(array):
            raise ValueError(
                f"{what}: Complex data not supported; pass the real part (X.real), or the real and imaginary parts "
                f"as separate columns"
            )
        if array.dtype == object:
            try:
                array = array.astype(np.float64)
            except (TypeError, ValueError) as err:
                column = ""
                if array.ndim == 2:
                    for k in range(array.shape[1]):
                        try:
                            array[:, k].astype(np.float64)
                        except (TypeError, ValueError):
                            column = f" column {k} of"
                            break
                raise type(err)(
                    f"{what}:{column} the object array holds values that are not numbers ({err}); convert them to "
                    f"numbers or drop them (e.g. pass np.asarray(X, dtype=float) or a DataFrame)"
                ) from None
        df = array
    return as_pandas(df, what)


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
        raise TypeError(
            f"{what} must be a pandas or polars DataFrame or a 2-D numpy array; got {type(data).__name__}: pass "
            f"one of those"
        )
    if frame.shape[0] == 0:
        raise ValueError(
            f"{what} is empty: 0 sample(s) (shape={frame.shape}) while a minimum of 1 is required; give it "
            f"at least one series with enough time steps"
        )
    if frame.shape[1] == 0:
        raise ValueError(
            f"{what} is empty: 0 feature(s) (shape={frame.shape}) while a minimum of 1 is required; give it a "
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
    past_covariates: Sequence[Hashable] = (),
    static_covariates: Sequence[Hashable] = (),
    target_cols: Sequence[Hashable] | None = None,
    what: str = "fit(df)",
) -> FrameLayout:
    """Work out the form, the time axis, the targets and the covariates of the fit frame.

    ``covariates`` are the future-known covariate columns; ``target_cols`` (wide form) names the
    series to forecast (None: every column that is not the time axis or a covariate).
    """
    columns = tuple(frame.columns)
    if len(set(columns)) != len(columns):
        duplicated = sorted({str(c) for c in columns if columns.count(c) > 1})
        raise ValueError(
            f"the frame has duplicated column names {duplicated}; rename them so that every name is unique"
        )
    kinds = {"future_covariates": tuple(covariates), "past_covariates": tuple(past_covariates),
             "static_covariates": tuple(static_covariates)}
    _check_covariate_lists(kinds, columns)
    covariates = kinds["future_covariates"] + kinds["past_covariates"] + kinds["static_covariates"]
    n_past, n_static = len(kinds["past_covariates"]), len(kinds["static_covariates"])

    if library != "numpy" and id_col in columns:  # long form
        if target_cols is not None:
            raise ValueError(
                f"target_cols={list(target_cols)} is for wide frames; this frame is long (it has the id column "
                f"{id_col!r}): name its one target column with target_col= instead"
            )
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
            raise ValueError(
                f"{overlap} cannot be both a covariate and the id/time/target column; remove them from the "
                f"covariate lists"
            )
        extra = [c for c in columns if c not in (id_col, time_col, target_col, *covariates)]
        if extra:
            raise ValueError(
                f"unexpected column(s) {extra} in the long-form frame: list them in future_covariates= "
                f"(known in advance), past_covariates= (observed only) or static_covariates= (one value per "
                f"series), or drop them; expected {[id_col, time_col, target_col, *covariates]}"
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
            n_past=n_past,
            n_static=n_static,
        )

    # wide form
    if n_static:
        raise ValueError(
            f"static_covariates={list(kinds['static_covariates'])} need a long-form frame (columns {id_col!r}, "
            f"{time_col!r}, {target_col!r} and the static columns, one value per series); in a wide frame every "
            f"series shares every column, so a static value could not tell them apart"
        )
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
        raise ValueError(
            f"the time column {time_name!r} cannot be a covariate; remove it from the covariate lists"
        )
    others = tuple(c for c in columns if c not in covariates and (in_index or c != time_name))
    targets = others if target_cols is None else _explicit_targets(target_cols, others, covariates, columns, time_name)
    if not targets:
        raise ValueError(
            f"no target column: the frame has only {list(columns)} (time axis and covariates); give a wide frame "
            f"one numeric column per series to forecast"
        )
    non_numeric = [c for c in (*targets, *covariates) if not _is_numeric(frame[c])]
    if non_numeric:
        dtypes = {str(c): str(frame[c].dtype) for c in non_numeric}
        raise ValueError(
            f"non-numeric column(s) {dtypes}: every column other than the time column must be numeric "
            f"(targets, or covariates); convert or drop them"
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
        n_past=n_past,
        n_static=0,
    )


def _check_covariate_lists(kinds: dict[str, tuple[Hashable, ...]], columns: tuple[Hashable, ...]) -> None:
    """Each covariate list names existing columns, once, and no column is in two lists."""
    seen: dict[Hashable, str] = {}
    for name, values in kinds.items():
        missing = [c for c in values if c not in columns]
        if missing:
            raise ValueError(
                f"{name} column(s) {missing} not found; the frame's columns are {list(columns)}: check {name}= or "
                f"add the columns"
            )
        for column in values:
            if column in seen:
                raise ValueError(
                    f"column {column!r} is in both {seen[column]}= and {name}=; a covariate has one kind: known in "
                    f"advance (future), observed only (past) or one value per series (static)"
                )
            seen[column] = name


def _explicit_targets(
    target_cols: Sequence[Hashable],
    others: tuple[Hashable, ...],
    covariates: tuple[Hashable, ...],
    columns: tuple[Hashable, ...],
    time_name: Hashable,
) -> tuple[Hashable, ...]:
    """The wide frame's ``target_cols``, checked: each exists and is not a covariate or the time
    axis, and every other column is one of those (nothing is dropped or forecast silently)."""
    targets = tuple(target_cols)
    if len(set(targets)) != len(targets):
        raise ValueError(f"target_cols has repeated names: {list(targets)}")
    missing = [c for c in targets if c not in columns]
    if missing:
        raise ValueError(f"target_cols column(s) {missing} not found; the frame's columns are {list(columns)}")
    clash = [c for c in targets if c in covariates or c == time_name]
    if clash:
        raise ValueError(f"target_cols {clash} are also the time axis or covariates; a column has one role")
    extra = [c for c in others if c not in targets]
    if extra:
        raise ValueError(
            f"the frame has column(s) {extra} that are neither targets (target_cols={list(targets)}) nor covariates: "
            f"add them to target_cols= (to forecast them), to future_covariates= / past_covariates= (as inputs), "
            f"or drop them from the frame"
        )
    return targets


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
            f"{what} has other columns than the frame seen in fit: {', '.join(parts)}; expected the columns {wanted}: "
            f"pass a frame with those columns"
        )


def extract_series(frame: pd.DataFrame, layout: FrameLayout, what: str = "the frame") -> list[Series]:
    """Split ``frame`` (laid out as ``layout``) into sorted series; checks numbers and duplicated times."""
    if layout.form == "long":
        target_col, id_col = layout.target_col, layout.id_col
        for column in (target_col, *layout.covariates):
            if not _is_numeric(frame[column]):
                role = "target" if column == target_col else "covariate"
                raise ValueError(
                    f"{role} column {column!r} is not numeric (dtype {frame[column].dtype}) in {what}; convert it to "
                    f"numbers (e.g. pd.to_numeric(df[{column!r}])) or drop the rows that are not"
                )
        if frame[id_col].isna().any():
            first = int(np.flatnonzero(frame[id_col].isna().to_numpy())[0])
            raise ValueError(
                f"{what}: the id column {id_col!r} has missing values (first at row {first}); drop those rows or "
                f"give them an id"
            )
        times = _parse_time(frame[layout.time_col], layout.time_col, what)
        positions = np.arange(len(frame))
        out = []
        try:
            codes, uniques = pd.factorize(frame[id_col], sort=False)
        except TypeError as err:  # unhashable ids (lists, dicts)
            raise TypeError(
                f"{what}: the id column {id_col!r} holds values that cannot be series ids ({err}); use strings or "
                f"numbers, e.g. df[{id_col!r}] = df[{id_col!r}].astype(str)"
            ) from None
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
        _check_static(out, layout, what)
        return out
    if layout.library == "numpy":
        times = pd.Index(np.arange(len(frame), dtype=np.int64))
    elif layout.time_in_index:
        times = _parse_time(frame.index.to_series(), layout.time_col, what)
    else:
        times = _parse_time(frame[layout.time_col], layout.time_col, what)
    for column in (*layout.targets, *layout.covariates):
        if not _is_numeric(frame[column]):
            raise ValueError(
                f"column {column!r} is not numeric (dtype {frame[column].dtype}) in {what}; convert it to numbers "
                f"(e.g. pd.to_numeric(df[{column!r}])) or drop it"
            )
    rows = np.arange(len(frame))
    covariates = _covariate_matrix(frame, layout.covariates)
    return [
        _make_series(name, times, frame[name].to_numpy(dtype=np.float64, na_value=np.nan), covariates, rows, what)
        for name in layout.targets
    ]


def _check_static(series: list[Series], layout: FrameLayout, what: str) -> None:
    """Static covariates hold one finite value per series."""
    if not layout.n_static:
        return
    for s in series:
        values = s.covariates[:, len(layout.covariates) - layout.n_static :]
        for k, column in enumerate(layout.static_covariates):
            column_values = values[:, k]
            if not np.isfinite(column_values).all():
                raise ValueError(
                    f"{what}: static covariate {column!r} of series {s.id!r} has missing or infinite values; give "
                    f"every row of the series its one static value"
                )
            if len(column_values) and not (column_values == column_values[0]).all():
                distinct = np.unique(column_values)[:3].tolist()
                raise ValueError(
                    f"{what}: static covariate {column!r} changes within series {s.id!r} (values {distinct}...): a "
                    f"static covariate has one value per series; pass a varying input as past_covariates= or "
                    f"future_covariates="
                )


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
    return "integer" if _integer_steps(values) else "datetime"


def _integer_steps(values: pd.Series) -> bool:
    return bool(pd.api.types.is_integer_dtype(values)) and not pd.api.types.is_bool_dtype(values)


_NUMBER_KINDS = ("integer", "floating", "mixed-integer-float", "mixed-integer", "decimal", "boolean", "complex")
"""``pd.api.types.infer_dtype`` kinds of an object column that holds numbers, not dates."""


def _parse_time(values: pd.Series, name: Hashable, what: str = "the frame") -> pd.Index:
    """The time axis as an int64 Index (integer steps) or a DatetimeIndex; never guesses: numbers
    that are not integers (floats, bools, numbers in an object column) are refused instead of being
    read as nanoseconds since 1970."""
    if _integer_steps(values):
        missing = np.asarray(values.isna())
        if missing.any():  # nullable Int64 with <NA>
            raise ValueError(
                f"time column {name!r} of {what} has {int(missing.sum())} missing time step(s), first at row "
                f"{int(np.flatnonzero(missing)[0])}; drop those rows or fill in their time steps"
            )
        if pd.api.types.is_unsigned_integer_dtype(values) and len(values) and values.max() > np.iinfo(np.int64).max:
            raise ValueError(
                f"time column {name!r} of {what} has time steps up to {values.max()}, beyond the int64 range; shift "
                f"them (e.g. subtract the first step)"
            )
        return pd.Index(values.to_numpy(dtype=np.int64))
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.DatetimeIndex(values)
    else:
        numbers = pd.api.types.is_numeric_dtype(values) or (
            values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in _NUMBER_KINDS
        )
        if numbers:
            raise ValueError(
                f"time column {name!r} of {what} holds numbers of dtype {values.dtype} "
                f"({pd.api.types.infer_dtype(values, skipna=True)}), "
                f"neither dates nor integer time steps: convert it, e.g. df[{name!r}].astype('int64') for integer "
                f"steps 0, 1, 2, ... or pd.to_datetime(df[{name!r}]) for dates"
            )
        try:
            parsed = pd.DatetimeIndex(pd.to_datetime(values))
        except (ValueError, TypeError, OverflowError) as err:
            raise ValueError(
                f"time column {name!r} of {what} could not be parsed as dates: {err}. Parse it first, e.g. "
                f"df[{name!r}] = pd.to_datetime(df[{name!r}], format=..., utc=True), or drop the rows that are not "
                f"dates"
            ) from None
    if parsed.isna().any():
        first = int(np.flatnonzero(parsed.isna())[0])
        raise ValueError(
            f"time column {name!r} of {what} has {int(parsed.isna().sum())} missing timestamp(s), first at row "
            f"{first}; drop those rows or fill in their timestamps"
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
