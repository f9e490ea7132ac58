"""Property-based tests (hypothesis) of the ``xlstm-ts predict`` file reader.

One tiny run directory per module (DLinear on ILI, one epoch, lookback 36, horizon 24: weekly data
dated on Tuesdays), then random input CSVs -- ISO dates, dates only, UTC, fixed (+05:30) and mixed
(Europe/Berlin across DST) offsets, weekly on other weekdays, daily data, integer/float dates, no
date column, a date column not first or named otherwise -- mixed with NaN/inf/text cells inside and
before the rows the model reads, missing/extra channels, duplicated, unsorted, absent or
unparseable dates, empty files, header-only files, too few rows, constant channels, values at the
1e12 and 1e-12 scales -- go through ``main(["predict", ...])`` and through ``predict_run``.

Properties: (a) ``main`` never raises: exit 0, or exit 2 with one ``xlstm-ts predict: error:``
line that names the input (its path or a column) and a fix; ``predict_run`` raises only
ValueError/TypeError; (b) on success the output CSV has ``horizon`` rows, the date and every output
channel, finite values, and dates that continue the input's own step; (c) nothing is dropped
silently: a duplicated date, a NaN/inf/text cell or an absent step in the rows the model reads is
an error, and unsorted rows forecast exactly what the sorted rows do.

Intended, not checked as a drop: the reader uses the last ``lookback`` rows only (as documented in
:mod:`xlstm_ts.pipeline.predict`), so NaN or text before them is not an error, and extra columns
are not read.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from xlstm_ts.cli import main
from xlstm_ts.pipeline.predict import predict_run
from xlstm_ts.pipeline.run_dir import open_run

LOOKBACK, HORIZON = 36, 24
FIX = re.compile(
    r"\b(pass|use|drop|give|remove|sort|convert|rescale|fill|fix|check|rename|replace|resample|aggregate|write)"
    r"\b(?![_(])",
    re.IGNORECASE,
)
_RUN: dict[str, Any] = {}


@pytest.fixture(scope="module")
def run_dir(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("ili-run")
    code = main([
        "fit", "--dataset", "ILI", "--model", "dlinear", "--max-epochs", "1", "--set", "limit_train_batches=2",
        "--lookback", str(LOOKBACK), "--horizon", str(HORIZON), "--data-dir", str(shared_data_dir),
        "--output-dir", str(out), "--quiet",
    ])
    assert code == 0
    run = open_run(out)
    _RUN.update(path=out, run=run, channels=run.description["channel_names"],
                mean=np.asarray(run.description["scaler"]["mean"]), std=np.asarray(run.description["scaler"]["std"]))
    yield out
    _RUN.clear()


# --------------------------------------------------------------------------- the generated CSVs
@dataclass
class CsvCase:
    frame: pd.DataFrame | None
    """The frame written to the CSV (None: an empty file)."""
    kind: str
    step: pd.DateOffset | None = None
    """The input's own step (None: the dates are not valid dates)."""
    last: pd.Timestamp | None = None
    """The last date of the input (the forecast starts one step after it)."""
    names: set[str] = field(default_factory=set)
    """What an error message may name: the path, the date column, the channels."""
    must_fail: bool = False
    pathologies: set[str] = field(default_factory=set)


DATE_KINDS = ["iso", "iso", "date_only", "utc", "kolkata", "berlin", "monday", "daily", "integer", "float",
              "no_date", "named_Date", "date_not_first"]
PATHOLOGIES = ["nan_window", "nan_before", "inf_window", "text_window", "text_before", "missing_channel",
               "extra_column", "dup_date", "dup_row", "shuffle", "shuffle", "gap_window", "gap_before", "nat",
               "garbage_date", "huge", "tiny", "constant", "bool"]


