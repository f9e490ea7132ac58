"""`xlstm-ts stream MODEL_DIR --input FILE|-`: rows in as CSV, one forecast block per advance out."""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xlstm_ts.cli as cli
from xlstm_ts.cli.stream import LineReader, add_stream_parser
from xlstm_ts.forecaster import XLSTMForecaster
from xlstm_ts.forecasting.streaming import update

SMALL = dict(horizon=4, lookback=16, embedding_dim=8, num_blocks=1, patch_len=8, patch_stride=4, max_epochs=1,
             verbose=0, random_state=0, model="xlstm")
N, CUT = 90, 60


def _series(n: int = N, names: tuple[str, ...] = ("a", "b")) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t = np.arange(n)
    data = {"ds": pd.date_range("2024-01-01", periods=n, freq="h")}
    for k, name in enumerate(names):
        data[name] = 5.0 * (k + 1) + np.sin(2 * np.pi * t / 24) + 0.1 * rng.standard_normal(n)
    return pd.DataFrame(data)


WIDE = _series()
LONG = WIDE.melt(id_vars="ds", var_name="unique_id", value_name="y")[["unique_id", "ds", "y"]]
LONG = LONG.sort_values(["ds", "unique_id"]).reset_index(drop=True)  # rows of one time together
START = WIDE["ds"][CUT]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stream")
    XLSTMForecaster(**SMALL).fit(LONG[LONG["ds"] < START]).save(root / "long")
    XLSTMForecaster(**SMALL, quantiles=[0.1, 0.9]).fit(WIDE.iloc[:CUT]).save(root / "wide")
    return {"long": root / "long", "wide": root / "wide"}


