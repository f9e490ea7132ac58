"""How any network is trained: :func:`train_network`, the package's only ``pl.Trainer``.

Both faces train through it: the benchmark pipeline (:func:`xlstm_ts.pipeline.fit_run`) and the
estimator (:meth:`xlstm_ts.XLSTMForecaster.fit`). It takes a plain network and two loaders of
``(x, y)`` batches, trains with the :class:`~xlstm_ts.training.module.ForecastModule`, keeps the
weights of the best validation epoch in memory (never a pickled checkpoint), stops early, stops
a diverged run, and hands back the network with the best weights on CPU in eval mode.

Seeding is the caller's: the pipeline seeds every generator, the estimator forks the RNG.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import lightning.pytorch as pl
import numpy as np
from torch import nn
from torch.utils.data import DataLoader

from xlstm_ts.models.registry import is_trainable
from xlstm_ts.training.callbacks import BestWeights, EpochSummary
from xlstm_ts.training.config import TrainConfig
from xlstm_ts.training.evaluate import predict_windows
from xlstm_ts.training.module import ForecastModule

Progress = Literal["bar", "epochs", "none"]
"""How training shows progress: Lightning's progress bar, one line per epoch (for logs), or nothing."""

NOISY_WARNINGS = (
    ".*does not have many workers.*",
    ".*number of training batches.*",
    ".*GPU available but not used.*",
    ".*LeafSpec.*",
    ".*no `val_dataloader`.*",
)
"""Lightning's hints that say nothing about a forecasting run (silenced unless ``verbose_logs``)."""


@dataclass
class TrainOutcome:
    """What :func:`train_network` did."""

    network: nn.Module
    """The network with the best-validation weights (or its last ones without validation), CPU, eval mode."""
    epochs: int
    """Epochs run (0 for a network with nothing to train)."""
    best_epoch: int
    """0-based epoch whose weights were kept; -1: the untrained weights (``select_initial``) or no validation."""
    best_val_loss: float | None
    """Validation loss of the kept weights (None without validation)."""
    diverged_epoch: int | None
    """0-based epoch after which the validation loss was not finite (training stopped there), or None."""
    early_stopping: bool
    """Whether early stopping was on (validation given and ``patience > 0``)."""
    train_seconds: float
    """Wall time of the whole call."""
    is_global_zero: bool = True
    """False on the other processes of a multi-device (DDP) run: only global zero should report or write."""


@contextlib.contextmanager
def lightning_output(verbose_logs: bool) -> Iterator[None]:
    """Lightning's logging at INFO (``verbose_logs``) or WARNING and its noisy hints filtered, for
    one run: the process-wide logger level and warning filters are restored afterwards."""
    logger = logging.getLogger("lightning.pytorch")
    level = logger.level
    if not verbose_logs:
        logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            if not verbose_logs:
                for message in NOISY_WARNINGS:
                    warnings.filterwarnings("ignore", message)
            yield
    finally:
        logger.setLevel(level)


LOGGERS = ("csv", "tensorboard")
"""Names :func:`make_logger` accepts."""


def make_logger(logger: Any, save_dir: str = "lightning_logs", name: str = "xlstm_ts") -> Any:
    """A Lightning logger from ``logger``: None/False -> None; "csv" -> ``CSVLogger``;
    "tensorboard" -> ``TensorBoardLogger`` (needs the tensorboard package); a Lightning
    ``Logger`` instance is returned as is. Logs go to ``save_dir/name/version_N``."""
    from lightning.pytorch.loggers import CSVLogger, Logger, TensorBoardLogger

    if logger is None or logger is False:
        return None
    if isinstance(logger, Logger):
        return logger
    if logger == "csv":
        return CSVLogger(save_dir, name=name)
    if logger == "tensorboard":
        try:
            return TensorBoardLogger(save_dir, name=name)
        except ModuleNotFoundError as err:
            raise ValueError(
                f"logger='tensorboard' needs the tensorboard package ({err}); pip install tensorboard, or use logger='csv'"
            ) from None
    raise ValueError(f"logger must be None, {' or '.join(repr(n) for n in LOGGERS)}, or a Lightning Logger; got {logger!r}")


