"""The seed ensemble: the mean network, its registry entry, and ``RunConfig.ensemble`` in a run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from xlstm_ts.io import load_network, save_network
from xlstm_ts.models import MODELS, build_network
from xlstm_ts.models.ensemble import EnsembleConfig, MeanEnsemble
from xlstm_ts.pipeline.run_config import RunConfig, apply_overrides

SMALL = {"patch_len": 8, "patch_stride": 4, "embedding_dim": 8, "num_heads": 2, "num_blocks": 1}


def test_the_ensemble_forecasts_the_mean_of_its_members(tmp_path: Path) -> None:
    config = EnsembleConfig(lookback=32, horizon=6, model="xlstm", members=3, network={**SMALL, "cycle_length": 4})
    assert config.cycle_length == 4
    _, net = build_network("ensemble", config.to_dict(), 2)
    assert isinstance(net, MeanEnsemble) and len(net.members) == 3
    net.eval()
    x, phase = torch.randn(5, 32, 2), torch.tensor([0, 1, 2, 3, 9])
    expected = torch.stack([m(x, phase=phase) for m in net.members]).mean(0)
    torch.testing.assert_close(net(x, phase=phase), expected)
    save_network(tmp_path, net, "ensemble", config.to_dict(), 2)
    loaded, description = load_network(tmp_path)
    assert description["model"] == "ensemble"
    torch.testing.assert_close(loaded(x, phase=phase), net(x, phase=phase), rtol=0, atol=0)
    assert "ensemble" not in MODELS  # built and loaded by name, not trained directly


@pytest.mark.parametrize("values,message", [({"members": 0}, "members must be"), ({"model": "ensemble"}, "cannot be"),
                                            ({"network": [1]}, "must be a dict")])
def test_bad_ensemble_configs_are_rejected(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EnsembleConfig(lookback=32, horizon=6, **values)


def test_bad_member_settings_are_rejected_when_the_members_are_built() -> None:
    config = EnsembleConfig(lookback=32, horizon=6, network={"bogus": 1})
    with pytest.raises(ValueError, match="bogus"):
        build_network("ensemble", config, 2)


def test_run_config_ensemble_field() -> None:
    base = {"model": "xlstm", "data": {"dataset": "ETTh1"}, "network": {}, "train": {}}
    assert RunConfig.from_dict(base).ensemble == 1
    assert "ensemble" not in RunConfig.from_dict(base).to_dict()  # single runs' config.yaml unchanged
    three = RunConfig.from_dict(apply_overrides(base, ["ensemble=3", "seed=5"]))
    assert three.ensemble == 3 and three.to_dict()["ensemble"] == 3
    assert RunConfig.from_dict(three.to_dict()).to_dict() == three.to_dict()
    member = three.member(2)
    assert (member.ensemble, member.train.seed, member.data) == (1, 7, three.data)
    for bad in (0, True, 1.5):
        with pytest.raises(ValueError, match="ensemble must be an integer >= 1"):
            RunConfig.from_dict({**base, "ensemble": bad})
    with pytest.raises(ValueError, match="not trained directly"):
        RunConfig.from_dict({**base, "model": "ensemble"})


def test_an_ensemble_run_averages_its_members_each_the_run_of_its_seed(shared_data_dir: Path, tmp_path: Path) -> None:
    from xlstm_ts.data.config import DataConfig
    from xlstm_ts.pipeline.evaluate import evaluate_run
    from xlstm_ts.pipeline.fit import fit_run
    from xlstm_ts.training.config import TrainConfig

    def run(seed: int, ensemble: int) -> RunConfig:
        return RunConfig(
            data=DataConfig(dataset="ETTh1", data_dir=str(shared_data_dir), lookback=48, horizon=12, batch_size=64),
            network={**SMALL, "cycle_length": 24},
            train=TrainConfig(max_epochs=1, limit_train_batches=3, patience=0, seed=seed),
            ensemble=ensemble,
        )

    result = fit_run(run(11, 2), tmp_path / "ens", progress=False, quiet=True)
    assert result is not None and result.metrics["ensemble"] == 2
    members = result.metrics["members"]
    assert [m["seed"] for m in members] == [11, 12]
    single = fit_run(run(12, 1), None, progress=False, quiet=True)
    assert single is not None
    assert members[1]["test_mse"] == pytest.approx(single.metrics["test_mse"], rel=1e-12)
    assert members[1]["val_mse"] == pytest.approx(single.metrics["val_mse"], rel=1e-12)
    assert members[0]["test_mse"] != members[1]["test_mse"]
    # the mean of two forecasts is at least as good as their average error (convexity of the MSE)
    assert result.metrics["test_mse"] <= np.mean([m["test_mse"] for m in members]) + 1e-12
    _, metrics = evaluate_run(tmp_path / "ens", shared_data_dir)
    assert metrics["test_mse"] == pytest.approx(result.metrics["test_mse"], rel=1e-9)
    assert RunConfig.from_yaml(tmp_path / "ens" / "config.yaml").ensemble == 2
