"""Split borders of the standard protocol and the window counts they produce."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from xlstm_ts.data.frames import read_benchmark
from xlstm_ts.data.registry import get_spec
from xlstm_ts.data.splits import split_borders, split_sizes
from xlstm_ts.data.windows import WindowDataset


def test_ett_hourly_borders() -> None:
    assert split_borders("ett_hourly", 17420, 336) == {
        "train": (0, 8640),
        "val": (8640 - 336, 8640 + 2880),
        "test": (11520 - 336, 14400),
    }


def test_ett_minute_borders_are_four_times_hourly() -> None:
    assert split_sizes("ett_minute", 69680) == {"train": 34560, "val": 11520, "test": 11520}
    assert split_borders("ett_minute", 69680, 512) == {
        "train": (0, 34560),
        "val": (34560 - 512, 46080),
        "test": (46080 - 512, 57600),
    }


@pytest.mark.parametrize(
    ("name", "n_train", "n_val", "n_test"),
    [
        ("Weather", 36887, 5270, 10539),
        ("Exchange", 5311, 760, 1517),
        ("ILI", 676, 97, 193),
        ("Electricity", 18412, 2632, 5260),
        ("Traffic", 12280, 1756, 3508),
    ],
)
def test_ratio_sizes(name: str, n_train: int, n_val: int, n_test: int) -> None:
    n = get_spec(name).n_rows
    assert split_sizes("ratio", n) == {"train": n_train, "val": n_val, "test": n_test}
    lookback = get_spec(name).default_lookback
    assert split_borders("ratio", n, lookback) == {
        "train": (0, n_train),
        "val": (n_train - lookback, n_train + n_val),
        "test": (n - n_test - lookback, n),
    }


def test_lookback_too_large_is_rejected() -> None:
    with pytest.raises(ValueError, match="lookback 700 is too large"):
        split_borders("ratio", 966, 700)  # ILI: only 676 training rows
    with pytest.raises(ValueError, match="lookback must be >= 1"):
        split_borders("ratio", 966, 0)


def test_horizon_too_long_for_a_split_is_rejected() -> None:
    split_borders("ratio", 966, 104, horizon=60)  # the ILI protocol's longest horizon fits
    with pytest.raises(ValueError, match=r"the val split .* too short"):
        split_borders("ratio", 966, 104, horizon=98)  # ILI val owns 97 rows


def test_ett_rules_need_enough_rows() -> None:
    with pytest.raises(ValueError, match="at least 14400 rows"):
        split_sizes("ett_hourly", 14399)
    with pytest.raises(ValueError, match="unknown split rule"):
        split_sizes("random", 1000)  # type: ignore[arg-type]


@pytest.mark.parametrize("horizon", [96, 720])
def test_etth1_window_counts(shared_data_dir: Path, horizon: int) -> None:
    spec = get_spec("ETTh1")
    values = read_benchmark(spec, shared_data_dir / spec.file_name).to_numpy(np.float32)
    borders = split_borders(spec.split, len(values), 336, horizon=horizon)
    train, val, test = (WindowDataset(values[s:e], 336, horizon) for s, e in borders.values())
    assert len(train) == 8640 - 336 - horizon + 1
    assert len(val) == 2880 - horizon + 1
    assert len(test) == 2880 - horizon + 1
