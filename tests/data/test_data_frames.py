"""Reading the benchmark CSVs: dtypes, dates, header quirks, quality reports, synthetic ECL/Traffic files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xlstm_ts.data import frames
from xlstm_ts.data.config import DataConfig
from xlstm_ts.data.download import DatasetIntegrityError, DatasetIntegrityWarning, resolve_dataset_path
from xlstm_ts.data.frames import quality_report, read_benchmark
from xlstm_ts.data.loading import load_splits
from xlstm_ts.data.quality import DataQualityWarning
from xlstm_ts.data.registry import get_spec


@pytest.fixture(autouse=True)
def _fresh_warning_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frames, "_warned", set())


def quality_warnings(record: pytest.WarningsRecorder) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, DataQualityWarning)]


def test_etth1_frame(shared_data_dir: Path, recwarn: pytest.WarningsRecorder) -> None:
    frame = read_benchmark(get_spec("ETTh1"), shared_data_dir / "ETTh1.csv")
    assert frame.shape == (17420, 7)
    assert list(frame.columns) == ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.name == "date"
    assert (frame.dtypes == np.float64).all()
    assert frame.index[0] == pd.Timestamp("2016-07-01 00:00:00")
    assert frame.index[-1] == pd.Timestamp("2018-06-26 19:00:00")
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert frame.iloc[0, 0] == pytest.approx(5.827)  # first HUFL value of ETTh1
    assert quality_report(frame).is_clean
    assert quality_warnings(recwarn) == []


def test_weather_quirks_are_kept_and_reported(shared_data_dir: Path) -> None:
    spec = get_spec("Weather")
    with pytest.warns(DataQualityWarning) as record:
        frame = read_benchmark(spec, shared_data_dir / "weather.csv")
    messages = quality_warnings(record)
    assert len(messages) == 1
    assert "2020-05-12 06:00:00" in messages[0] and "2020-05-29 11:10:00" in messages[0]

    assert frame.shape == (52696, 21)  # every row kept, duplicate included
    assert "SWDR (W/m\ufffd)" in frame.columns and "PAR (\ufffdmol/m\ufffd/s)" in frame.columns
    assert frame.columns[-1] == "OT"
    report = quality_report(frame)
    assert report.duplicate_rows == (19044,)
    assert frame.index[19043] == frame.index[19044] == pd.Timestamp("2020-05-12 06:00:00")
    assert report.gap_rows == (21514,)
    assert frame.index[21513] == pd.Timestamp("2020-05-29 09:30:00")
    assert frame.index[21514] == pd.Timestamp("2020-05-29 11:10:00")
    assert report.irregular_rows == ()
    assert report.step == pd.Timedelta(minutes=10)
    assert dict(report.sentinel_counts) == {"wv (m/s)": 1, "max. PAR (\ufffdmol/m\ufffd/s)": 30, "OT": 50}
    assert not report.is_clean


def test_quality_warning_is_emitted_once_per_file(shared_data_dir: Path, recwarn: pytest.WarningsRecorder) -> None:
    spec = get_spec("Weather")
    read_benchmark(spec, shared_data_dir / "weather.csv")
    second = read_benchmark(spec, shared_data_dir / "weather.csv")
    assert len(quality_warnings(recwarn)) == 1
    assert quality_report(second).duplicate_rows == (19044,)  # the report is always attached


def test_exchange_dates_parsed(shared_data_dir: Path) -> None:
    frame = read_benchmark(get_spec("Exchange"), shared_data_dir / "exchange_rate.csv")
    assert frame.shape == (7588, 8)
    assert list(frame.columns) == ["0", "1", "2", "3", "4", "5", "6", "OT"]
    assert frame.index[0] == pd.Timestamp("1990-01-01")
    assert frame.index[-1] == pd.Timestamp("2010-10-10")
    assert (np.diff(frame.index.to_numpy()) == np.timedelta64(1, "D")).all()
    assert quality_report(frame).is_clean


def test_ili_integer_columns_become_float(shared_data_dir: Path) -> None:
    frame = read_benchmark(get_spec("ILI"), shared_data_dir / "national_illness.csv")
    assert frame.shape == (966, 7)
    assert (frame.dtypes == np.float64).all()
    assert frame.index[-1] == pd.Timestamp("2020-06-30")
    report = quality_report(frame)
    assert report.step == pd.Timedelta(days=7) and report.is_clean


def test_crlf_and_lf_read_identically(shared_data_dir: Path, tmp_path: Path) -> None:
    lines = (shared_data_dir / "ETTh1.csv").read_bytes().splitlines()[:200]
    (tmp_path / "lf.csv").write_bytes(b"\n".join(lines) + b"\n")
    (tmp_path / "crlf.csv").write_bytes(b"\r\n".join(lines))  # no final newline, like exchange_rate.csv
    spec = get_spec("ETTh1")
    with pytest.warns(DataQualityWarning, match="199 rows") as record:  # shape differs from the canonical file
        lf = read_benchmark(spec, tmp_path / "lf.csv")
        crlf = read_benchmark(spec, tmp_path / "crlf.csv")
    assert len(quality_warnings(record)) == 2  # once per file
    pd.testing.assert_frame_equal(lf, crlf)
    assert list(crlf.columns)[-1] == "OT"  # no stray "\r" in the last header name


def write_wide_csv(path: Path, n_values: int, n_rows: int, seed: int = 0) -> list[str]:
    names = [str(i) for i in range(n_values - 1)] + ["OT"]
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2016-07-01 02:00:00", periods=n_rows, freq="h")
    values = pd.DataFrame(rng.random((n_rows, n_values)).round(3), columns=names)
    values.insert(0, "date", dates.strftime("%Y-%m-%d %H:%M:%S"))
    values.to_csv(path, index=False)
    return names


@pytest.mark.parametrize(
    ("name", "file_name", "n_values", "n_rows"),
    [("Electricity", "electricity.csv", 321, 300), ("Traffic", "traffic.csv", 862, 200)],
)
def test_wide_user_file_through_the_same_path(
    tmp_path: Path, name: str, file_name: str, n_values: int, n_rows: int
) -> None:
    spec = get_spec(name)
    names = write_wide_csv(tmp_path / file_name, n_values, n_rows)
    assert len(names) + 1 == spec.n_columns

    with pytest.raises(DatasetIntegrityError, match="may be the wrong one"):  # refused; the hash is unverified
        resolve_dataset_path(spec, tmp_path, download=False)
    with pytest.warns(DatasetIntegrityWarning):
        path = resolve_dataset_path(spec, tmp_path, download=False, allow_modified=True)
    with pytest.warns(DataQualityWarning, match=f"{n_rows} rows x {spec.n_columns} columns"):
        frame = read_benchmark(spec, path)
    assert frame.shape == (n_rows, n_values)
    assert list(frame.columns) == names
    assert quality_report(frame).duplicate_rows == () and quality_report(frame).gap_rows == ()

    config = DataConfig(
        dataset=name.lower(), data_dir=str(tmp_path), lookback=24, horizon=12, download=False, allow_modified_data=True
    )
    train, val, test, scaler = load_splits(config)  # same file: the mismatch was already reported
    n_train, n_test = int(n_rows * 0.7), int(n_rows * 0.2)
    assert train.shape == (n_train, n_values)
    assert val.shape == (n_rows - n_train - n_test + 24, n_values)
    assert test.shape == (n_test + 24, n_values)
    assert scaler is not None and scaler.n_channels == n_values


def test_bad_files_raise_clear_errors(tmp_path: Path) -> None:
    spec = get_spec("ETTh1")
    (tmp_path / "nodate.csv").write_text("time,OT\n2016-07-01 00:00:00,1\n")
    with pytest.raises(ValueError, match="first column must be 'date'"):
        read_benchmark(spec, tmp_path / "nodate.csv")
    (tmp_path / "baddate.csv").write_text("date,OT\n2016/07/01,1\n")
    with pytest.raises(ValueError, match="cannot parse the 'date' column"):
        read_benchmark(spec, tmp_path / "baddate.csv")
    (tmp_path / "text.csv").write_text("date,OT\n2016-07-01 00:00:00,high\n")
    with pytest.raises(ValueError, match="non-numeric"):
        read_benchmark(spec, tmp_path / "text.csv")
