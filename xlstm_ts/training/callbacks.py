"""Callbacks: keep the weights of the best validation epoch in memory (no pickled checkpoints)."""

from __future__ import annotations

import math
import time
import warnings

import lightning.pytorch as pl
import torch


class TrainingDiverged(RuntimeError):
    """The monitored validation loss became NaN or infinite."""


class BestWeights(pl.Callback):
    """Copy the network's weights whenever `monitor` improves; `restore` puts the best ones back.

    Selection is on validation only, never on test. In DDP the monitored value is synchronized
    across processes and the weights are identical on every rank, so every rank keeps the same copy.

    A NaN or infinite value means training diverged: every later epoch would be NaN too, so training
    stops there with a warning, `diverged_epoch` records the epoch (0-based), and `restore` puts
    back the best weights from before (or raises :class:`TrainingDiverged` if there are none).
    """

    def __init__(self, monitor: str = "val_loss") -> None:
        self.monitor = monitor
        self.best_score = math.inf
        self.best_epoch = -1
        self.best_state: dict[str, torch.Tensor] | None = None
        self.diverged_epoch: int | None = None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            return
        score = float(value)
        if not math.isfinite(score):
            self._stop_diverged(trainer, score)
            return
        if score < self.best_score:
            self.best_score = score
            self.best_epoch = trainer.current_epoch
            self.best_state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}

    def seed_with(self, score: float, pl_module: pl.LightningModule) -> None:
        """Start from the weights `pl_module` has now, scored `score`: kept unless an epoch beats it
        (`best_epoch` stays -1 then)."""
        if math.isfinite(score):
            self.best_score = score
            self.best_state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}

    def _stop_diverged(self, trainer: pl.Trainer, score: float) -> None:
        if self.diverged_epoch is None:
            self.diverged_epoch = trainer.current_epoch
            if trainer.is_global_zero and self.best_state is not None:
                warnings.warn(
                    f"training diverged: {self.monitor} is {score} after epoch {self.diverged_epoch + 1}; "
                    f"stopped there, using the weights of epoch {self.best_epoch + 1} ({self.monitor} "
                    f"{self.best_score:.6g}). A lower learning rate usually avoids this.",
                    RuntimeWarning,
                    stacklevel=2,
                )
        trainer.should_stop = True

    def restore(self, pl_module: pl.LightningModule) -> None:
        """Load the best weights seen (no-op before any validation).

        Raises:
            TrainingDiverged: training diverged before any epoch had a finite validation loss.
        """
        if self.best_state is not None:
            pl_module.load_state_dict(self.best_state)
        elif self.diverged_epoch is not None:
            raise TrainingDiverged(
                f"training diverged: {self.monitor} was not finite after epoch {self.diverged_epoch + 1}, "
                "and no earlier epoch had a finite value; lower the learning rate (or raise gradient clipping)"
            )


class EpochSummary(pl.Callback):
    """One line per epoch (for logs, where a progress bar is noise): losses, best so far, time."""

    def __init__(self, print_fn=print) -> None:
        self.print_fn = print_fn
        self.start = 0.0
        self.best = math.inf

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.start = time.perf_counter()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        metrics = trainer.callback_metrics
        val = float(metrics.get("val_loss", math.nan))
        self.best = min(self.best, val)
        train = metrics.get("train_loss")
        elapsed = time.perf_counter() - self.start
        self.print_fn(
            f"epoch {trainer.current_epoch + 1}/{trainer.max_epochs}  "
            f"train_loss {float(train) if train is not None else math.nan:.4f}  val_loss {val:.4f}  "
            f"best {self.best:.4f}  {elapsed:.0f}s",
            flush=True,
        )
