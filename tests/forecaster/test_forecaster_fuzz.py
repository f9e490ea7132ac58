"""Property-based tests (hypothesis) of ``XLSTMForecaster.fit/predict`` on hostile input frames.

Random frames -- pandas wide (time column or DatetimeIndex) and long form, polars wide and long,
numpy arrays -- mix NaN, +-inf, NaT, duplicated, unsorted or absent timestamps, object/mixed/
string/bool/nullable columns, extra columns, empty frames and single rows, naive, tz-aware
(UTC, Europe/Berlin across a DST change, Asia/Kolkata), string and integer time axes (also near
the int64 limit, float and nullable ones), constant series and values at 1e12, 1e-12 and 1e300
scales. Every input must either

(a) raise a ValueError/TypeError whose message names the offending column (or the input) and a
    fix, never another exception type, or
(b) give a correct forecast: one row per step per series, every series, finite values of the
    data's scale, time stamps that continue the series' own grid;

and (c) nothing may be dropped silently: duplicated rows, NaN/NaT cells or rows must cause an error
or a warning, and the fitted model must have used every input step (its training windows and its
kept context are checked against the input).

Cost: ``test_fit_reading_path`` and ``test_predict_on_new_frames`` run the real ``fit``/``predict``
code with the optimizer loop replaced by a stub (the untrained network is kept), so they afford
many examples; ``test_fit_predict_end_to_end`` trains for real (one epoch of a tiny network) on
fewer. Run with ``--hypothesis-show-statistics`` for the number of examples.
"""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Hashable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from xlstm_ts.forecaster import XLSTMForecaster
from xlstm_ts.training.trainer import TrainOutcome

try:
    import polars as pl
except ImportError:  # pragma: no cover - polars is a test dependency
    pl = None

H, L = 4, 8
"""Horizon and lookback of the fuzzed models: a valid series needs L + H = 12 steps."""
FUZZ = {
    "horizon": H,
    "lookback": L,
    "embedding_dim": 8,
    "num_blocks": 1,
    "num_heads": 2,
    "patch_len": 4,
    "patch_stride": 2,
    "max_epochs": 1,
    "batch_size": 64,
    "verbose": 0,
    "random_state": 0,
    "validation_size": 0,  # every window trains: the window count is then a function of the input
}
if "model" in inspect.signature(XLSTMForecaster).parameters:
    FUZZ["model"] = "xlstm"  # the network path (``model="auto"`` may forecast with a baseline instead)

FIX_VERBS = (
    "pass", "use", "drop", "give", "remove", "sort", "convert", "rescale", "fill", "clean", "aggregate",
    "reshape", "check", "list", "rename", "replace", "shift", "forecast them", "cast", "parse", "resample",
    "leave", "set", "divide", "select", "refit", "add",
)
"""A message suggests a fix when it has one of these verbs as a whole word (``fill_missing=`` or
``fit(df)`` do not count)."""
FIX = re.compile(r"\b(" + "|".join(FIX_VERBS) + r")\b(?![_(])", re.IGNORECASE)

ALLOWED = (ValueError, TypeError)


# --------------------------------------------------------------------------- the generated cases
@dataclass
class Case:
    """A generated input and what the test knows about it."""

    data: Any
    """What fit/predict receive (pandas/polars frame or numpy array)."""
    kind: str
    """Input kind for the statistics: library/form/time axis."""
    series: dict[Hashable, tuple[pd.Index, np.ndarray]] = field(default_factory=dict)
    """Ground truth per series id: sorted time axis and values (NaN where a value is missing)."""
    future: dict[Hashable, list[Any]] = field(default_factory=dict)
    """Per series: the first H steps after its end on its own grid."""
    offending: set[str] = field(default_factory=set)
    """Names an error message may name (columns, series ids, the input)."""
    pathologies: set[str] = field(default_factory=set)
    must_fail: bool = False
    """A pathology that cannot give a correct forecast without an error or a warning."""
    scales: dict[Hashable, str] = field(default_factory=dict)
    fill: str = "raise"
    freq: Any = None
    lookback: int | None = L



def _textual(column: pd.Series) -> bool:
    """Object or string dtype (pandas 3 reads text as its ``str`` dtype, not ``object``)."""
    return pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)

def _values(kind: str, n: int, phase: float) -> np.ndarray:
    t = np.arange(n, dtype=np.float64)
    wave = np.sin(t / 2.0 + phase) + 0.3 * np.cos(t / 5.0 + 2 * phase)
    return {
        "wave": 10.0 + wave,
        "negative": -1e3 + 5 * wave,
        "constant": np.full(n, 7.25),
        "zero": np.zeros(n),
        "constant_huge": np.full(n, -3e12),
        "constant_tiny": np.full(n, 4e-12),
        "huge": 1e12 * (3.0 + wave),
        "tiny": 1e-12 * (3.0 + wave),
        "astronomic": 1e300 * (3.0 + wave),
        "counts": np.round(50 + 10 * wave),
    }[kind]


