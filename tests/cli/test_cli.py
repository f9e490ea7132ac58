"""The `xlstm-ts` command line: fit -> evaluate -> predict, datasets, DDP, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from xlstm_ts.cli import build_parser, main

TINY = [
    "--horizon", "24", "--lookback", "96", "--max-epochs", "1",
    "--set", "embedding_dim=16", "--set", "num_blocks=1", "--set", "num_heads=2",
    "--set", "limit_train_batches=4", "--set", "batch_size=64",
]


@pytest.fixture(scope="module")
def run_dir(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    code = main(["fit", "--dataset", "ETTh1", "--data-dir", str(shared_data_dir), "--output-dir", str(out), "--quiet", *TINY])
    assert code == 0
    return out


def test_fit_writes_the_run_directory(run_dir: Path) -> None:
    for name in ("config.yaml", "metrics.json", "model.safetensors", "model.json"):
        assert (run_dir / name).is_file(), name
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test_windows"] == 2880 - 24 + 1 and metrics["epochs"] == 1


def test_evaluate_recomputes_the_saved_metrics(run_dir: Path, shared_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(run_dir), "--data-dir", str(shared_data_dir)]) == 0
    out = capsys.readouterr().out
    assert out.count("(matches metrics.json)") >= 4, out


def test_predict_writes_the_next_horizon_with_timestamps(run_dir: Path, shared_data_dir: Path, tmp_path: Path) -> None:
    history = pd.read_csv(shared_data_dir / "ETTh1.csv").iloc[:500]
    history.to_csv(tmp_path / "in.csv", index=False)
    assert main(["predict", str(run_dir), "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv")]) == 0
    forecast = pd.read_csv(tmp_path / "out.csv", parse_dates=["date"])
    assert list(forecast.columns) == list(history.columns)
    assert len(forecast) == 24
    last = pd.Timestamp(history["date"].iloc[-1])
    assert list(forecast["date"]) == list(pd.date_range(last + pd.Timedelta(hours=1), periods=24, freq="h"))
    assert forecast.drop(columns="date").notna().all().all()


def test_predict_with_too_short_input_says_how_many_rows(run_dir: Path, shared_data_dir: Path, tmp_path: Path, capsys) -> None:
    pd.read_csv(shared_data_dir / "ETTh1.csv").iloc[:50].to_csv(tmp_path / "short.csv", index=False)
    assert main(["predict", str(run_dir), "--input", str(tmp_path / "short.csv"), "--output", str(tmp_path / "o.csv")]) == 2
    assert "has 50 rows; the model needs the last 96" in capsys.readouterr().err


def test_offline_without_a_local_file_gives_a_clear_error(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("XLSTM_TS_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def offline(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    code = main(["fit", "--dataset", "ETTh2", "--data-dir", str(tmp_path / "empty"), "--quiet", *TINY])
    err = capsys.readouterr().err
    assert code == 2
    assert "ETTh2.csv" in err and "XLSTM_TS_DATA" in err


def test_datasets_lists_the_registry_and_local_files(shared_data_dir: Path, capsys) -> None:
    assert main(["datasets", "--data-dir", str(shared_data_dir)]) == 0
    out = capsys.readouterr().out
    for name in ("ETTh1", "ETTm2", "Weather", "Electricity", "Traffic", "Exchange", "ILI"):
        assert name in out
    assert str(shared_data_dir / "ETTh1.csv") in out


def test_help_lists_the_subcommands() -> None:
    text = build_parser().format_help()
    for command in ("fit", "evaluate", "predict", "datasets"):
        assert command in text


def test_ddp_with_two_cpu_processes_gives_one_set_of_metrics(shared_data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    command = [
        sys.executable, "-m", "xlstm_ts.cli", "fit", "--dataset", "ETTh1", "--data-dir", str(shared_data_dir),
        "--output-dir", str(out), "--quiet", "--accelerator", "cpu", "--devices", "2", "--strategy", "ddp", *TINY,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("test MSE (scaled)") == 1, done.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_windows"] == 2880 - 24 + 1
