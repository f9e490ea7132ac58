"""One benchmark run end to end: data -> network -> Lightning training -> best-validation weights
-> metrics on every test window -> a run directory (config.yaml, metrics.json, model files)."""

from __future__ import annotations

import json
import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from torch import nn

from xlstm_ts.data.datamodule import ForecastDataModule
from xlstm_ts.io import save_network
from xlstm_ts.models.registry import build_network, is_trainable
from xlstm_ts.training.callbacks import BestWeights, EpochSummary
from xlstm_ts.training.evaluate import drop_last_metrics, error_metrics, predict_windows
from xlstm_ts.training.module import ForecastModule
from xlstm_ts.training.run_config import RunConfig


@dataclass
class FitResult:
    """What a run produced (on the global-zero process; other DDP ranks get None from `fit_run`)."""

    metrics: dict[str, Any]
    """test_mse, test_mae (scaled), *_original (data units), val_mse, epochs, train_seconds, n_parameters, ..."""
    network: nn.Module
    """The network with the best-validation weights, in eval mode."""
    data: ForecastDataModule
    """The data module (scaler, splits)."""
    output_dir: Path | None
    """Where the run was written, if anywhere."""


def build_run(config: RunConfig) -> tuple[ForecastDataModule, nn.Module]:
    """The prepared data module and a freshly initialized network for `config` (seeds first)."""
    pl.seed_everything(config.train.seed, workers=True, verbose=False)
    data = ForecastDataModule(config.data)
    data.prepare_data()
    data.setup("fit")
    output_channels = [data.target_index] if config.data.features == "MS" else None
    network_values = config.network_config().to_dict()
    _, network = build_network(config.model, network_values, data.n_channels_in, output_channels)
    return data, network


def fit_run(
    config: RunConfig,
    output_dir: str | Path | None = None,
    *,
    progress: bool = True,
    callbacks: list[pl.Callback] | None = None,
    quiet: bool = False,
) -> FitResult | None:
    """Train, select on validation, evaluate every test window, and write the run directory.

    Args:
        config: the run.
        output_dir: where to write config.yaml, metrics.json, model.safetensors, model.json
            (None: write nothing).
        progress: show Lightning's progress bar (epoch, step, losses, time left).
        callbacks: extra Lightning callbacks (e.g. a pruning callback).
        quiet: silence Lightning's informational logging (and, without progress, the per-epoch lines).
    Returns:
        The result on the global-zero process, None on the other DDP processes.
    """
    if quiet:
        logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
    data, network = build_run(config)
    train = config.train
    best = BestWeights("val_loss")
    start = time.perf_counter()
    epochs = 0
    module = ForecastModule(network, train)
    if is_trainable(network) and train.select_initial:
        initial_pred, initial_true = predict_windows(network, data.val_dataloader())
        best.seed_with(error_metrics(initial_pred, initial_true, prefix="val")["val_mse"], module)
    if is_trainable(network):
        trainer_callbacks: list[pl.Callback] = [best, *(callbacks or [])]
        if not progress and not quiet:
            trainer_callbacks.append(EpochSummary())
        if train.patience > 0:
            trainer_callbacks.append(pl.callbacks.EarlyStopping("val_loss", patience=train.patience, mode="min"))
        trainer = pl.Trainer(
            max_epochs=train.max_epochs,
            accelerator=train.accelerator,
            devices=train.devices,
            strategy=train.strategy,
            precision=train.precision,
            gradient_clip_val=train.gradient_clip or None,
            limit_train_batches=train.limit_train_batches,
            callbacks=trainer_callbacks,
            enable_checkpointing=False,
            logger=False,
            enable_progress_bar=progress,
            enable_model_summary=not quiet,
            deterministic=False,
        )
        trainer.fit(module, datamodule=data)
        if not trainer.is_global_zero:
            return None
        best.restore(module)
        epochs = trainer.current_epoch
    network = module.network.cpu().eval()
    train_seconds = time.perf_counter() - start

    output_channels = [data.target_index] if config.data.features == "MS" else None
    scaler = data.scaler
    val_pred, val_true = predict_windows(network, data.val_dataloader())
    test_pred, test_true = predict_windows(network, data.test_dataloader())
    metrics: dict[str, Any] = {
        **error_metrics(test_pred, test_true, scaler, output_channels, prefix="test"),
        "val_mse": error_metrics(val_pred, val_true, prefix="val")["val_mse"],
        "test_drop_last": drop_last_metrics(test_pred, test_true),
        "best_epoch": best.best_epoch,
        "epochs": epochs,
        "diverged_epoch": best.diverged_epoch,
        "train_seconds": round(train_seconds, 2),
        "n_parameters": sum(p.numel() for p in network.parameters()) if is_trainable(network) else 0,
        "model": config.model,
        "dataset": data.spec.name,
        "horizon": config.data.horizon,
        "lookback": config.data.lookback,
        "seed": train.seed,
    }
    out = Path(output_dir) if output_dir is not None else None
    if out is not None:
        write_run(out, config, network, data, metrics)
    return FitResult(metrics, network, data, out)


def write_run(
    output_dir: Path, config: RunConfig, network: nn.Module, data: ForecastDataModule, metrics: dict[str, Any]
) -> None:
    """config.yaml, metrics.json and the model files of a finished run."""
    output_dir.mkdir(parents=True, exist_ok=True)
    config.to_yaml(output_dir / "config.yaml")
    (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    output_channels = [data.target_index] if config.data.features == "MS" else None
    save_network(
        output_dir,
        network,
        config.model,
        config.network_config().to_dict(),
        data.n_channels_in,
        output_channels,
        metadata={
            "dataset": data.spec.name,
            "freq": data.spec.freq,
            "features": config.data.features,
            "target": config.data.target,
            "channel_names": list(data.channel_names),
            "output_names": list(data.output_names),
            "scaler": data.scaler.state_dict() if data.scaler is not None else None,
        },
    )


def default_output_dir(config: RunConfig, root: str | Path = "runs") -> Path:
    """runs/<dataset>-<horizon>-<timestamp>/ (a suffix is added if it exists)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{config.data.dataset}-{config.data.horizon}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path