SCALES = st.sampled_from(
    ["wave", "wave", "wave", "negative", "constant", "zero", "constant_huge", "constant_tiny", "huge", "tiny",
     "astronomic", "counts"]
)
TIME_AXES = st.sampled_from(
    ["naive", "naive", "utc", "berlin", "kolkata", "strings", "integer", "integer", "integer_edge", "float",
     "nullable_int", "object_int"]
)
VALID_AXES = st.sampled_from(["naive", "utc", "berlin", "kolkata", "strings", "integer"])
"""Time axes a fit can succeed on (float, nullable, object-int and int64-edge axes are refused)."""
FREQS = {"naive": ["h", "15min", "D", "W-TUE", "MS"], "utc": ["h", "D"], "berlin": ["h", "D"],
         "kolkata": ["30min", "D"],
         "strings": ["h", "D"]}
PATHOLOGIES = st.sets(
    st.sampled_from(
        ["nan", "nan_row", "posinf", "neginf", "nat", "dup", "dup_conflict", "shuffle", "shuffle", "gap",
         "object_str", "object_num", "mixed", "numeric_strings", "bool", "nullable", "extra_col", "huge_cell",
         "int_dtype"]
    ),
    max_size=3,
)


def _grid_params(draw: Any, axis: str) -> tuple[Any, Any]:
    """(freq alias or integer step, start) of a case's grid, drawn once per case."""
    if axis in FREQS:
        freq = draw(st.sampled_from(FREQS[axis]))
        start = {"berlin": "2024-03-29 20:00", "utc": "2024-10-26"}.get(axis, "2024-01-01")
        if freq in ("W-TUE", "MS"):
            start = "2023-01-03" if freq == "W-TUE" else "2023-01-01"
        return freq, start
    return draw(st.sampled_from([1, 1, 2, 7])), draw(st.sampled_from([0, 1, -50, 1000]))


def _time_axis(axis: str, params: tuple[Any, Any], n: int, offset: int, numpy: bool) -> tuple[pd.Index, list[Any], Any]:
    """(time axis of n steps, the H steps after it on the same grid, the integer step or None).

    Integer futures are Python ints: past the int64 limit they are not representable (and must
    not wrap around)."""
    if numpy:
        return pd.Index(np.arange(n, dtype=np.int64)), list(range(n, n + H)), 1
    freq, start = params
    if axis not in FREQS:
        step = freq
        if axis == "integer_edge":  # the last step is 2 steps below the int64 limit
            start = int(np.iinfo(np.int64).max) - step * (n + 1 + offset)
        steps = [start + step * (k + offset) for k in range(n + H)]
        return pd.Index(np.asarray(steps[:n], dtype=np.int64)), steps[n:], step
    tz = {"utc": "UTC", "berlin": "Europe/Berlin", "kolkata": "Asia/Kolkata"}.get(axis)
    grid = pd.date_range(start, periods=n + H + offset, freq=freq, tz=tz)[offset:]
    return grid[:n], list(grid[n:]), None


def _time_column(index: pd.Index, axis: str) -> Any:
    if axis == "strings":
        return index.astype(str)
    if axis == "float":
        return np.asarray(index, dtype=np.float64)
    if axis == "nullable_int":
        return pd.array(np.asarray(index), dtype="Int64")
    if axis == "object_int":
        return pd.Series(list(np.asarray(index).tolist()), dtype=object)
    return index


