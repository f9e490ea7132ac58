"""`xlstm-ts backtest MODEL_DIR --data FILE`: a saved estimator's settings backtested on a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xlstm_ts.cli import main
from xlstm_ts.forecaster import XLSTMForecaster


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("backtest")
    rng = np.random.default_rng(0)
    n = 400
    t = np.arange(n)
    frame = pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=n, freq="h"),
                          "a": 10 + np.sin(2 * np.pi * t / 24) + 0.3 * rng.standard_normal(n)})
    model = XLSTMForecaster(horizon=6, lookback=24, embedding_dim=8, num_blocks=1, patch_len=8, patch_stride=4,
                            max_epochs=1, verbose=0, random_state=0, levels=[80]).fit(frame)
    model.save(root / "model")
    frame.to_csv(root / "data.csv", index=False)
    return root / "model", root / "data.csv"


def test_backtest_writes_the_windows_and_a_plot(saved, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_dir, data = saved
    out, png = tmp_path / "cv.csv", tmp_path / "cv.png"
    code = main(["backtest", str(model_dir), "--data", str(data), "--n-windows", "2", "--output", str(out),
                 "--plot", str(png)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "2 cutoff(s), 1 series, 12 forecast steps" in printed and "80% interval covers" in printed
    table = pd.read_csv(out)
    assert list(table.columns) == ["unique_id", "ds", "cutoff", "y", "forecast", "forecast-lo-80", "forecast-hi-80"]
    assert set(table["unique_id"]) == {"a"}
    assert len(table) == 12 and png.stat().st_size > 1000


def test_backtest_errors(saved, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_dir, data = saved
    assert main(["backtest", str(model_dir), "--data", str(tmp_path / "missing.csv")]) == 2
    assert "file not found" in capsys.readouterr().err
    assert main(["backtest", str(tmp_path), "--data", str(data)]) == 2
    assert "not a model directory" in capsys.readouterr().err
