"""Pruning inside Lightning: report the per-epoch validation loss to Optuna, stop hopeless trials.

``optuna_integration.PyTorchLightningPruningCallback`` does work with ``lightning.pytorch``; this
small callback is used instead because it also stops a diverged run (a NaN or infinite validation
loss) as a *failure* with a reason, rather than as a pruned trial, and it needs no extra package.
Trials run in one process (no DDP), so no cross-rank synchronization is needed.
"""

from __future__ import annotations

import math

import lightning.pytorch as pl
import optuna

from xlstm_ts.training.callbacks import TrainingDiverged

__all__ = ["OptunaPruning", "TrainingDiverged"]


class OptunaPruning(pl.Callback):
    """Report ``monitor`` after every validation epoch; raise ``optuna.TrialPruned`` when the
    study's pruner says so, and :class:`TrainingDiverged` when the value is not finite.

    Args:
        trial: the running trial.
        monitor: a metric the LightningModule logs once per epoch (``val_loss``).
    """

    def __init__(self, trial: optuna.Trial, monitor: str = "val_loss") -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor
        self.reported: dict[int, float] = {}

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            raise KeyError(
                f"OptunaPruning: the module logs no {self.monitor!r}; logged: {sorted(trainer.callback_metrics)}"
            )
        epoch = trainer.current_epoch
        score = float(value)
        if epoch in self.reported:  # validation twice in one epoch (val_check_interval < 1)
            return
        self.reported[epoch] = score
        self.trial.report(score, step=epoch)
        if not math.isfinite(score):
            raise TrainingDiverged(f"{self.monitor} is {score} after epoch {epoch}: training diverged")
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {epoch} ({self.monitor}={score:.6g})")