@st.composite
def cases(draw: Any, *, valid_bias: bool = False, max_pathologies: int = 3) -> Case:
    """A frame of 1-3 series in a random library/form/time axis, with 0-3 pathologies."""
    form = draw(st.sampled_from(["wide", "wide_index", "long", "numpy"]))
    library = "numpy" if form == "numpy" else draw(st.sampled_from(["pandas", "pandas", "polars"]))
    if library == "polars" and form == "wide_index":
        form = "wide"
    axis = "integer" if form == "numpy" else draw(VALID_AXES if valid_bias else TIME_AXES)
    if form == "wide_index" and axis not in FREQS:
        form = "wide"  # an integer axis in the index is not a time axis: the time column then
    if valid_bias:
        n = draw(st.integers(L + H, L + H + 20))
        pathologies = draw(st.sets(st.sampled_from(["shuffle", "bool", "int_dtype", "object_num"]), max_size=1))
    else:
        n = draw(st.sampled_from([0, 1, 2, 5, L + H - 1]) | st.integers(L + H, L + H + 24))
        pathologies = set(list(draw(PATHOLOGIES))[:max_pathologies])
    n_series = draw(st.integers(1, 3))
    id_kind = draw(st.sampled_from(["str", "int"]))
    names: list[Hashable] = [f"s{k}" if id_kind == "str" or library == "polars" else 10 + k for k in range(n_series)]
    if form == "numpy":
        names = list(range(n_series))
    scales = {name: draw(SCALES) for name in names}
    if valid_bias:
        scales = {name: ("wave" if s == "astronomic" else s) for name, s in scales.items()}
    fill = draw(st.sampled_from(["raise", "raise", "interpolate", "ffill"]))
    case = Case(data=None, kind=f"{library}/{form}/{axis}", scales=scales, fill=fill, pathologies=set(pathologies))
    case.lookback = draw(st.sampled_from([L, L, None]))

    time_col = "ds"
    series_axes: dict[Hashable, pd.Index] = {}
    params = _grid_params(draw, axis)
    step = None
    for k, name in enumerate(names):
        offset = draw(st.integers(0, 3)) if form == "long" else 0
        length = n if form != "long" else max(0, n - draw(st.integers(0, 2)))
        grid, future, step = _time_axis(axis, params, length, offset, form == "numpy")
        series_axes[name] = grid
        case.future[name] = future
        values = _values(scales[name], length, phase=float(k))
        case.series[name] = (grid, values.copy())
    case.freq = None
    if draw(st.booleans()) and axis in ("integer", "integer_edge", "float", "nullable_int", "object_int"):
        case.freq = step  # give freq= (absent integer steps become missing values)

    # ---------------------------------------------------------------- build the frame
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    target_cols: dict[Hashable, Any] = {}
    if form == "long":
        rows = []
        for name in names:
            time, values = case.series[name]
            rows.append(pd.DataFrame({"unique_id": [name] * len(time), "ds": _time_column(time, axis), "y": values}))
        frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame({"unique_id": [], "ds": [], "y": []})
        value_cols = ["y"]
    else:
        time = series_axes[names[0]]
        data = {name: case.series[name][1] for name in names}
        if form == "numpy":
            frame = pd.DataFrame(data)
        elif form == "wide_index":
            frame = pd.DataFrame(data, index=pd.DatetimeIndex(time, name="ds"))
        else:
            frame = pd.DataFrame({time_col: _time_column(time, axis), **data})
        value_cols = list(names)
    case.offending |= {str(c) for c in value_cols} | {str(n) for n in names} | {time_col, "fit(df)", "predict(df)"}

    def set_truth(row: int, col: Hashable, value: float) -> None:
        """The clean truth of the cell at frame row ``row`` becomes ``value`` (NaN: not observed)."""
        sids = [frame["unique_id"].iloc[row]] if form == "long" else ([col] if col is not None else names)
        if form == "numpy":
            stamp: Any = int(frame.index[row])
        elif form == "wide_index":
            stamp = frame.index[row]
        else:
            stamp = _as_time(frame["ds"].iloc[row], axis)
        for sid in sids:
            time, values = case.series[sid]
            hit = np.flatnonzero(np.asarray(time == stamp))
            if len(hit):
                values[int(hit[0])] = value

    def set_cell(row: int, col: Hashable, value: Any) -> None:
        frame.iloc[row, frame.columns.get_loc(col)] = value

    for p in sorted(pathologies):
        nrows = len(frame)
        if nrows == 0:
            break
        row = int(rng.integers(nrows))
        col = value_cols[int(rng.integers(len(value_cols)))]
        if p in ("nan", "nullable") or (p == "nan_row"):
            cols = value_cols if p == "nan_row" else [col]
            applied = False
            for c in cols:
                if _textual(frame[c]):
                    continue
                if p == "nullable":
                    if frame[c].isna().any() or not np.isfinite(frame[c].astype(float)).all():
                        continue
                    frame[c] = pd.array(frame[c].to_numpy(dtype=np.float64), dtype="Float64")
                    set_cell(row, c, pd.NA)
                else:
                    frame[c] = frame[c].astype(np.float64)
                    set_cell(row, c, np.nan)
                set_truth(row, c if form != "long" else None, np.nan)
                applied = True
            case.must_fail |= applied and fill == "raise"
        elif p in ("posinf", "neginf", "huge_cell"):
            if _textual(frame[col]):
                continue
            frame[col] = frame[col].astype(np.float64)
            value = {"posinf": np.inf, "neginf": -np.inf, "huge_cell": 1e300}[p]
            set_cell(row, col, value)
            set_truth(row, col if form != "long" else None, value if p == "huge_cell" else np.nan)
            case.must_fail |= p != "huge_cell"
        elif p == "nat" and form not in ("numpy", "wide_index") and axis in FREQS:
            frame["ds"] = frame["ds"].astype(object) if axis == "strings" else frame["ds"]
            set_cell(row, "ds", None)
            case.must_fail = True
        elif p == "nat" and form == "wide_index":
            index = frame.index.to_series()
            index.iloc[row] = pd.NaT
            frame.index = pd.DatetimeIndex(index, name="ds")
            case.must_fail = True
        elif p in ("dup", "dup_conflict") and form != "numpy":
            copy = frame.iloc[[row]].copy()
            if p == "dup_conflict":
                copy[value_cols[0]] = copy[value_cols[0]].astype(object).where(copy[value_cols[0]].isna(), 123.0)
            frame = pd.concat([frame, copy], ignore_index=form != "wide_index")
            case.must_fail = True
        elif p == "shuffle" and form != "numpy":  # numpy rows are the time steps: their order is the data
            frame = frame.sample(frac=1.0, random_state=int(rng.integers(1000)))
            if form != "wide_index":
                frame = frame.reset_index(drop=True)
        elif p == "gap" and nrows > 3 and form != "numpy":
            drop = min(row, nrows - 2) if row > 0 else 1
            set_truth(drop, None, np.nan)
            frame = frame.drop(frame.index[drop])
            case.must_fail |= fill == "raise"
        elif p == "object_str":
            frame[col] = frame[col].astype(object)
            set_cell(row, col, "n/a")
            case.must_fail = True
        elif p == "object_num":
            frame[col] = frame[col].astype(object)
        elif p == "mixed":
            mixed = frame[col].astype(object)
            mixed.iloc[row] = str(mixed.iloc[row])
            frame[col] = mixed
        elif p == "numeric_strings":
            frame[col] = frame[col].astype(str)
        elif p == "bool" and form != "long" and nrows == n:  # first in order: the rows are the clean axis
            frame[col] = np.arange(nrows) % 3 == 0
            case.series[col] = (case.series[col][0], (np.arange(nrows) % 3 == 0).astype(float))
            case.scales[col] = "bool"
        elif p == "int_dtype" and frame[col].dtype != object:
            as_float = frame[col].astype(float)
            if np.isfinite(as_float).all() and (as_float.abs() < 1e15).all():
                frame[col] = np.round(as_float).astype(np.int64)
                for sid in ([col] if form != "long" else names):
                    t, v = case.series[sid]
                    case.series[sid] = (t, np.round(v))
        elif p == "extra_col" and form != "numpy":
            frame["note"] = "x"
            case.offending.add("note")
            case.must_fail = True
    if form == "numpy":
        case.data = frame.to_numpy()
        case.offending |= {"fit(df)", "predict(df)"}
    elif library == "polars":
        try:
            case.data = pl.from_pandas(frame)
        except Exception:  # not representable in polars (mixed objects): keep pandas
            case.data = frame
            case.kind = case.kind.replace("polars", "pandas")
    else:
        case.data = frame
    return case


