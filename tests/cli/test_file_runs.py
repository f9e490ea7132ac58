"""`xlstm-ts fit --data FILE`, `predict RUN_DIR --input`, `evaluate RUN_DIR --data` on files the
tests write: the run directory is an XLSTMForecaster, its config reruns it, bad files exit 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from xlstm_ts.cli import main
from xlstm_ts.forecaster import XLSTMForecaster

TINY = ["--horizon", "6", "--lookback", "24", "--max-epochs", "1", "--seed", "0", "--quiet",
        "--set", "embedding_dim=8", "--set", "num_blocks=1", "--set", "patch_len=8", "--set", "patch_stride=4"]
"""A network small enough for a test (seconds)."""
N = 240


def _wide(n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t = np.arange(n)
    return pd.DataFrame({
        "ds": pd.date_range("2024-01-01", periods=n, freq="h").strftime("%Y-%m-%d %H:%M:%S"),
        "load": 50 + 10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, n),
        "temp": 20 + 3 * np.cos(2 * np.pi * t / 24) + rng.normal(0, 0.3, n),
    })


def _long(n: int = N) -> pd.DataFrame:
    """Two stores; sales follow a known-ahead promo (future), a footfall count (past) and the
    store's size (static)."""
    rng = np.random.default_rng(1)
    parts = []
    for store, size in (("north", 1.0), ("south", 2.0)):
        promo = (rng.random(n) < 0.3).astype(float)
        footfall = rng.normal(0, 1, n)
        t = np.arange(n)
        parts.append(pd.DataFrame({
            "store": store,
            "day": pd.date_range("2023-01-01", periods=n, freq="D"),
            "sales": size * (10 + 3 * promo + np.sin(2 * np.pi * t / 7)) + 0.1 * rng.normal(0, 1, n),
            "promo": promo,
            "footfall": footfall,
            "size": size,
        }))
    return pd.concat(parts, ignore_index=True)


LONG_FLAGS = ["--time-col", "day", "--id-col", "store", "--target", "sales", "--future-covariates", "promo",
              "--past-covariates", "footfall", "--static-covariates", "size"]


@pytest.fixture(scope="module")
def wide_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("wide")
    frame = _wide()
    frame.iloc[:200].to_csv(root / "fit.csv", index=False)
    frame.to_csv(root / "all.csv", index=False)
    code = main(["fit", "--data", str(root / "fit.csv"), "--target", "load,temp", *TINY,
                 "--output-dir", str(root / "run")])
    assert code == 0
    return root, root / "run"


def test_the_run_directory_is_a_forecaster_and_its_config_reruns_it(wide_run, tmp_path: Path) -> None:
    root, run = wide_run
    model = XLSTMForecaster.load(run)
    assert model.target_cols == ["load", "temp"] and model.horizon == 6 and model.lookback_ == 24
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["kind"] == "file" and config["data"]["target"] == ["load", "temp"]
    assert Path(config["data"]["path"]).is_absolute()
    metrics = (run / "metrics.json").read_text()
    assert '"rows": 200' in metrics and '"data_sha256"' in metrics

    assert main(["fit", "--config", str(run / "config.yaml"), "--quiet", "--output-dir", str(tmp_path / "again")]) == 0
    again = XLSTMForecaster.load(tmp_path / "again")
    assert again.get_params() == model.get_params()
    np.testing.assert_allclose(again.predict()[["load", "temp"]], model.predict()[["load", "temp"]], rtol=1e-5)


def test_predict_writes_the_horizon_after_the_input(wide_run, capsys: pytest.CaptureFixture[str]) -> None:
    root, run = wide_run
    out = root / "forecast.csv"
    assert main(["predict", str(run), "--input", str(root / "all.csv"), "--output", str(out)]) == 0
    forecast = pd.read_csv(out, parse_dates=["ds"])
    assert list(forecast.columns) == ["ds", "load", "temp"] and len(forecast) == 6
    assert forecast["ds"].iloc[0] == pd.Timestamp("2024-01-01") + pd.Timedelta(hours=N)
    frame = _wide()
    frame["ds"] = pd.to_datetime(frame["ds"])
    expected = XLSTMForecaster.load(run).predict(frame)
    np.testing.assert_allclose(forecast[["load", "temp"]], expected[["load", "temp"]], rtol=1e-6)
    assert "wrote 6 rows (2 series x 6 steps" in capsys.readouterr().out