def validation_score(network: nn.Module, loader: DataLoader, quantiles: Sequence[float] | None) -> float:
    """``val_loss`` of ``network`` as it is now, over every window of ``loader`` (what
    ``select_initial`` scores the untrained network with): MSE, or the pinball loss for quantiles."""
    prediction, target = predict_windows(network, loader)
    if quantiles:
        levels = np.asarray(quantiles, dtype=np.float64)
        error = target[..., None] - prediction
        return float(np.mean(np.maximum(levels * error, (levels - 1.0) * error)))
    return float(np.mean((prediction - target) ** 2))


def train_network(
    network: nn.Module,
    train_loader: DataLoader,
    val_loader: DataLoader | None,
    config: TrainConfig,
    *,
    quantiles: Sequence[float] | None = None,
    callbacks: Sequence[pl.Callback] = (),
    progress: Progress = "bar",
    verbose_logs: bool = False,
    sanity_check: bool = False,
    logger: Any = None,
) -> TrainOutcome:
    """Train ``network`` in place and keep the weights of its best validation epoch.

    Args:
        network: x (B, L, C_in) -> (B, H, C_out), or (B, H, C_out, Q) with ``quantiles``. A network
            with nothing to train (``trainable = False``, the rule-based baselines) is returned as is.
        train_loader: shuffled training batches ``(x, y)``, y (B, H, C_out).
        val_loader: validation batches in order, or None (no early stopping, no selection: the
            last epoch's weights are kept).
        config: epochs, optimizer, schedule, early stopping, ``select_initial``, devices, precision.
        quantiles: ascending levels: train and select with the pinball loss.
        callbacks: extra Lightning callbacks (e.g. Optuna pruning), after best-weight tracking.
        progress: "bar", "epochs" (one line per epoch) or "none".
        verbose_logs: Lightning's informational logs and model summary (restored afterwards either way).
        sanity_check: validate two batches before training (Lightning's sanity check; it draws from
            the global RNG, so it is part of a seeded run's identity).
        logger: None (no logging) or a Lightning logger (e.g. ``CSVLogger``, ``TensorBoardLogger``),
            see :func:`make_logger`.
    Returns:
        A :class:`TrainOutcome`; its network is on CPU in eval mode. On non-zero DDP ranks
        ``is_global_zero`` is False and the weights are those of that rank.
    """
    start = time.perf_counter()
    if not is_trainable(network):
        return TrainOutcome(network.cpu().eval(), 0, -1, None, None, False, round(time.perf_counter() - start, 3))
    module = ForecastModule(network, config, quantiles)
    best = BestWeights("val_loss")
    if config.select_initial and val_loader is not None:
        best.seed_with(validation_score(network, val_loader, quantiles), module)
    early_stopping = val_loader is not None and config.patience > 0
    trainer_callbacks: list[pl.Callback] = [best, *callbacks]
    if progress == "epochs":
        trainer_callbacks.append(EpochSummary())
    if early_stopping:
        trainer_callbacks.append(pl.callbacks.EarlyStopping("val_loss", patience=config.patience, mode="min"))
    # only without validation: an explicit limit is announced in Lightning's logs even when it changes nothing
    no_validation = {"limit_val_batches": 0} if val_loader is None else {}
    with lightning_output(verbose_logs):
        trainer = pl.Trainer(
            max_epochs=config.max_epochs,
            accelerator=config.accelerator,
            devices=config.devices,
            strategy=config.strategy,
            precision=config.precision,
            gradient_clip_val=config.gradient_clip or None,
            limit_train_batches=config.limit_train_batches,
            num_sanity_val_steps=2 if sanity_check and val_loader is not None else 0,
            callbacks=trainer_callbacks,
            enable_checkpointing=False,
            logger=logger if logger is not None else False,
            log_every_n_steps=1 if logger is not None else 50,
            enable_progress_bar=progress == "bar",
            enable_model_summary=verbose_logs,
            deterministic=False,
            **no_validation,
        )
        trainer.fit(module, train_loader, val_loader)
    if not trainer.is_global_zero:
        return TrainOutcome(module.network, int(trainer.current_epoch), -1, None, None, early_stopping,
                            round(time.perf_counter() - start, 3), is_global_zero=False)
    best.restore(module)
    trained = module.network.cpu().eval()
    best_val = float(best.best_score) if best.best_state is not None and math.isfinite(best.best_score) else None
    return TrainOutcome(
        network=trained,
        epochs=int(trainer.current_epoch),
        best_epoch=int(best.best_epoch),
        best_val_loss=best_val,
        diverged_epoch=best.diverged_epoch,
        early_stopping=early_stopping,
        train_seconds=round(time.perf_counter() - start, 3),
    )