def _record(case: Case) -> None:
    """Input kinds into hypothesis' statistics (``--hypothesis-show-statistics``)."""
    event(f"input: {case.kind}")
    for p in sorted(case.pathologies):
        event(f"pathology: {p}")
    for scale in sorted(set(case.scales.values())):
        event(f"values: {scale}")


def _as_time(value: Any, axis: str) -> Any:
    if axis in FREQS:
        stamp = pd.Timestamp(value)
        return stamp
    return int(value)


# --------------------------------------------------------------------------- checks
def assert_clear_error(err: BaseException, case: Case | None = None, names: set[str] | None = None) -> None:
    """(a): a ValueError/TypeError that names something of the input and suggests a fix."""
    if not isinstance(err, ALLOWED):
        raise AssertionError(f"{type(err).__name__} leaked: {err}") from err
    message = str(err)
    wanted = set(names or set()) | (case.offending if case is not None else set())
    if wanted:
        assert any(_mentions(message, name) for name in wanted), f"message names none of {sorted(wanted)}: {message}"
    assert FIX.search(message), f"no fix suggested: {message}"


def _mentions(message: str, name: str) -> bool:
    return name in message


def kept_context_matches(model: XLSTMForecaster, case: Case) -> None:
    """(c): the model used every input step: last times, window counts and the kept context."""
    state = model.state_
    expected_windows = 0
    for k, sid in enumerate(state.series_ids):
        time, values = case.series[_key(sid, case)]
        assert _same_time(state.last_times[k], time[-1]), (sid, state.last_times[k], time[-1])
        expected_windows += len(time) - model.lookback_ - H + 1
        context = state.context_target[k]
        truth = values[-model.lookback_ :]
        observed = np.isfinite(truth)  # NaN: a missing value, filled by fill_missing
        np.testing.assert_allclose(context[observed], truth[observed], rtol=1e-12, atol=0)
    assert model.fit_info_["train_windows"] == expected_windows, (model.fit_info_["train_windows"], expected_windows)


def _key(sid: Hashable, case: Case) -> Hashable:
    return sid


def _same_time(a: Any, b: Any) -> bool:
    if isinstance(b, (int, np.integer)):
        return int(a) == int(b)
    return pd.Timestamp(a) == pd.Timestamp(b)


def forecast_is_correct(model: XLSTMForecaster, case: Case, out: Any, h: int = H) -> None:
    """(b) + (d): one row per step per series, every series, finite values of the data's scale,
    time stamps continuing each series' own grid."""
    per_series = _split_forecast(out, model, h)
    assert set(per_series) == set(case.series), (sorted(map(str, per_series)), sorted(map(str, case.series)))
    for sid, (times, values) in per_series.items():
        assert len(values) == h
        assert np.isfinite(values).all(), (sid, values)
        truth_time, truth = case.series[sid]
        if times is not None:
            expected = case.future[sid][:h]
            assert len(times) == h and all(_same_time(a, b) for a, b in zip(times, expected, strict=True)), (
                sid, list(times), list(expected))
        _assert_scale(truth, values, case.scales[sid], sid)


