"""Run configs: YAML round trip, overrides, loud errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlstm_ts.data.config import DataConfig
from xlstm_ts.pipeline.run_config import RunConfig, apply_overrides, parse_value


def test_yaml_round_trip(tmp_path: Path) -> None:
    config = RunConfig(data=DataConfig(dataset="ETTh2", horizon=192), network={"ratio": "7:1", "num_blocks": 8})
    config.to_yaml(tmp_path / "c.yaml")
    again = RunConfig.from_yaml(tmp_path / "c.yaml")
    assert again.network_config() == config.network_config()
    assert again.data == config.data and again.train == config.train


@pytest.mark.parametrize(
    ("text", "value"), [("3", 3), ("1e-3", 1e-3), ("0.5", 0.5), ("true", True), ("1:1", "1:1"), ("patch", "patch")]
)
def test_parse_value(text: str, value: object) -> None:
    assert parse_value(text) == value


def test_overrides_by_section_and_by_unique_name() -> None:
    values = {"model": "xlstm", "data": {"dataset": "ETTh1"}, "network": {}, "train": {}}
    out = apply_overrides(values, ["embedding_dim=32", "train.max_epochs=3", "data.batch_size=16", "ratio=7:1"])
    assert out["network"] == {"embedding_dim": 32, "ratio": "7:1"}
    assert out["train"] == {"max_epochs": 3} and out["data"]["batch_size"] == 16
    assert values["network"] == {}  # the input is not modified


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("nonsense=1", "no such setting"),
        ("network.bogus=1", "network has no setting 'bogus'"),
        ("model_section.x=1", "unknown section"),
        ("dropout", "expects key=value"),
    ],
)
def test_bad_overrides_raise(override: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        apply_overrides({"model": "xlstm", "data": {"dataset": "ETTh1"}}, [override])


def test_network_lookback_must_agree_with_data() -> None:
    with pytest.raises(ValueError, match="disagrees with data.lookback"):
        RunConfig(data=DataConfig(dataset="ETTh1", lookback=96), network={"lookback": 336})


def test_unknown_model_and_sections_raise() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        RunConfig(data=DataConfig(dataset="ETTh1"), model="arima")
    with pytest.raises(ValueError, match="unknown config section"):
        RunConfig.from_dict({"data": {"dataset": "ETTh1"}, "trainer": {}})


@pytest.mark.parametrize(("dataset", "lookback", "season"), [("ETTh1", 336, 24), ("ETTm1", 336, 96), ("Weather", 336, 144), ("ILI", 104, 52)])
def test_seasonal_naive_takes_the_dataset_season(dataset: str, lookback: int, season: int) -> None:
    config = RunConfig.from_dict({"model": "seasonal_naive", "data": {"dataset": dataset, "lookback": lookback}})
    assert config.network_config().season_length == season
    assert config.to_dict()["network"]["season_length"] == season  # config.yaml reruns the same season


def test_seasonal_naive_explicit_season_is_kept() -> None:
    config = RunConfig.from_dict(
        {"model": "seasonal_naive", "data": {"dataset": "ETTm1", "lookback": 336}, "network": {"season_length": 24}}
    )
    assert config.network_config().season_length == 24


def test_seasonal_naive_season_longer_than_lookback_is_refused() -> None:
    config = RunConfig.from_dict({"model": "seasonal_naive", "data": {"dataset": "Weather", "lookback": 96}})
    with pytest.raises(ValueError, match="season of 144 steps.*lookback=96"):
        config.network_config()
