"""A sweep worker: optimize one study per model until its trial budget is spent, then refit the best.

Any number of workers (processes, machines) may run :func:`run_sweep` with the same storage and
study name: each asks the next trial only while the study holds fewer than ``trials`` trials (any
state: running, complete, pruned or failed), counting and asking under :func:`.storage.budget_lock`,
so between them they run exactly ``trials`` trials, none twice. Trials of dead workers are failed
by the heartbeat (:mod:`.storage`). Rerunning the same command continues a study; a larger
``--trials`` extends it.

When a worker finds every trial of the budget finished, it claims the refit (under the same lock:
one worker does it): the best trial's config is written to ``<output-dir>/<study>/best.yaml``
(loadable by ``xlstm-ts fit --config``), trained again from scratch without pruning into
``<output-dir>/<study>/refit/`` (a run directory), and its test metrics are stored in the study's
user attribute ``refit`` for ``xlstm-ts sweep-report``.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.exceptions import ExperimentalWarning, UpdateFinishedTrialError
from optuna.samplers import BaseSampler, TPESampler
from optuna.trial import FrozenTrial, TrialState

from xlstm_ts.benchmark.records import write_text_atomic
from xlstm_ts.tuning.objective import SweepError, SweepObjective, base_values, overrides_for_model
from xlstm_ts.tuning.spaces import SpaceContext, ProbeTrial, space_parameters
from xlstm_ts.tuning.storage import (
    DEFAULT_GRACE_PERIOD,
    DEFAULT_HEARTBEAT_INTERVAL,
    FAIL_REASON_KEY,
    BudgetLock,
    budget_lock,
    local_workers,
    open_storage,
    pid_alive,
    usable_cores,
    worker_identity,
)

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
SETTINGS_KEY = "xlstm_ts"
"""Study user attribute: model, dataset, horizon of the study (checked when a worker joins)."""
REFIT_KEY = "refit"
CLAIM_KEY = "refit_claim"
MAX_CONSECUTIVE_FAILURES = 5


@dataclass
class SweepSettings:
    """One ``xlstm-ts sweep`` invocation."""

    dataset: str
    horizon: int | None = None
    """Forecast length (default: the dataset's first benchmark horizon)."""
    models: tuple[str, ...] = ("xlstm",)
    trials: int = 50
    """Trial budget per study (total across all workers)."""
    study_name: str | None = None
    """Study name; with several models each gets ``<name>-<model>`` (default ``<dataset>-h<horizon>``)."""
    storage: str | None = None
    """Storage URL (default: the journal file ``<output_dir>/<study_name>.journal``)."""
    output_dir: str | Path = "sweeps"
    max_epochs: int | None = None
    timeout: float | None = None
    """Seconds after which this worker starts no new trial."""
    seed: int | None = None
    """Training seed of every trial and seed of the sampler (default: TrainConfig's, 2021)."""
    data_dir: str | None = None
    overrides: tuple[str, ...] = ()
    """``--set key=value`` fixed settings (``MODEL.key=value`` for one model only)."""
    pruner: str = "median"
    """"median" or "none"."""
    pruner_startup_trials: int = 5
    pruner_warmup_epochs: int = 1
    trial_budget: float | None = None
    """Seconds of training one trial may take; a trial projected over it is pruned early (None: no limit)."""
    heartbeat_interval: int = DEFAULT_HEARTBEAT_INTERVAL
    grace_period: int = DEFAULT_GRACE_PERIOD
    refit: bool = True
    force_refit: bool = False
    progress: bool = False
    threads: int | None = None
    """Torch CPU threads of each trial in this worker; None: this machine's usable cores divided by
    the sweep workers running trials on it when the trial starts (at least 1), so two workers on
    two cores run one thread each instead of fighting over both."""
    log: Callable[[str], None] = field(default=lambda text: print(text, flush=True))

    def group_name(self) -> str:
        return self.study_name or (
            f"{self.dataset}-h{self.horizon}" + (f"-{self.models[0]}" if len(self.models) == 1 else "")
        )

    def study_names(self) -> dict[str, str]:
        """Model -> study name."""
        name = self.group_name()
        if len(self.models) == 1:
            return {self.models[0]: name}
        return {model: f"{name}-{model}" for model in self.models}

    def storage_url(self) -> str:
        return self.storage or str(Path(self.output_dir) / f"{self.group_name()}.journal")


@dataclass
class StudyOutcome:
    """What one worker did for one model."""

    model: str
    study_name: str
    trials_run: int
    finished: bool
    refit: dict[str, Any] | None = None
    best_yaml: Path | None = None


# --------------------------------------------------------------------------- sampler / pruner
class TrialSeededSampler(BaseSampler):
    """TPE whose random state is reset at every trial from ``(seed, trial number)``.

    A single worker reproduces the same sequence of trials for the same seed; several workers
    sampling in parallel get different random states (their trial numbers differ) instead of all
    drawing the same start-up configurations.
    """

    def __init__(self, seed: int | None, **tpe_kwargs: Any) -> None:
        self.seed = seed
        self.tpe_kwargs = tpe_kwargs
        self._sampler = self._make(seed)

    def _make(self, seed: int | None) -> TPESampler:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            return TPESampler(seed=seed, **self.tpe_kwargs)

    def reseed_rng(self) -> None:
        self._sampler.reseed_rng()

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if self.seed is not None:
            self._sampler = self._make((self.seed * 1_000_003 + trial.number) % (2**32))
        self._sampler.before_trial(study, trial)

    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, Any]:
        return self._sampler.infer_relative_search_space(study, trial)

    def sample_relative(self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, Any]) -> dict[str, Any]:
        return self._sampler.sample_relative(study, trial, search_space)

    def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str, param_distribution: Any) -> Any:
        return self._sampler.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study: optuna.Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None) -> None:
        self._sampler.after_trial(study, trial, state, values)