@st.composite
def csv_cases(draw: Any) -> CsvCase:
    channels, mean, std = _RUN["channels"], _RUN["mean"], _RUN["std"]
    special = draw(st.sampled_from(["rows", "rows", "rows", "rows", "rows", "rows", "empty_file", "header_only"]))
    kind = draw(st.sampled_from(DATE_KINDS))
    short = draw(st.integers(0, 4)) == 0  # 1 in 5: too few rows
    n = draw(st.sampled_from([1, LOOKBACK - 1])) if short else draw(st.integers(LOOKBACK, LOOKBACK + 20))
    pathologies = draw(st.sets(st.sampled_from(PATHOLOGIES), max_size=2))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    case = CsvCase(None, f"{special}/{kind}", pathologies=set(pathologies))
    case.names = {"date", "Date", *channels}
    if special == "empty_file":
        case.must_fail = True
        return case
    freq = {"monday": "W-MON", "daily": "D"}.get(kind, "W-TUE")
    tz = {"utc": "UTC", "kolkata": "Asia/Kolkata", "berlin": "Europe/Berlin"}.get(kind)
    dates = pd.date_range("2019-01-01" if freq != "W-MON" else "2018-12-31", periods=n, freq=freq, tz=tz)
    values = mean + std * (0.3 * rng.standard_normal((n, len(channels))) + np.sin(np.arange(n) / 4.0)[:, None])
    values[:, 2:] = np.round(values[:, 2:])  # the count channels
    if "huge" in pathologies:
        values = values * 1e12
    if "tiny" in pathologies:
        values = values * 1e-12
    if "constant" in pathologies:
        values[:] = values[0]
    frame = pd.DataFrame(values, columns=channels)
    if "bool" in pathologies:
        frame[channels[0]] = np.arange(n) % 2 == 0
    date_col = {"named_Date": "Date"}.get(kind, "date")
    case.step, case.last = pd.tseries.frequencies.to_offset(freq), dates[-1]
    if kind == "date_only":
        text: Any = dates.strftime("%Y-%m-%d")
    elif kind in ("integer", "float"):
        text = np.arange(n) if kind == "integer" else np.arange(n) + 0.5
        case.must_fail = True  # numbers are not dates (they used to be read as ns since 1970)
    else:
        text = dates.astype(str)
    if kind == "berlin" and len(set(d.utcoffset() for d in dates)) > 1:
        case.must_fail = True  # mixed offsets: converted to UTC, where local-midnight weeks are not 7*24 h apart
    if kind == "daily":
        case.must_fail = True  # the model forecasts weekly steps
    if kind != "no_date":
        frame.insert(0 if kind != "date_not_first" else len(channels), date_col, text)
    else:
        case.must_fail = True
    if special == "header_only":
        frame = frame.iloc[:0]
        case.must_fail = True
    if len(frame) < LOOKBACK:
        case.must_fail = True
    window = list(range(max(0, len(frame) - LOOKBACK), len(frame)))
    before = list(range(0, max(0, len(frame) - LOOKBACK)))
    column = channels[int(rng.integers(len(channels)))]

    def put(row: int, col: str, value: Any) -> None:
        if frame[col].dtype == bool or isinstance(value, str):
            frame[col] = frame[col].astype(object)
        elif frame[col].dtype.kind in "iu":
            frame[col] = frame[col].astype(np.float64)
        frame.iloc[row, frame.columns.get_loc(col)] = value

    for p in sorted(pathologies):
        dated = ("dup_date", "nat", "garbage_date", "gap_window", "gap_before")
        if len(frame) == 0 or (kind == "no_date" and p in dated):
            continue
        # an earlier pathology may have removed or added rows: positions refer to the frame as it is now
        window = list(range(max(0, len(frame) - LOOKBACK), len(frame)))
        before = list(range(0, max(0, len(frame) - LOOKBACK)))
        if column not in frame.columns:  # dropped by "missing_channel"
            column = next(c for c in channels if c in frame.columns)
        if p == "nan_window":
            put(window[int(rng.integers(len(window)))], column, np.nan)
            case.must_fail = True
        elif p == "inf_window" and frame[column].dtype != bool:
            put(window[int(rng.integers(len(window)))], column, -np.inf)
            case.must_fail = True
        elif p == "text_window":
            put(window[int(rng.integers(len(window)))], column, "n.a.")
            case.must_fail = True
        elif p in ("nan_before", "text_before") and before:
            put(before[int(rng.integers(len(before)))], column, "n.a." if p == "text_before" else np.nan)
        elif p == "missing_channel":
            frame = frame.drop(columns=column)
            case.must_fail = True
        elif p == "extra_column":
            frame["comment"] = "x"
        elif p in ("dup_date", "dup_row") and kind != "no_date":
            row = int(rng.integers(len(frame)))
            frame = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
            if p == "dup_date":
                put(len(frame) - 1, column, 1.0)
            case.must_fail = True
        elif p == "gap_window" and len(window) > 2:
            # a row whose timestamp an earlier "dup_date"/"dup_row" copied would take that duplicate
            # with it (the two pathologies cancelling): drop the middle-most row of a unique timestamp
            stamps = frame[date_col].astype(str)
            inner = sorted(window[1:-1], key=lambda r: abs(r - window[len(window) // 2]))
            unique = [r for r in inner if int((stamps == stamps.iloc[r]).sum()) == 1]
            if unique:
                frame = frame.drop(index=frame.index[unique[0]]).reset_index(drop=True)
                case.must_fail = True
        elif p == "gap_before" and len(before) > 2:
            frame = frame.drop(index=frame.index[before[1]]).reset_index(drop=True)
            case.must_fail |= len(frame) < LOOKBACK
        elif p in ("nat", "garbage_date") and kind not in ("integer", "float"):
            row = int(rng.integers(len(frame)))
            put(row, date_col, "" if p == "nat" else "last tuesday")
            case.must_fail = True
    if "shuffle" in pathologies:
        frame = frame.sample(frac=1.0, random_state=int(rng.integers(1000))).reset_index(drop=True)
    if "huge" in pathologies and "tiny" not in pathologies:
        case.must_fail = True  # 1e12 times the training scale: millions of training stds away
    case.frame = frame
    return case


# --------------------------------------------------------------------------- checks
def _run_cli(case: CsvCase, folder: Path) -> tuple[int, str, Path]:
    source = folder / "in.csv"
    if case.frame is None:
        source.write_text("")
    else:
        case.frame.to_csv(source, index=False)
    target = folder / "out.csv"
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(["predict", str(_RUN["path"]), "--input", str(source), "--output", str(target)])
        except BaseException as exc:  # noqa: BLE001 - the property: nothing escapes main
            raise AssertionError(f"main raised {type(exc).__name__}: {exc}") from exc
    return code, err.getvalue(), target


def _assert_clear(message: str, names: set[str]) -> None:
    assert any(name in message for name in names), f"names none of the input's path/columns: {message}"
    assert FIX.search(message), f"no fix suggested: {message}"


def _expected_dates(case: CsvCase) -> pd.DatetimeIndex:
    last = pd.Timestamp(case.last)
    return pd.DatetimeIndex([last + k * pd.Timedelta(weeks=1) for k in range(1, HORIZON + 1)])


def _check_forecast(forecast: pd.DataFrame, case: CsvCase) -> None:
    outputs = _RUN["run"].description["output_names"]
    assert list(forecast.columns) == ["date", *outputs]
    assert len(forecast) == HORIZON
    values = forecast[outputs].to_numpy(dtype=np.float64)
    assert np.isfinite(values).all()
    got = pd.DatetimeIndex(pd.to_datetime(forecast["date"], utc=case.last.tzinfo is not None))
    expected = _expected_dates(case)
    if expected.tz is not None:
        expected = expected.tz_convert("UTC")
    assert got.equals(expected), (list(got[:3]), list(expected[:3]))  # the input's own step and weekday


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.data())
def test_predict_cli_on_random_csvs(run_dir: Path, data: st.DataObject) -> None:
    """(a)-(c) through ``xlstm-ts predict`` (CSV written, read back by cmd_predict)."""
    case = data.draw(csv_cases())
    event(f"input: {case.kind}")
    for p in sorted(case.pathologies):
        event(f"pathology: {p}")
    with tempfile.TemporaryDirectory() as tmp:
        code, err, target = _run_cli(case, Path(tmp))
        assert code in (0, 2), code
        if code == 2:
            event("outcome: exit 2")
            assert err.startswith("xlstm-ts predict: error: ") and "Traceback" not in err, err
            _assert_clear(err, case.names | {str(Path(tmp) / "in.csv")})
            return
        event("outcome: forecast")
        assert not case.must_fail, f"{sorted(case.pathologies)} / {case.kind} accepted: {err}"
        _check_forecast(pd.read_csv(target), case)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.data())
def test_predict_run_on_random_frames(run_dir: Path, data: st.DataObject) -> None:
    """(a)-(c) through ``predict_run`` with frames as read (strings) and with parsed datetime dates;
    unsorted rows forecast what the sorted rows do."""
    case = data.draw(csv_cases())
    if case.frame is None:
        return
    frame = case.frame.copy()
    if data.draw(st.booleans(), label="parse dates") and "date" in frame.columns:
        parsed = pd.to_datetime(frame["date"], errors="coerce", utc=case.kind.endswith("berlin"))
        if parsed.notna().all() and frame["date"].dtype == object:
            frame["date"] = parsed
            event("dates: datetime dtype")
    event(f"input: {case.kind}")
    try:
        forecast = predict_run(_RUN["run"], frame, source="the frame")
    except Exception as exc:  # noqa: BLE001 - the property is about which exceptions escape
        event(f"outcome: {type(exc).__name__}")
        assert isinstance(exc, (ValueError, TypeError)), f"{type(exc).__name__} leaked: {exc}"
        _assert_clear(str(exc), case.names | {"the frame"})
        return
    event("outcome: forecast")
    assert not case.must_fail, f"{sorted(case.pathologies)} / {case.kind} accepted"
    _check_forecast(forecast, case)
    if "shuffle" in case.pathologies:  # the sorted frame: the very same forecast
        key = pd.to_datetime(frame["date" if "date" in frame.columns else frame.columns[0]], utc=True)
        ordered = frame.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)
        pd.testing.assert_frame_equal(predict_run(_RUN["run"], ordered, source="the frame"), forecast)