def _assert_scale(truth: np.ndarray, values: np.ndarray, scale: str, sid: Hashable, floor: float = 0.0) -> None:
    """Forecast ``values`` of the scale of ``truth``; ``floor``: the least spread tolerated (see the predict test)."""
    finite = truth[np.isfinite(truth)]
    unit = max(float(np.abs(finite).max()), 1e-300)  # 1e300-scale truths: no overflow in the test either
    mean, std = float(np.mean(finite / unit)) * unit, float(np.std(finite / unit)) * unit
    if std <= 1e-9 * max(abs(mean), 1e-300):  # constant series: forecast ~that constant
        tol = max(0.05 * abs(mean) if mean != 0 else 0.05, 50 * floor)
        assert np.all(np.abs(values - mean) <= tol), f"constant {mean!r} of {sid!r} forecast as {values}"
    else:  # of the data's scale: within many standard deviations of its mean
        tol = 50 * max(std, floor)
        assert np.all(np.abs(values - mean) <= tol), f"{sid!r} ({scale}, mean {mean:g}, std {std:g}): {values}"


def _split_forecast(out: Any, model: XLSTMForecaster, h: int) -> dict[Hashable, tuple[Any, np.ndarray]]:
    layout = model.layout_
    if isinstance(out, np.ndarray):
        assert out.shape == (h, len(model.series_ids_))
        return {sid: (None, out[:, k].astype(np.float64)) for k, sid in enumerate(model.series_ids_)}
    frame = out.to_pandas() if pl is not None and isinstance(out, pl.DataFrame) else out
    assert isinstance(frame, pd.DataFrame)
    if layout.form == "long":
        assert len(frame) == h * frame["unique_id"].nunique()
        parts = {}
        for sid, part in frame.groupby("unique_id", sort=False):
            parts[_id(sid)] = (list(part["ds"]), part["y"].to_numpy(dtype=np.float64))
        return parts
    assert len(frame) == h
    times = list(frame.index) if layout.time_in_index else list(frame["ds"])
    return {sid: (times, frame[sid].to_numpy(dtype=np.float64)) for sid in model.series_ids_}


def _id(value: Any) -> Hashable:
    return value.item() if isinstance(value, np.generic) else value


@contextmanager
def untrained() -> Any:
    """Replace the optimizer loop by a stub that checks the training windows and keeps the
    untrained network: the whole fit/predict code runs, at a fraction of the cost."""

    def stub(network: Any, train_loader: Any, val_loader: Any, config: Any, **_: Any) -> TrainOutcome:
        for x, y in train_loader:
            assert torch.isfinite(x).all() and torch.isfinite(y).all(), "non-finite training window"
        return TrainOutcome(network.eval(), 0, -1, None, None, False, 0.0)

    with mock.patch("xlstm_ts.training.trainer.train_network", stub):
        yield


def fit_and_check(case: Case, h: int = H) -> XLSTMForecaster | None:
    """fit + predict on ``case``; checks (a)-(d). Returns the model when it succeeded."""
    model = XLSTMForecaster(**{**FUZZ, "lookback": case.lookback}, fill_missing=case.fill, freq=case.freq)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.fit(case.data)
            out = model.predict(h=h) if h != H else model.predict()
        except Exception as err:  # noqa: BLE001 - the property is about which exceptions escape
            event(f"outcome: {type(err).__name__}")
            assert_clear_error(err, case)
            return None
    event("outcome: forecast" + (" (with a warning)" if case.must_fail else ""))
    ours = [w for w in caught if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    relevant = [w for w in ours if "NoValidation" not in w.category.__name__ and "Recursive" not in w.category.__name__]
    if case.must_fail:
        assert relevant, f"{sorted(case.pathologies)} accepted without an error or a warning ({case.kind})"
        return model
    forecast_is_correct(model, case, out, h)
    kept_context_matches(model, case)
    return model


# --------------------------------------------------------------------------- the properties
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_fit_reading_path(case: Case) -> None:
    """Every hostile frame through the real fit/predict (optimizer loop stubbed): (a)-(d)."""
    _record(case)
    with untrained():
        fit_and_check(case)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases(valid_bias=True))
def test_fit_predict_end_to_end(case: Case) -> None:
    """Real training (one epoch of a tiny network) on mostly valid frames: (a)-(d)."""
    _record(case)
    model = fit_and_check(case)
    if model is not None:
        assert model.fit_info_["epochs"] == 1 and model.fit_info_["train_seconds"] > 0  # really trained


_FITTED: dict[str, tuple[XLSTMForecaster, Case]] = {}