def test_evaluate_scores_later_rows_and_warns_in_sample(wide_run, capsys: pytest.CaptureFixture[str]) -> None:
    root, run = wide_run
    assert main(["evaluate", str(run), "--data", str(root / "all.csv"), "--n-windows", "2"]) == 0
    captured = capsys.readouterr()
    assert "mase" in captured.out and "n_windows  4" in captured.out and "in-sample" not in captured.err
    assert main(["evaluate", str(run), "--data", str(root / "fit.csv")]) == 0
    assert "in-sample" in capsys.readouterr().err
    assert main(["evaluate", str(run)]) == 2
    assert "give --data FILE" in capsys.readouterr().err


def test_long_file_with_all_three_covariate_kinds(tmp_path: Path) -> None:
    frame = _long()
    cut = frame["day"] < pd.Timestamp("2023-01-01") + pd.Timedelta(days=200)
    frame[cut].to_parquet(tmp_path / "fit.parquet", index=False)
    assert main(["fit", "--data", str(tmp_path / "fit.parquet"), "--reader", "polars", *LONG_FLAGS, *TINY,
                 "--set", "model=xlstm", "--output-dir", str(tmp_path / "run")]) == 0
    model = XLSTMForecaster.load(tmp_path / "run")
    assert (model.future_covariates, model.past_covariates, model.static_covariates) == (["promo"], ["footfall"], ["size"])
    future = frame[~cut].groupby("store").head(6)[["store", "day", "promo"]]
    future.to_csv(tmp_path / "future.csv", index=False)
    frame[cut].to_csv(tmp_path / "history.csv", index=False)
    assert main(["predict", str(tmp_path / "run"), "--input", str(tmp_path / "history.csv"),
                 "--output", str(tmp_path / "a.csv"), "--future", str(tmp_path / "future.csv")]) == 0
    first = pd.read_csv(tmp_path / "a.csv")
    assert list(first.columns) == ["store", "day", "sales"] and len(first) == 12
    future.assign(promo=1.0 - future["promo"]).to_csv(tmp_path / "flipped.csv", index=False)
    assert main(["predict", str(tmp_path / "run"), "--input", str(tmp_path / "history.csv"),
                 "--output", str(tmp_path / "b.csv"), "--future", str(tmp_path / "flipped.csv")]) == 0
    second = pd.read_csv(tmp_path / "b.csv")
    assert not np.allclose(first["sales"], second["sales"]), "the future covariate must reach the forecast"


def _bad_files() -> list[tuple[str, pd.DataFrame, list[str], str]]:
    wide = _wide()
    cases = [
        ("missing target", wide, ["--target", "lode"], "target 'lode' is not a column"),
        ("non-numeric target", wide.assign(load=wide["load"].astype(str).where(wide.index != 7, "n/a?")),
         ["--target", "load,temp"], "target 'load' is not numeric (data row 8 holds 'n/a?')"),
        ("unparseable time", wide.assign(ds=wide["ds"].where(wide.index != 4, "yesterday")),
         ["--target", "load,temp"], "time column 'ds' has a value that is not a timestamp at data row 5"),
        ("duplicated time", pd.concat([wide, wide.iloc[[10]]]), ["--target", "load,temp"], "duplicated timestamps"),
        ("too short", wide.iloc[:20], ["--target", "load,temp"], "fewer than lookback=24 + horizon=6"),
        ("unknown covariate", wide, ["--target", "load", "--future-covariates", "rain"],
         "future covariate 'rain' is not a column"),
        ("extra numeric column", wide, ["--target", "load"], "temp"),
        ("no time column", wide.rename(columns={"ds": "when"}), ["--target", "load,temp"], "no time column 'ds'"),
        ("no target flag", wide, [], "give --target COL"),
    ]
    return cases


@pytest.mark.parametrize(("frame", "flags", "message"), [case[1:] for case in _bad_files()],
                         ids=[case[0] for case in _bad_files()])
