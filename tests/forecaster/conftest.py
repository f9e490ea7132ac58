"""Fixtures of the XLSTMForecaster tests: one CPU thread, tiny networks, small synthetic frames."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    """Idle OpenMP threads spin on a busy machine; one thread keeps the tiny networks fast."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


TINY: dict[str, Any] = {
    "horizon": 6,
    "lookback": 24,
    "embedding_dim": 16,
    "num_blocks": 1,
    "num_heads": 2,
    "patch_len": 8,
    "patch_stride": 4,
    "max_epochs": 1,
    "batch_size": 64,
    "verbose": 0,
    "random_state": 0,
}
"""Settings of a network that fits in well under a second."""


@pytest.fixture
def tiny() -> Callable[..., Any]:
    """``tiny(**overrides)`` -> an unfitted tiny XLSTMForecaster."""
    from xlstm_ts.forecaster import XLSTMForecaster

    def make(**overrides: Any) -> XLSTMForecaster:
        return XLSTMForecaster(**{**TINY, **overrides})

    return make


def make_wide(
    n: int = 120,
    columns: tuple[str, ...] = ("a", "b"),
    freq: str = "h",
    seed: int = 0,
    time_col: str = "ds",
    start: str = "2024-01-01",
) -> pd.DataFrame:
    """Daily-cycle sinusoids with noise, one column per series, a time column ``time_col``."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    data = {time_col: pd.date_range(start, periods=n, freq=freq)}
    for k, name in enumerate(columns):
        data[name] = 10.0 * (k + 1) + np.sin(2 * np.pi * t / 24 + k) + 0.1 * rng.standard_normal(n)
    return pd.DataFrame(data)


def wide_to_long(wide: pd.DataFrame, time_col: str = "ds") -> pd.DataFrame:
    """The same data in long form (unique_id, ds, y), series in column order."""
    long = wide.melt(id_vars=time_col, var_name="unique_id", value_name="y")
    return long[["unique_id", time_col, "y"]].rename(columns={time_col: "ds"})


@pytest.fixture
def wide() -> pd.DataFrame:
    return make_wide()


@pytest.fixture
def long(wide: pd.DataFrame) -> pd.DataFrame:
    return wide_to_long(wide)


def _find_etth1() -> Path | None:
    candidates = [Path(__file__).resolve().parents[2].parent / "shared" / "datasets"]
    if os.environ.get("XLSTM_TS_DATA"):
        candidates.insert(0, Path(os.environ["XLSTM_TS_DATA"]))
    for folder in candidates:
        if (folder / "ETTh1.csv").is_file():
            return folder / "ETTh1.csv"
    return None


@pytest.fixture(scope="session")
def etth1_path() -> Path:
    """ETTh1.csv from $XLSTM_TS_DATA or ../shared/datasets next to the repository (skip if absent)."""
    path = _find_etth1()
    if path is None:
        pytest.skip("ETTh1.csv not found: set XLSTM_TS_DATA or put it in ../shared/datasets next to the repository")
    return path


@pytest.fixture
def make_frame() -> Callable[..., pd.DataFrame]:
    """``make_frame(n=120, columns=("a", "b"), freq="h", seed=0, time_col="ds")`` -> a wide frame."""
    return make_wide


@pytest.fixture
def to_long() -> Callable[..., pd.DataFrame]:
    """``to_long(wide)`` -> the same data in long form."""
    return wide_to_long