def _fitted(kind: str) -> tuple[XLSTMForecaster, Case]:
    """One model per input form, fitted once (untrained weights) and reused by the predict fuzz."""
    if kind not in _FITTED:
        n = 30
        ds = pd.date_range("2024-03-30", periods=n + H, freq="h", tz="Europe/Berlin")
        values = {"a": 10 + np.sin(np.arange(n) / 2.0), "b": np.full(n, 5.0)}
        if kind == "wide":
            frame: Any = pd.DataFrame({"ds": ds[:n], **values})
        elif kind == "long":
            frame = pd.DataFrame({"unique_id": ["a"] * n + ["b"] * n, "ds": list(ds[:n]) * 2,
                                  "y": np.concatenate([values["a"], values["b"]])})
        else:
            frame = np.column_stack([values["a"], values["b"]])
        with untrained():
            model = XLSTMForecaster(**FUZZ).fit(frame)
        case = Case(frame, kind, {k: (ds[:n], v) for k, v in values.items()} if kind != "numpy" else
                    {0: (pd.Index(range(n)), values["a"]), 1: (pd.Index(range(n)), values["b"])})
        _FITTED[kind] = (model, case)
    return _FITTED[kind]


@st.composite
def predict_frames(draw: Any) -> tuple[str, Any, set[str], bool]:
    """A later/new context for a fitted model, with pathologies: (form, data, names, must_fail)."""
    kind = draw(st.sampled_from(["wide", "long", "numpy"]))
    model, case = _fitted(kind)
    n = draw(st.sampled_from([0, 1, L - 1]) | st.integers(L, L + 10))
    shift = draw(st.integers(0, 10))
    ds = pd.date_range("2024-03-30 10:00", periods=n, freq="h", tz="Europe/Berlin") + pd.Timedelta(hours=shift)
    scale = draw(st.sampled_from([1.0, 1.0, 1e12, 1e-12, 1e30, 1e60]))
    a = scale * (10 + np.sin(np.arange(n) / 2.0))
    b = np.full(n, 5.0) * (scale if draw(st.booleans()) else 1.0)
    pathologies = draw(st.sets(st.sampled_from(["nan", "inf", "dup", "shuffle", "column", "object", "freq", "naive",
                                                "new_id", "library"]), max_size=2))
    names = {"a", "b", "ds", "unique_id", "y", "predict(df)", "0", "1"}
    must_fail = False
    rng = np.random.default_rng(draw(st.integers(0, 999)))
    row = int(rng.integers(max(n, 1)))
    if kind == "numpy":
        data: Any = np.column_stack([a, b])
        if "nan" in pathologies and n:
            data[row, 0] = np.nan
            must_fail = True
        if "inf" in pathologies and n:
            data[row, 1] = -np.inf
            must_fail = True
        if "column" in pathologies:
            data = data[:, :1]
        if "object" in pathologies and n:
            data = data.astype(object)
            data[row, 0] = "x"
            must_fail = True
        return kind, data, names, must_fail
    if "freq" in pathologies:
        ds = pd.date_range("2024-03-30", periods=n, freq="D", tz="Europe/Berlin")
        must_fail = n >= 3
    if "naive" in pathologies:
        ds = ds.tz_localize(None)
    if kind == "wide":
        frame = pd.DataFrame({"ds": ds, "a": a, "b": b})
        col = "a"
    else:
        ids = ["a"] * n + (["b"] * n if "new_id" not in pathologies else ["zz"] * n)
        frame = pd.DataFrame({"unique_id": ids, "ds": list(ds) * 2, "y": np.concatenate([a, b])})
        col = "y"
        names.add("zz")
    if n:
        if "nan" in pathologies:
            frame.loc[row, col] = np.nan
            must_fail = True
        if "inf" in pathologies:
            frame.loc[row, col] = np.inf
            must_fail = True
        if "dup" in pathologies:
            frame = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
            must_fail = True
        if "object" in pathologies:
            frame[col] = frame[col].astype(object)
            frame.loc[row, col] = "?"
            must_fail = True
    if "shuffle" in pathologies:
        frame = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    if "column" in pathologies:
        frame["extra"] = 1.0
        names.add("extra")
        must_fail = True
    data = frame
    if "library" in pathologies and pl is not None:
        try:
            data = pl.from_pandas(frame)
        except Exception:
            data = frame
    return kind, data, names, must_fail


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(predict_frames(), st.sampled_from([1, H, H + 3]))
def test_predict_on_new_frames(args: tuple[str, Any, set[str], bool], h: int) -> None:
    """predict(df) of a fitted model on hostile contexts: (a), finite forecasts of the right scale."""
    kind, data, names, must_fail = args
    model, _ = _fitted(kind)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = model.predict(data, h)
        except Exception as err:  # noqa: BLE001
            event(f"outcome: {type(err).__name__}")
            assert_clear_error(err, names=names)
            return
    event(f"input: {kind}")
    event("outcome: forecast")
    relevant = [w for w in caught if "Recursive" not in w.category.__name__
                and not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    assert not must_fail or relevant, "accepted without an error or a warning"
    frame = data.to_pandas() if pl is not None and isinstance(data, pl.DataFrame) else data
    if isinstance(out, np.ndarray):
        assert out.shape == (h, 2) and np.isfinite(out).all()
        truths = {0: frame[:, 0], 1: frame[:, 1]}
        values = {0: out[:, 0], 1: out[:, 1]}
    else:
        out = out.to_pandas() if pl is not None and isinstance(out, pl.DataFrame) else out
        if kind == "wide":
            truths = {c: frame.sort_values("ds")[c].to_numpy(dtype=float) for c in ("a", "b")}
            values = {c: out[c].to_numpy() for c in ("a", "b")}
            last = frame["ds"].max()
            steps = list(out["ds"])
            assert steps == list(pd.date_range(last, periods=h + 1, freq="h")[1:])
        else:
            truths = {i: g.sort_values("ds")["y"].to_numpy(dtype=float) for i, g in frame.groupby("unique_id")}
            values = {i: g["y"].to_numpy() for i, g in out.groupby("unique_id")}
            assert set(truths) == set(values) and all(len(v) == h for v in values.values())
    for key, value in values.items():
        assert np.isfinite(value).all(), (key, value)
        # Intended: a series seen in fit is standardized by its *fit* statistics, and the float32
        # network (RevIN eps=1e-5 on the standardized window) resolves ~3e-3 of that std; a context
        # at a very different scale (fit at ~10, now at ~1e-11) is forecast to within a fraction of
        # the fit std, not of its own. New ids are scaled by their own statistics: no floor.
        fit_std = float(model.scalers_[key].std_[0]) if key in model.series_ids_ else 0.0
        _assert_scale(np.asarray(truths[key], dtype=float)[-model.lookback_:], np.asarray(value, float), "", key,
                      floor=0.01 * fit_std)


# --------------------------------------------------------------------------- numpy arrays
@st.composite
def arrays(draw: Any) -> tuple[Any, bool]:
    """2-D arrays of floats/ints/bools/objects/strings with NaN/inf, and arrays of the wrong rank."""
    shape = draw(st.sampled_from([(0,), (5,), (0, 2), (3, 0), (L + H + 4, 1), (L + H + 4, 2), (L + H, 3), (2, 2, 2),
                                  ()]))
    dtype = draw(st.sampled_from(["float64", "float32", "int64", "bool", "object", "object_mixed", "str", "complex"]))
    rng = np.random.default_rng(draw(st.integers(0, 999)))
    base = np.asarray(10 + np.sin(np.arange(int(np.prod(shape))) / 2.0)).reshape(shape)
    if dtype == "object_mixed":
        array = base.astype(object)
        if array.size:
            array.flat[int(rng.integers(array.size))] = "abc"
    elif dtype == "str":
        array = base.astype(str)
    elif dtype == "complex":
        array = base + 1j
    else:
        array = base.astype(dtype) if dtype != "bool" else base > 10
    must_fail = dtype in ("object_mixed", "str", "complex") or len(shape) != 2 or 0 in shape
    if draw(st.booleans()) and array.size and dtype.startswith("float"):
        array.flat[int(rng.integers(array.size))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        must_fail = True
    return array, must_fail


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays())
@example((np.array([[1.0, "abc"]] * (L + H + 4), dtype=object), True))  # was numpy's bare "could not convert"
@example((np.arange(L + H + 4, dtype=np.complex128)[:, None] + 1j, True))  # "Complex data not supported": no fix
def test_numpy_arrays(args: tuple[np.ndarray, bool]) -> None:
    array, must_fail = args
    model = XLSTMForecaster(**FUZZ)
    event(f"input: numpy {array.dtype.kind} ndim={array.ndim}")
    try:
        with untrained():
            model.fit(array)
        out = model.predict()
    except Exception as err:  # noqa: BLE001
        event(f"outcome: {type(err).__name__}")
        assert_clear_error(err, names={"fit(df)", "column", "array"})
        return
    event("outcome: forecast")
    assert not must_fail, f"accepted {array.dtype} {array.shape}"
    assert out.shape == (H, array.shape[1]) and np.isfinite(out).all()


# --------------------------------------------------------------------------- regressions found by the fuzzing
def _frame(values: Any, ds: Any = None, n: int = 30) -> pd.DataFrame:
    return pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=n, freq="h") if ds is None else ds, "a": values})