def make_sampler(seed: int | None, budget: int) -> BaseSampler:
    """Multivariate, grouped TPE with the constant liar (parallel workers), seeded per trial."""
    return TrialSeededSampler(
        seed, multivariate=True, group=True, constant_liar=True, n_startup_trials=min(10, max(1, budget // 3))
    )


def make_pruner(kind: str, startup_trials: int, warmup_epochs: int) -> optuna.pruners.BasePruner:
    """The median pruner on per-epoch val_loss, or none."""
    if kind == "none":
        return optuna.pruners.NopPruner()
    if kind != "median":
        raise SweepError(f"pruner must be 'median' or 'none'; got {kind!r}")
    return optuna.pruners.MedianPruner(n_startup_trials=startup_trials, n_warmup_steps=warmup_epochs)


# --------------------------------------------------------------------------- the loop
def optimize_budget(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], float],
    budget: int,
    lock: BudgetLock,
    *,
    deadline: float | None = None,
    callbacks: Sequence[Callable[[optuna.Study, FrozenTrial], None]] = (),
    log: Callable[[str], None] = print,
    before_trial: Callable[[], None] | None = None,
) -> int:
    """Run trials until the study holds ``budget`` trials (all workers together) or ``deadline``
    (``time.monotonic()``) passes; returns the number this worker ran.

    The lock is held from counting the trials to asking the next one (the objective releases it
    first thing), so concurrent workers never overshoot the budget. ``before_trial`` runs after
    the lock is released, before the objective (here: the trial's thread count).
    """
    ran = failures = 0
    finished: list[FrozenTrial] = []
    all_callbacks = [*callbacks, lambda study, trial: finished.append(trial)]
    while deadline is None or time.monotonic() < deadline:
        lock.acquire()
        try:
            if len(study.get_trials(deepcopy=False)) >= budget:
                break

            def locked(trial: optuna.Trial) -> float:
                lock.release()
                if before_trial is not None:
                    before_trial()
                return objective(trial)

            try:
                study.optimize(locked, n_trials=1, catch=(Exception,), callbacks=all_callbacks, gc_after_trial=True)
            except UpdateFinishedTrialError as err:
                log(f"  a trial of this worker was failed by another worker as stale: {err}")
        finally:
            lock.release()
        ran += 1
        failures = failures + 1 if finished and finished[-1].state == TrialState.FAIL else 0
        if failures >= MAX_CONSECUTIVE_FAILURES:
            reason = finished[-1].user_attrs.get(FAIL_REASON_KEY, "see the trials' fail_reason")
            raise SweepError(f"{failures} trials in a row failed in this worker; last reason: {reason}")
    return ran