@pytest.fixture(autouse=True)
def _stream_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run through ``xlstm_ts.cli.main``; registers the subcommand if the CLI does not list it (yet)."""
    original = cli.build_parser

    def build() -> argparse.ArgumentParser:
        parser = original()
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if "stream" not in commands.choices:
            add_stream_parser(commands)
        return parser

    monkeypatch.setattr(cli, "build_parser", build)


def _stdin(monkeypatch: pytest.MonkeyPatch, frame: pd.DataFrame) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(frame.to_csv(index=False)))


def _expected(model_dir: Path, frame: pd.DataFrame, step: Callable[[pd.DataFrame], list[pd.DataFrame]]) -> list:
    """The forecasts the Python API gives after each batch of ``step(frame)``: [(id, cutoff, forecast)]."""
    model = XLSTMForecaster.load(model_dir)
    out = []
    for batch in step(frame):
        update(model, batch)
        forecast = model.predict()
        for series_id, last in zip(model.series_ids_, model.state_.last_times, strict=True):
            if model.layout_.form == "long":
                rows = forecast[forecast["unique_id"] == series_id]["y"].to_numpy()
            else:
                rows = forecast[series_id].to_numpy()
            if batch_has(batch, series_id, model):
                out.append((series_id, last, rows))
    return out


def batch_has(batch: pd.DataFrame, series_id: str, model: XLSTMForecaster) -> bool:
    return model.layout_.form == "wide" or bool((batch["unique_id"] == series_id).any())


def _blocks(table: pd.DataFrame, h: int) -> list:
    assert len(table) % h == 0
    return [(table["unique_id"][i], pd.Timestamp(table["cutoff"][i]), table["y"].to_numpy()[i : i + h])
            for i in range(0, len(table), h)]


def _assert_blocks(got: list, expected: list) -> None:
    assert [(i, c) for i, c, _ in got] == [(i, c) for i, c, _ in expected]
    for (_, _, a), (_, _, b) in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9)


# --------------------------------------------------------------------------- forecasts
def test_stdin_long_rows_give_one_block_per_advance(saved, monkeypatch, capsys) -> None:
    rows = LONG[LONG["ds"] >= START].iloc[:10]
    _stdin(monkeypatch, rows)
    assert cli.main(["stream", str(saved["long"]), "--input", "-"]) == 0
    captured = capsys.readouterr()
    table = pd.read_csv(io.StringIO(captured.out))
    assert list(table.columns) == ["unique_id", "cutoff", "ds", "y"]
    assert len(table) == 10 * 4  # every row advances a series: 10 blocks of horizon 4
    # in-memory input is all there at once: the rows of one time are one update
    by_time = [g for _, g in rows.groupby("ds", sort=False)]
    _assert_blocks(_blocks(table, 4), _expected(saved["long"], rows, lambda f: by_time))
    assert pd.Timestamp(table["ds"][0]) == START + pd.Timedelta(hours=1)
    assert "10 row(s) read, 10 applied in 5 update(s), 10 forecast(s) written" in captured.err


def test_a_streaming_network_streams_from_the_command_line(tmp_path: Path, monkeypatch, capsys) -> None:
    """A model fitted with streaming=True: the CLI's forecasts are the recurrent stream's, equal to
    update + predict() in Python, and --save keeps the advanced stream."""
    model_dir = tmp_path / "streaming"
    XLSTMForecaster(**{**SMALL, "patch_stride": 8}, streaming=True).fit(LONG[LONG["ds"] < START]).save(model_dir)
    rows = LONG[LONG["ds"] >= START].iloc[:6]
    _stdin(monkeypatch, rows)
    assert cli.main(["stream", str(model_dir), "--input", "-", "--save", str(tmp_path / "after")]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    by_time = [g for _, g in rows.groupby("ds", sort=False)]
    _assert_blocks(_blocks(table, 4), _expected(model_dir, rows, lambda f: by_time))
    after = XLSTMForecaster.load(tmp_path / "after")
    expected = XLSTMForecaster.load(model_dir)
    for batch in by_time:
        update(expected, batch)
    assert after.state_.stream is not None
    np.testing.assert_array_equal(after.state_.stream.phase.numpy(), expected.state_.stream.phase.numpy())
    np.testing.assert_allclose(after.predict()["y"], expected.predict()["y"], rtol=1e-9)


def test_file_input_wide_model_every_and_output(saved, tmp_path: Path, capsys) -> None:
    rows = WIDE.iloc[CUT : CUT + 6]
    source, out = tmp_path / "rows.csv", tmp_path / "forecasts.csv"
    rows.to_csv(source, index=False)
    argv = ["stream", str(saved["wide"]), "--input", str(source), "--output", str(out), "--every", "2"]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out == ""
    table = pd.read_csv(out)
    assert list(table.columns) == ["unique_id", "cutoff", "ds", "y", "y_q0.1", "y_q0.9"]
    # --every 2: the 2nd, 4th and 6th advance of each series
    expected = _expected(saved["wide"], rows, lambda f: [f.iloc[i : i + 1] for i in range(len(f))])
    _assert_blocks(_blocks(table, 4), [e for k, e in enumerate(expected) if (k // 2) % 2 == 1])
    assert (table["y_q0.1"] <= table["y_q0.9"]).all()
    # a second stream appends, without a second header
    more = tmp_path / "more.csv"
    WIDE.iloc[CUT : CUT + 1].to_csv(more, index=False)
    assert cli.main(["stream", str(saved["wide"]), "--input", str(more), "--output", str(out)]) == 0
    assert len(pd.read_csv(out)) == len(table) + 2 * 4


def test_save_keeps_the_updated_model(saved, tmp_path: Path, monkeypatch) -> None:
    rows = LONG[LONG["ds"] >= START].iloc[:7]
    _stdin(monkeypatch, rows)
    assert cli.main(["stream", str(saved["long"]), "--input", "-", "--save", str(tmp_path / "after")]) == 0
    reference = update(XLSTMForecaster.load(saved["long"]), rows)
    after = XLSTMForecaster.load(tmp_path / "after")
    pd.testing.assert_frame_equal(after.predict(), reference.predict())
    assert after.state_.last_times == reference.state_.last_times


def test_new_series_join_once_they_have_lookback_rows(saved, monkeypatch, capsys) -> None:
    other = _series(30, names=("c",)).melt(id_vars="ds", var_name="unique_id", value_name="y")
    rows = pd.concat([other[["unique_id", "ds", "y"]].iloc[:20]])
    _stdin(monkeypatch, rows)
    assert cli.main(["stream", str(saved["long"]), "--input", "-", "--new-series", "add"]) == 0
    captured = capsys.readouterr()
    table = pd.read_csv(io.StringIO(captured.out))
    # c joins with its first 16 rows (one forecast), then advances 4 times
    assert table["unique_id"].tolist() == ["c"] * 4 * 5
    assert "held back" not in captured.err
    _stdin(monkeypatch, rows.iloc[:5])
    assert cli.main(["stream", str(saved["long"]), "--input", "-", "--new-series", "add"]) == 0
    assert "held back (fewer than lookback_=16 rows to join): 'c' (5 row(s))" in capsys.readouterr().err


# --------------------------------------------------------------------------- errors name the line
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("unique_id,ds,y\na,2024-01-03 12:00:00,1.0\nb,2024-01-03 12:00:00,oops\n",
         "line 3: column 'y' has 'oops', which is not valid"),
        ("unique_id,ds,y\na,2024-01-03 12:00:00,1.0\na,2024-01-03 10:00:00,2.0\n", "line 3: update(df_new): series 'a' already has time"),
        ("unique_id,ds\na,2024-01-03 12:00:00\n", "line 1: the header ['unique_id', 'ds'] does not match"),
        ("unique_id,ds,y\na,2024-01-03 12:00:00\n", "line 2: 2 field(s), the header has 3"),
        ("unique_id,ds,y\na,not a time,1.0\n", "line 2: column 'ds' has 'not a time'"),
        ("unique_id,ds,y\nz,2024-01-03 12:00:00,1.0\n", "line 2: update(df_new) has rows of 1 series the model was not"),
        ("unique_id,ds,y\na,2024-01-03 15:00:00,1.0\n", "line 2: update(df_new): series 'a' jumps from"),
        ("", "line 1: the input is empty"),
    ],
)
def test_bad_rows_exit_2_naming_the_line(saved, monkeypatch, capsys, text: str, message: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    assert cli.main(["stream", str(saved["long"]), "--input", "-"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xlstm-ts stream: error: ") and message in err, err


def test_a_bad_row_in_a_batch_is_found(saved, monkeypatch, capsys, tmp_path: Path) -> None:
    # two rows of one time (one update), the second with a NaN: the line of the NaN is named and
    # the rows before it stay applied (saved by --save)
    text = "unique_id,ds,y\na,2024-01-03 12:00:00,1.0\nb,2024-01-03 12:00:00,\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    assert cli.main(["stream", str(saved["long"]), "--input", "-", "--save", str(tmp_path / "m")]) == 2
    assert "line 3: 1 missing value(s) (NaN) in update(df_new): the first in series 'b'" in capsys.readouterr().err
    kept = XLSTMForecaster.load(tmp_path / "m").state_
    assert kept.last_times == [START, START - pd.Timedelta(hours=1)] and kept.context_target[0, -1] == 1.0


def test_flag_errors(saved, tmp_path: Path, capsys) -> None:
    assert cli.main(["stream", str(saved["long"]), "--input", str(tmp_path / "none.csv")]) == 2
    assert "--input" in capsys.readouterr().err
    assert cli.main(["stream", str(saved["long"]), "--input", "-", "--every", "0"]) == 2
    assert cli.main(["stream", str(saved["long"]), "--input", "-", "--future", "x.csv"]) == 2
    assert "no future_covariates" in capsys.readouterr().err
    assert cli.main(["stream", str(tmp_path), "--input", "-"]) == 2


# --------------------------------------------------------------------------- reading lines
def test_line_reader_reads_pipes_without_waiting(tmp_path: Path) -> None:
    import os

    read_end, write_end = os.pipe()
    os.write(write_end, b"h1,h2\r\n1,2\n3,")
    with os.fdopen(read_end, "rb") as stream:
        lines = LineReader(stream)
        assert lines.readline() == "h1,h2" and lines.waiting()
        assert lines.readline() == "1,2"
        assert lines.waiting()  # part of the next line has arrived
        os.write(write_end, b"4\n")
        assert lines.readline() == "3,4"
        assert not lines.waiting()  # nothing more yet: the caller forecasts now
        os.close(write_end)
        assert lines.readline() is None and lines.number == 3