WAVE = 3.0 + np.sin(np.arange(30) / 2.0)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (np.full(30, 4e-12), 4e-12),  # was forecast as ~3e-3: an absolute std floor (1e-8 -> 1.0)
        (1e-12 * WAVE, None),  # idem for a varying series at the 1e-12 scale
        (np.full(30, -3e12), -3e12),
        (1e12 * WAVE, None),
        (1e300 * WAVE, None),  # was inf: the squares of the std overflowed
        (np.full(30, 1e200), 1e200),  # idem (float rounding of the mean)
        (np.zeros(30), 0.0),
    ],
)
def test_forecasts_keep_the_scale_of_the_data(values: np.ndarray, expected: float | None) -> None:
    with untrained():
        model = XLSTMForecaster(**FUZZ).fit(_frame(values))
    out = model.predict()["a"].to_numpy()
    assert np.isfinite(out).all()
    _assert_scale(values, out, "", "a")
    if expected is not None:
        assert np.allclose(out, expected, rtol=0.05, atol=0.05 if expected == 0 else 0)


@pytest.mark.parametrize(
    ("ds", "match"),
    [
        (np.arange(30, dtype=np.float64), r"time column 'ds'.*holds numbers of dtype float64.*astype\('int64'\)"),
        (pd.Series(list(range(30)), dtype=object), r"time column 'ds'.*holds numbers of dtype object"),
        (pd.array([0, None, *range(2, 30)], dtype="Int64"),
         r"time column 'ds'.*1 missing time step\(s\), first at row 1"),
        (np.iinfo(np.int64).max - 31 + np.arange(30), r"time column 'ds'.*pass the int64 limit.*shift"),
        (np.full(30, True), r"time column 'ds'.*holds numbers of dtype bool"),
    ],
)
def test_time_axes_that_would_be_misread_are_refused(ds: Any, match: str) -> None:
    """Floats/objects were read as nanoseconds since 1970, int64 steps near the limit wrapped around
    to negative forecast times, a nullable Int64 axis with <NA> leaked pandas' message."""
    with untrained(), pytest.raises(ValueError, match=match):
        XLSTMForecaster(**FUZZ).fit(_frame(WAVE, ds=ds))