def trial_threads(threads: int | None, storage: Any) -> int:
    """The torch threads of the next trial: ``threads`` when given, else the usable cores divided
    by the sweep workers running trials on this machine now (this one included), at least 1."""
    if threads is not None:
        return threads
    return max(1, usable_cores() // local_workers(storage))


def set_trial_threads(threads: int | None, storage: Any, log: Callable[[str], None]) -> None:
    """Set torch's intra-op threads for the next trial (see :func:`trial_threads`); logs a change."""
    import torch

    wanted = trial_threads(threads, storage)
    if torch.get_num_threads() != wanted:
        log(f"  torch threads {torch.get_num_threads()} -> {wanted}"
            + ("" if threads is not None else " (cores shared by the sweep workers on this machine)"))
        torch.set_num_threads(wanted)


def trial_logger(study_name: str, budget: int, log: Callable[[str], None]) -> Callable[[optuna.Study, FrozenTrial], None]:
    """An optimize callback printing one line per finished trial."""

    def callback(study: optuna.Study, trial: FrozenTrial) -> None:
        seconds = (trial.duration.total_seconds() if trial.duration else 0.0)
        if trial.state == TrialState.COMPLETE:
            what = f"val_mse {trial.value:.6g}"
        elif trial.state == TrialState.PRUNED:
            what = f"pruned after epoch {trial.last_step}"
        else:
            what = f"failed: {trial.user_attrs.get(FAIL_REASON_KEY, trial.system_attrs.get('fail_reason', '?'))}"
        try:
            best = f"best {study.best_value:.6g} (#{study.best_trial.number})"
        except ValueError:
            best = "no complete trial yet"
        count = len(study.get_trials(deepcopy=False, states=FINISHED))
        log(f"[{study_name}] trial {trial.number} {trial.state.name.lower()}: {what} ({seconds:.1f} s) | {best} | {count}/{budget} done")

    return callback


# --------------------------------------------------------------------------- studies
def load_study(storage: Any, name: str, settings: SweepSettings, model: str, budget: int) -> optuna.Study:
    """Create or join the study ``name``; SweepError if it belongs to another model/dataset/horizon."""
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        direction="minimize",
        load_if_exists=True,
        sampler=make_sampler(settings.seed, budget),
        pruner=make_pruner(settings.pruner, settings.pruner_startup_trials, settings.pruner_warmup_epochs),
    )
    if study.direction != optuna.study.StudyDirection.MINIMIZE:
        raise SweepError(f"study {name!r} exists and maximizes; sweeps minimize the validation MSE")
    mine = {"model": model, "dataset": settings.dataset, "horizon": settings.horizon}
    existing = study.user_attrs.get(SETTINGS_KEY)
    if existing is None:
        study.set_user_attr(SETTINGS_KEY, {**mine, "budget": budget, "overrides": list(settings.overrides)})
    else:
        clash = {k: (existing.get(k), v) for k, v in mine.items() if existing.get(k) != v}
        if clash:
            detail = ", ".join(f"{k}={a!r} (asked: {b!r})" for k, (a, b) in clash.items())
            raise SweepError(f"study {name!r} in this storage belongs to another sweep: {detail}; choose another --study-name")
        if existing.get("budget") != budget:
            study.set_user_attr(SETTINGS_KEY, {**existing, "budget": budget})
    return study


def preflight(objective: SweepObjective) -> None:
    """Fail before any trial when the data is missing or the fixed settings are invalid."""
    from xlstm_ts.data.datamodule import ForecastDataModule

    try:
        config = objective.trial_config(ProbeTrial())
    except SweepError:
        raise
    except ValueError as err:
        raise SweepError(f"the fixed settings are invalid for {objective.model}: {err}") from None
    ForecastDataModule(config.data).prepare_data()


