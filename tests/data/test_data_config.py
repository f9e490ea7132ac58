"""DataConfig defaults and validation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from xlstm_ts.data.config import DataConfig


def test_defaults() -> None:
    config = DataConfig(dataset="ETTh1")
    assert (config.lookback, config.horizon, config.features, config.target) == (336, 96, "M", "OT")
    assert (config.batch_size, config.eval_batch_size, config.num_workers) == (64, 256, 0)
    assert config.data_dir is None and config.scale and config.download


def test_path_data_dir_is_stored_as_str(tmp_path: Path) -> None:
    assert DataConfig(dataset="ili", data_dir=tmp_path).data_dir == str(tmp_path)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"dataset": "solar"}, "valid names"),
        ({"lookback": 0}, "lookback"),
        ({"horizon": -1}, "horizon"),
        ({"batch_size": True}, "batch_size"),
        ({"eval_batch_size": 2.5}, "eval_batch_size"),
        ({"num_workers": -1}, "num_workers"),
        ({"features": "SM"}, "features"),
        ({"target": ""}, "target"),
    ],
)
def test_invalid_values_are_rejected(changes: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        DataConfig(**{"dataset": "ETTh1", **changes})  # type: ignore[arg-type]


def test_is_frozen_and_replace_revalidates() -> None:
    config = DataConfig(dataset="ETTh1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lookback = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match="lookback"):
        dataclasses.replace(config, lookback=0)
