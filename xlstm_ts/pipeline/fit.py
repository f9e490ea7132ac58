"""One benchmark run end to end: data -> network -> the training core -> best-validation weights
-> metrics on every test window -> a run directory (see :mod:`xlstm_ts.pipeline.run_dir`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from torch import nn

from xlstm_ts.data.datamodule import ForecastDataModule
from xlstm_ts.models.ensemble import EnsembleConfig, MeanEnsemble
from xlstm_ts.models.registry import build_network, is_trainable
from xlstm_ts.pipeline.phase import phase_loader
from xlstm_ts.pipeline.run_config import RunConfig
from xlstm_ts.pipeline.run_dir import default_output_dir, output_channels, write_run
from xlstm_ts.training.evaluate import drop_last_metrics, error_metrics, predict_windows
from xlstm_ts.training.trainer import Progress, train_network

__all__ = ["FitResult", "build_run", "fit_run", "write_run", "default_output_dir"]


@dataclass
class FitResult:
    """What a run produced (on the global-zero process; other DDP ranks get None from `fit_run`)."""

    metrics: dict[str, Any]
    """test_mse, test_mae (scaled), *_original (data units), val_mse, epochs, train_seconds, n_parameters,
    data_sha256 (the file used) and data_modified (it differs from the registry), ..."""
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
    network_values = config.network_config().to_dict()
    _, network = build_network(config.model, network_values, data.n_channels_in, output_channels(config, data))
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
        quiet: silence Lightning's informational logging (and, without progress, the per-epoch
            lines) for this run; the process-wide settings are restored afterwards.
    Returns:
        The result on the global-zero process, None on the other DDP processes.
    """
    if config.ensemble > 1 and (config.train.devices not in (1, "1") or config.train.strategy not in ("auto",)):
        raise ValueError("a seed ensemble (ensemble > 1) trains on one device: set devices=1 and strategy=auto")
    mode: Progress = "bar" if progress else ("none" if quiet else "epochs")
    outcomes, members = [], []
    for k in range(config.ensemble):
        member = config.member(k) if config.ensemble > 1 else config
        data, network = build_run(member)  # member k is exactly the single run of seed train.seed + k
        outcome = train_network(
            network,
            phase_loader(data.train_dataloader(), network),  # the cycle's phase channel, if the network has one
            phase_loader(data.val_dataloader(), network),
            member.train,
            callbacks=callbacks or (),
            progress=mode,
            verbose_logs=not quiet,
            sanity_check=True,
        )
        if not outcome.is_global_zero:
            return None
        outcomes.append(outcome)
        members.append(outcome.network)
    outcome = outcomes[0]
    network = members[0] if config.ensemble == 1 else ensemble_network(config, data, members)
    scaler = data.scaler
    val_pred, val_true = predict_windows(network, phase_loader(data.val_dataloader(), network))
    test_pred, test_true = predict_windows(network, phase_loader(data.test_dataloader(), network))
    metrics: dict[str, Any] = {
        **error_metrics(test_pred, test_true, scaler, output_channels(config, data), prefix="test"),
        "val_mse": error_metrics(val_pred, val_true, prefix="val")["val_mse"],
        "test_drop_last": drop_last_metrics(test_pred, test_true),
        "best_epoch": outcome.best_epoch,
        "epochs": outcome.epochs,
        "diverged_epoch": outcome.diverged_epoch,
        "train_seconds": round(outcome.train_seconds, 2),
        "n_parameters": sum(p.numel() for p in network.parameters()) if is_trainable(network) else 0,
        "model": config.model,
        "dataset": data.spec.name,
        "data_sha256": data.data_file.sha256,
        "data_modified": data.data_file.modified,
        "horizon": config.data.horizon,
        "lookback": config.data.lookback,
        "seed": config.train.seed,
    }
    if config.ensemble > 1:  # best_epoch / epochs / diverged_epoch above are the first member's
        metrics["train_seconds"] = round(sum(o.train_seconds for o in outcomes), 2)
        metrics["ensemble"] = config.ensemble
        metrics["members"] = [
            {"seed": config.train.seed + k, "best_epoch": o.best_epoch, "epochs": o.epochs,
             "val_mse": member_errors(o.network, data.val_dataloader())[0],
             **dict(zip(("test_mse", "test_mae"), member_errors(o.network, data.test_dataloader()), strict=True))}
            for k, o in enumerate(outcomes)
        ]
    out = Path(output_dir) if output_dir is not None else None
    if out is not None:
        write_run(out, config, network, data, metrics)
    return FitResult(metrics, network, data, out)


def ensemble_network(config: RunConfig, data: ForecastDataModule, members: list[nn.Module]) -> nn.Module:
    """The mean of the trained ``members`` as one network (saved and loaded as registry ``"ensemble"``)."""
    ensemble_config = EnsembleConfig(
        lookback=config.data.lookback,
        horizon=config.data.horizon,
        model=config.model,
        members=len(members),
        network={k: v for k, v in config.network_config().to_dict().items() if k not in ("lookback", "horizon")},
    )
    return MeanEnsemble(ensemble_config, members).eval()


def member_errors(network: nn.Module, loader: Any) -> tuple[float, float]:
    """(MSE, MAE), scaled, of one network over every window of ``loader``."""
    errors = error_metrics(*predict_windows(network, phase_loader(loader, network)), prefix="x")
    return errors["x_mse"], errors["x_mae"]