def test_bad_files_exit_2_naming_the_column(frame: pd.DataFrame, flags: list[str], message: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    frame.to_csv(tmp_path / "bad.csv", index=False)
    code = main(["fit", "--data", str(tmp_path / "bad.csv"), *flags, *TINY, "--output-dir", str(tmp_path / "run")])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["fit", "--dataset", "ETTh1", "--data", "x.csv", "--target", "OT"], "not both"),
    (["fit", "--dataset", "ETTh1", "--target", "OT"], "--target is for runs on your own file"),
    (["fit", "--data", "missing.csv", "--target", "y"], "file not found"),
    (["fit", "--data", "x.csv", "--target", "y", "--set", "embeding_dim=8"], "XLSTMForecaster parameter name"),
])
def test_flag_mistakes_exit_2(argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _wide().to_csv("x.csv", index=False)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_the_two_commands_of_getting_started_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """docs/getting-started.md, "Your own CSV in two commands": the commands as printed there."""
    import os
    import re
    import shlex

    page = (Path(__file__).resolve().parents[2] / "docs" / "getting-started.md").read_text()
    section = page.split("## Your own CSV in two commands", 1)[1]
    commands = re.search(r"```bash\n(.*?)```", section, re.S).group(1).strip().splitlines()
    assert [shlex.split(line)[:2] for line in commands] == [["xlstm-ts", "fit"], ["xlstm-ts", "predict"]]
    monkeypatch.chdir(tmp_path)
    source = pd.read_csv(os.path.join(os.environ["XLSTM_TS_DATA"], "ETTh1.csv"), parse_dates=["date"])
    source[["date", "OT", "HUFL"]].iloc[:1000].to_csv("my_series.csv", index=False)  # as the page's block does
    for line in commands:
        assert main(shlex.split(line)[1:]) == 0, line
    forecast = pd.read_csv("forecast.csv", parse_dates=["date"])
    assert list(forecast.columns) == ["date", "OT", "HUFL"] and len(forecast) == 24
    assert forecast["date"].iloc[0] == source["date"].iloc[999] + pd.Timedelta(hours=1)
    assert np.isfinite(forecast[["OT", "HUFL"]].to_numpy()).all()
    assert "wrote 24 rows (2 series x 24 steps" in capsys.readouterr().out


def test_sweep_on_a_file_tunes_on_validation_and_writes_a_run(wide_run, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = wide_run
    code = main(["sweep", "--data", str(root / "fit.csv"), "--target", "load,temp", "--horizon", "6",
                 "--max-epochs", "1", "--trials", "2", "--seed", "0", "--set", "patch_len=8", "--set", "patch_stride=4",
                 "--set", "lookback=24", "--output-dir", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert out.count("validation loss") == 3  # two trials and the best
    run = tmp_path / "fit-h6"
    model = XLSTMForecaster.load(run)
    metrics = (run / "metrics.json").read_text()
    assert '"best_params"' in metrics and (tmp_path / "fit-h6.journal").is_file()
    config = yaml.safe_load((run / "config.yaml").read_text())
    import json

    best = json.loads(metrics)["sweep"]["best_params"]
    assert {k: config["estimator"][k] for k in best} == best
    assert model.lookback_ == 24
    # the same command continues the study (its journal) instead of starting over
    assert main(["sweep", "--data", str(root / "fit.csv"), "--target", "load,temp", "--horizon", "6",
                 "--max-epochs", "1", "--trials", "1", "--seed", "0", "--set", "patch_len=8", "--set", "patch_stride=4",
                 "--set", "lookback=24", "--output-dir", str(tmp_path), "--no-refit"]) == 0
    assert "best of 3 trial(s)" in capsys.readouterr().out


def test_sweep_refuses_searched_settings_and_benchmark_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _wide().to_csv(tmp_path / "x.csv", index=False)
    assert main(["sweep", "--data", str(tmp_path / "x.csv"), "--target", "load,temp", "--set", "ratio=1:1"]) == 2
    assert "the sweep searches these" in capsys.readouterr().err
    assert main(["sweep", "--dataset", "ETTh1", "--target", "OT"]) == 2
    assert "--target is for runs on your own file" in capsys.readouterr().err
    assert main(["sweep"]) == 2
    assert "give --dataset NAME" in capsys.readouterr().err
    assert main(["sweep", "--data", str(tmp_path / "x.csv"), "--target", "load,temp", "--trial-budget", "60"]) == 2
    assert "--trial-budget is for benchmark sweeps" in capsys.readouterr().err
