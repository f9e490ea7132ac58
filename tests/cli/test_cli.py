"""The `xlstm-ts` command line: fit -> evaluate -> predict, datasets, DDP, clear errors."""

from __future__ import annotations

import hashlib
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
from xlstm_ts.data.registry import get_spec

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
    assert metrics["data_modified"] is False  # the canonical file: its registry hash is recorded
    assert metrics["data_sha256"] == get_spec("ETTh1").sha256


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
    assert "Electricity*" in out and "Traffic*" in out and "unverified" in out
    assert "ETTh1*" not in out and out.count("matches") >= 7


# --------------------------------------------------------------------------- modified data
ILI_FAST = ["--dataset", "ILI", "--model", "dlinear", "--max-epochs", "1", "--set", "limit_train_batches=2", "--quiet"]


def modified_ili(shared_data_dir: Path, folder: Path, *, truncate: bool = False) -> tuple[Path, str]:
    """A copy of ILI in `folder` with one byte changed (or its last 100 rows cut), and its sha256."""
    data = bytearray((shared_data_dir / "national_illness.csv").read_bytes())
    if truncate:
        data = bytearray(b"\r\n".join(bytes(data).split(b"\r\n")[:-101] + [b""]))
    else:
        position = data.rindex(b"1")
        data[position] = ord("2")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "national_illness.csv").write_bytes(bytes(data))
    return folder, hashlib.sha256(bytes(data)).hexdigest()


@pytest.mark.filterwarnings("ignore::xlstm_ts.data.quality.DataQualityWarning")  # the truncated copy's shape
@pytest.mark.parametrize("truncate", [False, True], ids=["one-byte", "truncated"])
def test_fit_refuses_a_modified_file_and_uses_it_when_allowed(
    shared_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], truncate: bool
) -> None:
    folder, actual = modified_ili(shared_data_dir, tmp_path / "data", truncate=truncate)
    out = tmp_path / "run"
    assert main(["fit", *ILI_FAST, "--data-dir", str(folder), "--output-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert actual in err and get_spec("ILI").sha256 in err and "--allow-modified-data" in err
    assert str(folder / "national_illness.csv") in err
    assert not out.exists()  # nothing was trained or written

    with pytest.warns(UserWarning, match="does not match the canonical national_illness.csv"):
        code = main(["fit", *ILI_FAST, "--data-dir", str(folder), "--output-dir", str(out), "--allow-modified-data"])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data_modified"] is True and metrics["data_sha256"] == actual
    assert "allow_modified_data: true" in (out / "config.yaml").read_text()


def test_fit_on_the_canonical_ili_records_the_registry_hash(shared_data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["fit", *ILI_FAST, "--data-dir", str(shared_data_dir), "--output-dir", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data_modified"] is False and metrics["data_sha256"] == get_spec("ILI").sha256
    assert "allow_modified_data: false" in (out / "config.yaml").read_text()


def test_evaluate_refuses_modified_data_unless_allowed(
    run_dir: Path, shared_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bytearray((shared_data_dir / "ETTh1.csv").read_bytes())
    data[data.rindex(b"1")] = ord("2")
    (tmp_path / "ETTh1.csv").write_bytes(bytes(data))
    assert main(["evaluate", str(run_dir), "--data-dir", str(tmp_path)]) == 2
    assert "--allow-modified-data" in capsys.readouterr().err
    with pytest.warns(UserWarning, match="does not match the canonical ETTh1.csv"):
        assert main(["evaluate", str(run_dir), "--data-dir", str(tmp_path), "--allow-modified-data"]) == 0


def test_allow_modified_data_is_a_config_override_for_benchmark_and_sweep(tmp_path: Path) -> None:
    from xlstm_ts.benchmark.records import config_hash, config_values
    from xlstm_ts.cli.common import with_allow_modified_data
    from xlstm_ts.cli.sweep import settings_from_args

    parser = build_parser()
    for words in (["fit"], ["evaluate", "RUN"], ["plot", "RUN"], ["benchmark"], ["sweep", "--dataset", "ILI"]):
        assert parser.parse_args([*words, "--allow-modified-data"]).allow_modified_data is True
        assert parser.parse_args(words).allow_modified_data is False
    plain = parser.parse_args(["benchmark", "--set", "max_epochs=1"])
    allowed = parser.parse_args(["benchmark", "--set", "max_epochs=1", "--allow-modified-data"])
    assert with_allow_modified_data(plain) == ["max_epochs=1"]
    assert with_allow_modified_data(allowed) == ["max_epochs=1", "data.allow_modified_data=true"]
    config = tmp_path / "ILI_24.yaml"
    config.write_text("model: dlinear\ndata: {dataset: ILI, lookback: 104, horizon: 24}\n")
    hash_plain = config_hash(config_values(config, with_allow_modified_data(plain)))
    hash_allowed = config_hash(config_values(config, with_allow_modified_data(allowed)))
    assert hash_plain != hash_allowed  # a record made on modified data never counts for the canonical config
    assert config_values(config, with_allow_modified_data(allowed))["data"]["allow_modified_data"] is True

    sweep = settings_from_args(parser.parse_args(["sweep", "--dataset", "ILI", "--allow-modified-data"]))
    assert sweep.overrides == ("data.allow_modified_data=true",)
    assert settings_from_args(parser.parse_args(["sweep", "--dataset", "ILI"])).overrides == ()


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