@pytest.mark.filterwarnings("ignore::xlstm_ts.forecasting.rolling.RecursiveForecastWarning")
def test_integer_forecast_times_never_wrap_around() -> None:
    with untrained():  # the horizon fits below the int64 limit, a longer h does not
        model = XLSTMForecaster(**FUZZ).fit(_frame(WAVE, ds=np.iinfo(np.int64).max - 35 + np.arange(30)))
    assert list(model.predict()["ds"]) == [np.iinfo(np.int64).max - 5 + k for k in range(4)]
    with pytest.raises(ValueError, match=r"time column 'ds'.*int64 limit"):  # was: forecast times -2**63, ...
        model.predict(h=H + 3)


def test_unhashable_ids_name_the_id_column() -> None:
    frame = pd.DataFrame({"unique_id": [[1]] * 30, "ds": pd.date_range("2024-01-01", periods=30, freq="h"), "y": WAVE})
    with pytest.raises(TypeError, match=r"id column 'unique_id'.*astype\(str\)"):  # was "unhashable type: 'list'"
        XLSTMForecaster(**FUZZ).fit(frame)


def test_object_array_names_the_column() -> None:
    array = np.column_stack([WAVE, WAVE]).astype(object)
    array[3, 1] = "n/a"
    with pytest.raises(ValueError, match=r"fit\(df\): column 1 of the object array.*convert"):
        XLSTMForecaster(**FUZZ).fit(array)


@pytest.mark.parametrize("scale", [1e30, 1e60])
def test_a_context_far_outside_the_fit_scale_is_refused_not_nan(scale: float) -> None:
    """A known series standardized by its fit statistics overflowed the float32 network: NaN forecasts."""
    with untrained():
        model = XLSTMForecaster(**FUZZ).fit(_frame(10 + WAVE))
    with pytest.raises(ValueError, match=r"series 'a'.*standard deviations.*new id"):
        model.predict(_frame(scale * (10 + WAVE)))
    renamed = _frame(scale * (10 + WAVE)).rename(columns={"a": "a_new"})
    with untrained():  # a series of that scale on its own statistics forecasts fine
        out = XLSTMForecaster(**FUZZ).fit(renamed).predict()
    _assert_scale(scale * (10 + WAVE), out["a_new"].to_numpy(), "", "a_new")


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (_frame(np.r_[1.0, np.inf, WAVE[2:]]), r"column 'a'.*replace them"),
        (_frame(WAVE, ds=pd.Series(pd.date_range("2024-01-01", periods=30, freq="h")).where(np.arange(30) != 4)),
         r"time column 'ds'.*drop those rows"),
        (pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=30, freq="h"), "a": np.nan, "b": WAVE}),
         r"column 'a' has no value at all.*drop that series"),
        (_frame(WAVE, ds=["2024-01-01"] * 29 + ["garbage"]), r"(?s)time column 'ds'.*Parse it first"),
    ],
)
def test_messages_say_how_to_fix(frame: pd.DataFrame, match: str) -> None:
    """These named the problem but suggested no fix."""
    with pytest.raises(ValueError, match=match):
        XLSTMForecaster(**FUZZ, fill_missing="interpolate").fit(frame)
