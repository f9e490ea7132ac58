"""The benchmark pipeline end to end on real ETTh1 rows, with a tiny network."""

from __future__ import annotations

import json
from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch

from xlstm_ts.data.config import DataConfig
from xlstm_ts.io import load_network
from xlstm_ts.training.callbacks import TrainingDiverged
from xlstm_ts.training.config import TrainConfig
from xlstm_ts.training.evaluate import error_metrics, predict_windows
from xlstm_ts.pipeline.fit import build_run, fit_run
from xlstm_ts.pipeline.run_config import RunConfig

TINY_NETWORK = {"embedding_dim": 16, "num_blocks": 2, "ratio": "1:1", "num_heads": 2, "patch_len": 16, "patch_stride": 8}


def tiny_run(data_dir: Path, **train: object) -> RunConfig:
    return RunConfig(
        data=DataConfig(dataset="ETTh1", data_dir=str(data_dir), lookback=96, horizon=24, batch_size=64),
        network=dict(TINY_NETWORK),
        train=TrainConfig(**{"max_epochs": 2, "limit_train_batches": 8, "patience": 0, "seed": 7, **train}),
    )


def test_short_training_lowers_validation_loss_and_writes_the_run(shared_data_dir: Path, tmp_path: Path) -> None:
    config = tiny_run(shared_data_dir)
    data, untrained = build_run(config)
    before = error_metrics(*predict_windows(untrained, data.val_dataloader()), prefix="val")["val_mse"]
    result = fit_run(config, tmp_path / "run", progress=False, quiet=True)
    assert result is not None
    assert result.metrics["val_mse"] < before
    # every test window of the ETT protocol: 2880 test rows, horizon 24
    assert result.metrics["test_windows"] == 2880 - 24 + 1
    for name in ("test_mse", "test_mae", "test_mse_original", "test_mae_original", "val_mse",
                 "epochs", "train_seconds", "n_parameters"):
        assert name in result.metrics
    written = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert written["test_mse"] == pytest.approx(result.metrics["test_mse"])
    reloaded = RunConfig.from_yaml(tmp_path / "run" / "config.yaml")
    assert reloaded.network_config() == config.network_config()
    assert (reloaded.data, reloaded.train, reloaded.model) == (config.data, config.train, config.model)


def test_saved_model_reproduces_the_test_metrics(shared_data_dir: Path, tmp_path: Path) -> None:
    config = tiny_run(shared_data_dir, max_epochs=1, limit_train_batches=3)
    result = fit_run(config, tmp_path, progress=False, quiet=True)
    network, description = load_network(tmp_path)
    data, _ = build_run(RunConfig.from_yaml(tmp_path / "config.yaml"))
    metrics = error_metrics(*predict_windows(network, data.test_dataloader()), data.scaler, prefix="test")
    assert metrics["test_mse"] == pytest.approx(result.metrics["test_mse"], rel=1e-9)
    assert metrics["test_mae_original"] == pytest.approx(result.metrics["test_mae_original"], rel=1e-9)
    assert description["channel_names"] == ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]


def test_seeded_runs_reproduce_their_metrics(shared_data_dir: Path) -> None:
    config = tiny_run(shared_data_dir, max_epochs=1, limit_train_batches=3)
    first = fit_run(config, None, progress=False, quiet=True)
    second = fit_run(config, None, progress=False, quiet=True)
    assert first.metrics["test_mse"] == second.metrics["test_mse"]


def test_naive_baseline_skips_training(shared_data_dir: Path) -> None:
    config = RunConfig(
        data=DataConfig(dataset="ETTh1", data_dir=str(shared_data_dir), lookback=96, horizon=24), model="naive"
    )
    result = fit_run(config, None, progress=False, quiet=True)
    assert result.metrics["epochs"] == 0 and result.metrics["n_parameters"] == 0
    assert 0.0 < result.metrics["test_mse"] < 2.0


class PoisonWeights(pl.Callback):
    """Make the network output NaN from epoch `epoch` on (what a diverging optimizer step does)."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.current_epoch == self.epoch:
            with torch.no_grad():
                next(pl_module.parameters()).fill_(float("nan"))


def test_diverged_training_stops_warns_and_keeps_the_best_finite_weights(shared_data_dir: Path) -> None:
    config = tiny_run(shared_data_dir, max_epochs=5, limit_train_batches=3)
    with pytest.warns(RuntimeWarning, match="diverged.*after epoch 2.*weights of epoch 1"):
        result = fit_run(config, None, progress=False, quiet=True, callbacks=[PoisonWeights(epoch=1)])
    assert result is not None
    assert result.metrics["diverged_epoch"] == 1 and result.metrics["best_epoch"] == 0
    assert result.metrics["epochs"] == 2  # stopped, although patience is 0 and max_epochs 5
    assert all(torch.isfinite(p).all() for p in result.network.parameters())
    assert result.metrics["test_mse"] < 2.0


def test_training_that_diverges_in_its_first_epoch_raises(shared_data_dir: Path) -> None:
    config = tiny_run(shared_data_dir, max_epochs=3, limit_train_batches=2)
    with pytest.raises(TrainingDiverged, match="after epoch 1.*lower the learning rate"):
        fit_run(config, None, progress=False, quiet=True, callbacks=[PoisonWeights(epoch=0)])


def test_select_initial_keeps_the_naive_start_when_training_does_not_beat_it(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    naive = fit_run(RunConfig(data=tiny_run(shared_data_dir).data, model="naive", network={}), None,
                    progress=False, quiet=True)
    assert naive is not None
    # a learning rate far too large: the trained epoch is worse than the naive start on validation
    config = RunConfig(
        data=tiny_run(shared_data_dir).data,
        network={**TINY_NETWORK, "linear_skip_init": "last_value"},
        train=TrainConfig(max_epochs=1, limit_train_batches=4, patience=0, seed=7, learning_rate=3.0,
                          warmup_fraction=0.0, scheduler="constant", select_initial=True),
    )
    result = fit_run(config, None, progress=False, quiet=True)
    assert result is not None
    assert result.metrics["best_epoch"] == -1  # the untrained weights were kept
    assert result.metrics["test_mse"] == pytest.approx(naive.metrics["test_mse"], rel=1e-6)
    assert result.metrics["val_mse"] == pytest.approx(naive.metrics["val_mse"], rel=1e-6)
    # without select_initial the same run has to use its (worse) trained epoch
    worse = fit_run(RunConfig(data=config.data, network=config.network,
                              train=TrainConfig(**{**config.train.to_dict(), "select_initial": False})),
                    None, progress=False, quiet=True)
    assert worse is not None and worse.metrics["best_epoch"] == 0
    assert worse.metrics["val_mse"] > naive.metrics["val_mse"]
