"""Pruning inside Lightning: report the per-epoch validation loss to Optuna, stop hopeless trials.

``optuna_integration.PyTorchLightningPruningCallback`` does work with ``lightning.pytorch``; this
small callback is used instead because it also stops a diverged run (a NaN or infinite validation
loss) as a *failure* with a reason, rather than as a pruned trial, and it needs no extra package.
Trials run in one process (no DDP), so no cross-rank synchronization is needed.
"""

from __future__ import annotations

import math
import time

import lightning.pytorch as pl
import optuna

from xlstm_ts.training.callbacks import TrainingDiverged

__all__ = ["OptunaPruning", "TrialTimeBudget", "TrainingDiverged", "TIME_PRUNED_KEY"]

TIME_PRUNED_KEY = "pruned_for_time"
"""User attribute of a trial stopped by :class:`TrialTimeBudget`: its projected and elapsed seconds."""


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


class TrialTimeBudget(pl.Callback):
    """Prune a trial that cannot finish its training inside ``seconds``.

    After ``check_batches`` training batches (and at every batch after them) the seconds the
    whole run would take at the rate so far -- batches per epoch x ``max_epochs``, validation
    not counted, every epoch assumed to run (early stopping may end it sooner) -- are compared
    with the budget; a trial over it, or one whose elapsed training time alone passes it, raises
    ``optuna.TrialPruned`` and records ``{"projected_s", "elapsed_s", "budget_s"}`` under
    :data:`TIME_PRUNED_KEY`.

    Args:
        trial: the running trial.
        seconds: the budget of one trial's training (> 0).
        check_batches: batches timed before the first projection (>= 1).
    """

    def __init__(self, trial: optuna.Trial, seconds: float, check_batches: int = 10) -> None:
        super().__init__()
        if not seconds > 0 or check_batches < 1:
            raise ValueError(f"seconds must be > 0 and check_batches >= 1; got {seconds!r}, {check_batches!r}")
        self.trial = trial
        self.seconds = float(seconds)
        self.check_batches = int(check_batches)
        self.batches = 0
        self.training_seconds = 0.0
        self._batch_start: float | None = None

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: object,
                             batch_idx: int) -> None:
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: object,
                           batch: object, batch_idx: int) -> None:
        if self._batch_start is None:
            return
        self.training_seconds += time.perf_counter() - self._batch_start
        self.batches += 1
        if self.batches < self.check_batches and self.training_seconds <= self.seconds:
            return
        per_epoch = trainer.num_training_batches
        epochs = trainer.max_epochs if trainer.max_epochs is not None and trainer.max_epochs > 0 else 1
        total = per_epoch * epochs if math.isfinite(per_epoch) else self.batches
        projected = self.training_seconds / self.batches * max(total, self.batches)
        if projected > self.seconds or self.training_seconds > self.seconds:
            self.trial.set_user_attr(TIME_PRUNED_KEY, {
                "projected_s": round(projected, 1), "elapsed_s": round(self.training_seconds, 1),
                "budget_s": self.seconds,
            })
            raise optuna.TrialPruned(
                f"pruned for time: its training would take about {projected:.0f} s "
                f"({self.batches} batches in {self.training_seconds:.1f} s), over the trial budget of {self.seconds:.0f} s"
            )