# --------------------------------------------------------------------------- regressions
def _ili(shared_data_dir: Path, rows: int = 100) -> pd.DataFrame:
    return pd.read_csv(shared_data_dir / "national_illness.csv").iloc[:rows]


def test_weekly_forecasts_continue_on_the_data_weekday(run_dir: Path, shared_data_dir: Path) -> None:
    """ILI is dated on Tuesdays and the benchmark's freq is "W" (= W-SUN): the forecast used to
    start on the next Sunday, 5 days after the last row, and step Sunday to Sunday."""
    history = _ili(shared_data_dir)
    forecast = predict_run(run_dir, history)
    last = pd.Timestamp(history["date"].iloc[-1])
    assert list(forecast["date"]) == [last + pd.Timedelta(weeks=k) for k in range(1, HORIZON + 1)]
    assert forecast.attrs["freq"] == "W-TUE"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.assign(date=np.arange(len(f))), r"column 'date' holds numbers.*give the dates"),  # were 1970 ns
        (lambda f: f.drop(columns="date"), r"no 'date' column.*first column '% WEIGHTED ILI'"),  # idem, a channel
        (lambda f: f.iloc[::-1].pipe(lambda g: pd.concat([g, g.iloc[[0]]])), r"duplicated date.*drop or aggregate"),
        (lambda f: f.drop(index=90), r"not one step \(W-TUE\) apart in column 'date'.*fill in the missing steps"),
        (lambda f: f.assign(OT=f["OT"].astype(object).where(f.index != 95, "n/a ")),
         r"column 'OT' has a value that is not a number, 'n/a ' at row 95"),  # was "could not convert string"
        (lambda f: f.assign(OT=f["OT"] * 1e12), r"column 'OT'.*training standard deviations.*units"),
        (lambda f: f.assign(date=pd.date_range("2019-01-01", periods=len(f), freq="D").astype(str)),
         r"column 'date' steps by D, the model was trained on W-SUN data"),  # was dated weekly, silently
        (lambda f: f.assign(date=[*f["date"].iloc[:-1], "2003-11-25 00:00:00+01:00"]),
         # was pandas' message without the column; now either message names it, the value and a fix
         r"column 'date' (mixes dates with and without a UTC offset|has 1 missing or unparseable date.*\+01:00)"),
        (lambda f: f.assign(date=pd.date_range("2003-03-04", periods=len(f), freq="W-TUE", tz="Europe/Berlin")
                            .astype(str).where(f.index != 50, "")),  # mixed offsets and a missing date
         r"column 'date' has 1 missing or unparseable date\(s\), the first at row 50"),  # was a pandas error
    ],
)
def test_reader_regressions(run_dir: Path, shared_data_dir: Path, change: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        predict_run(run_dir, change(_ili(shared_data_dir)))


def test_unsorted_rows_are_sorted_not_misread(run_dir: Path, shared_data_dir: Path) -> None:
    """The last rows of the file used to be the model's input whatever their dates."""
    history = _ili(shared_data_dir)
    shuffled = history.sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(predict_run(run_dir, shuffled), predict_run(run_dir, history))


@pytest.mark.parametrize("content", ["", "date,OT\n", "\x00\x01\xff\xfe garbage", 'a,"b\n1,2'])
def test_unreadable_csvs_exit_2_naming_the_file(run_dir: Path, tmp_path: Path, capsys, content: str) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(content.encode("latin-1"))
    assert main(["predict", str(run_dir), "--input", str(source), "--output", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "xlstm-ts predict: error:" in err and str(source) in err, err


def test_a_directory_as_input_or_output_exits_2(run_dir: Path, shared_data_dir: Path, tmp_path: Path, capsys) -> None:
    """IsADirectoryError is an OSError, not a FileNotFoundError: it used to escape main as a traceback."""
    assert main(["predict", str(run_dir), "--input", str(tmp_path), "--output", str(tmp_path / "o.csv")]) == 2
    _ili(shared_data_dir).to_csv(tmp_path / "in.csv", index=False)
    assert main(["predict", str(run_dir), "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("xlstm-ts predict: error:") == 2 and "--output" in err, err


def test_a_non_pandas_frame_is_a_type_error(run_dir: Path) -> None:
    pl = pytest.importorskip("polars")
    with pytest.raises(TypeError, match=r"pandas DataFrame.*to_pandas"):  # was AttributeError/KeyError deep inside
        predict_run(run_dir, pl.DataFrame({"date": ["2020-01-07"], "OT": [1.0]}))