def fail_stale(study: optuna.Study) -> None:
    """Fail the study's trials whose workers are dead (Optuna's call, without its warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


# --------------------------------------------------------------------------- refit
def _claim_is_live(claim: Any) -> bool:
    from xlstm_ts.tuning.storage import machine_id

    if not isinstance(claim, dict):
        return False
    worker = claim.get("worker") or {}
    if worker.get("machine") == machine_id() and isinstance(worker.get("pid"), int):
        return pid_alive(worker["pid"], worker.get("pid_start"))
    return True  # another machine: trust it (use --force-refit to override)


def claim_refit(study: optuna.Study, lock: BudgetLock, *, force: bool = False) -> FrozenTrial | None:
    """Under the lock: the best trial to refit if the budget is all finished and nobody did or is
    doing its refit (or ``force``); marks the claim. None otherwise."""
    with lock:
        trials = study.get_trials(deepcopy=False)
        if any(t.state in (TrialState.RUNNING, TrialState.WAITING) for t in trials):
            return None
        try:
            best = study.best_trial
        except ValueError:
            return None
        done = study.user_attrs.get(REFIT_KEY)
        if not force and isinstance(done, dict) and done.get("trial") == best.number:
            return None
        claim = study.user_attrs.get(CLAIM_KEY)
        if not force and isinstance(claim, dict) and claim.get("trial") == best.number and _claim_is_live(claim):
            return None
        study.set_user_attr(CLAIM_KEY, {"trial": best.number, "worker": worker_identity(), "time": time.time()})
        return best


def refit_best(study: optuna.Study, best: FrozenTrial, out_dir: Path, *, data_dir: str | None = None,
               progress: bool = False) -> tuple[dict[str, Any], Path]:
    """Write best.yaml, retrain the best config into ``out_dir/refit``, store and return its metrics."""
    from xlstm_ts.pipeline.fit import fit_run
    from xlstm_ts.pipeline.run_config import RunConfig

    values = best.user_attrs["config"]
    if data_dir is not None:
        values = {**values, "data": {**values["data"], "data_dir": str(data_dir)}}
    config = RunConfig.from_dict(values)
    out_dir.mkdir(parents=True, exist_ok=True)
    best_yaml = out_dir / "best.yaml"
    partial = out_dir / f".best.yaml.{os.getpid()}.tmp"  # a worker killed while writing leaves no half best.yaml
    config.to_yaml(partial)
    os.replace(partial, best_yaml)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")
        result = fit_run(config, out_dir / "refit", progress=progress, quiet=True)
    assert result is not None
    metrics = result.metrics
    keep = ("val_mse", "test_mse", "test_mae", "test_mse_original", "test_mae_original", "test_windows",
            "epochs", "best_epoch", "train_seconds", "n_parameters")
    refit = {"trial": best.number, "trial_val_mse": best.value, "config": config.to_dict(),
             "output_dir": str(out_dir / "refit"), "host": worker_identity()["host"]}
    refit.update({k: _plain(metrics[k]) for k in keep if k in metrics})
    # summary.json first (atomically), the study's "refit" last: a worker killed in between leaves the
    # refit unrecorded, so the next run does it again, rather than a recorded refit without its summary
    write_text_atomic(out_dir / "summary.json", json.dumps(
        {"study": study.study_name, "best_trial": best.number, "best_params": best.params, **refit}, indent=2) + "\n")
    study.set_user_attr(REFIT_KEY, refit)
    return refit, best_yaml


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --------------------------------------------------------------------------- driver
def run_sweep(settings: SweepSettings) -> list[StudyOutcome]:
    """Run this worker's share of every model's study, then refit where the budget is done."""
    from xlstm_ts.data.registry import get_spec
    from xlstm_ts.models.registry import MODELS

    if settings.trials < 1:
        raise SweepError(f"--trials must be >= 1; got {settings.trials}")
    unknown = [m for m in settings.models if m not in MODELS]
    if unknown:
        raise SweepError(f"unknown model(s) {unknown}; valid: {sorted(MODELS)} or 'all'")
    spec = get_spec(settings.dataset)
    settings.dataset = spec.name
    if settings.horizon is None:
        settings.horizon = spec.horizons[0]
    if settings.timeout is not None and settings.timeout <= 0:
        raise SweepError(f"--timeout must be > 0 seconds; got {settings.timeout}")
    if settings.threads is not None and settings.threads < 1:
        raise SweepError(f"--threads must be >= 1; got {settings.threads}")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    context = SpaceContext.for_dataset(spec.name, settings.horizon)
    storage, storage_spec = open_storage(settings.storage_url(), heartbeat_interval=settings.heartbeat_interval,
                                         grace_period=settings.grace_period)
    deadline = time.monotonic() + settings.timeout if settings.timeout else None
    log = settings.log
    log(f"storage {storage_spec.display} ({storage_spec.kind}); worker {worker_identity()['host']}:{os.getpid()}")
    strict = len(settings.models) == 1
    objectives = {}
    for model in settings.models:
        base = base_values(model, spec.name, settings.horizon, data_dir=settings.data_dir,
                           max_epochs=settings.max_epochs, seed=settings.seed)
        overrides = overrides_for_model(model, settings.overrides, strict=strict)
        objectives[model] = SweepObjective(model, base, overrides, context, pruning=settings.pruner != "none",
                                           progress=settings.progress, trial_budget=settings.trial_budget)
        preflight(objectives[model])
    outcomes = []
    for model, name in settings.study_names().items():
        objective = objectives[model]
        searched = [p for p in space_parameters(model, context) if p not in objective.fixed]
        budget = settings.trials if searched else 1
        study = load_study(storage, name, settings, model, budget)
        lock = budget_lock(storage, storage_spec, name)
        note = "" if searched else " (nothing to search: one trial)"
        log(f"[{name}] {model} on {spec.name} h={settings.horizon}: budget {budget} trials{note}, "
            f"{len(study.get_trials(deepcopy=False))} in the study")
        ran = optimize_budget(study, objective, budget, lock, deadline=deadline,
                              callbacks=[trial_logger(name, budget, log)], log=log,
                              before_trial=lambda: set_trial_threads(settings.threads, storage, log))
        fail_stale(study)
        outcome = StudyOutcome(model, name, ran, finished=False)
        trials = study.get_trials(deepcopy=False)
        outcome.finished = len(trials) >= budget and all(t.state in FINISHED for t in trials)
        if settings.refit and outcome.finished:
            best = claim_refit(study, lock, force=settings.force_refit)
            if best is not None:
                log(f"[{name}] refitting the best trial #{best.number} (val_mse {best.value:.6g}) and testing it")
                try:
                    outcome.refit, outcome.best_yaml = refit_best(
                        study, best, Path(settings.output_dir) / name, data_dir=settings.data_dir,
                        progress=settings.progress)
                except Exception as err:  # the trials are safe in the storage; rerun to retry the refit
                    log(f"[{name}] the refit failed ({type(err).__name__}: {err}); rerun the command to retry it")
                    study.set_user_attr(CLAIM_KEY, None)
                else:
                    log(f"[{name}] best config: {outcome.best_yaml}; test_mse {outcome.refit.get('test_mse'):.6g}")
            elif not any(t.state == TrialState.COMPLETE for t in trials):
                log(f"[{name}] no trial completed: nothing to refit")
        elif not outcome.finished:
            running = sum(t.state == TrialState.RUNNING for t in trials)
            why = "timeout reached" if deadline and time.monotonic() >= deadline else f"{running} trial(s) still running in other workers"
            log(f"[{name}] stopping: {why}; the last worker to finish refits the best config")
        outcomes.append(outcome)
        if deadline and time.monotonic() >= deadline:
            break
    return outcomes


class _Terminated(KeyboardInterrupt):
    pass


def install_sigterm() -> Callable[[], None]:
    """SIGTERM -> KeyboardInterrupt, so a terminated worker marks its trial failed; returns undo."""
    if sys.platform == "win32":
        return lambda: None
    try:
        previous = signal.getsignal(signal.SIGTERM)

        def handler(signum: int, frame: Any) -> None:
            raise _Terminated("terminated (SIGTERM)")

        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        return lambda: None
    return lambda: signal.signal(signal.SIGTERM, previous)
