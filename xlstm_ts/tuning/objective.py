"""The objective of a sweep trial: sample a run config, train it, return its best validation MSE.

Selection is on validation only: the value is ``metrics["val_mse"]`` of :func:`fit_run` (the MSE
of the best-validation weights on every validation window). Test metrics are never stored in a
trial; the best config is refit and tested once at the end (:mod:`xlstm_ts.tuning.sweep`).

Every trial records user attributes: ``worker`` (host, pid: see :mod:`.storage`), ``config`` (the
complete run config, the nested dict that ``RunConfig.from_dict`` reads), and when it completes
``val_mse``, ``epochs``, ``best_epoch``, ``train_seconds``, ``n_parameters``; a failed trial gets
``fail_reason`` (one line) and ``fail_traceback``.
"""

from __future__ import annotations

import math
import traceback
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import optuna

from xlstm_ts.pipeline.run_config import RunConfig, apply_overrides, parse_value
from xlstm_ts.tuning.pruning import OptunaPruning, TrainingDiverged, TrialTimeBudget
from xlstm_ts.tuning.spaces import DEFAULT_CONTEXT, SpaceContext, suggest_config
from xlstm_ts.tuning.storage import FAIL_REASON_KEY, WORKER_KEY, worker_identity


class SweepError(ValueError):
    """A sweep that cannot run as asked; the message says why (printed without a traceback)."""


def base_values(
    model: str,
    dataset: str,
    horizon: int,
    *,
    data_dir: str | None = None,
    max_epochs: int | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """The fixed settings of every trial (before sampling and ``--set`` overrides)."""
    from xlstm_ts.data.registry import get_spec

    spec = get_spec(dataset)
    data: dict[str, Any] = {"dataset": spec.name, "horizon": horizon, "lookback": spec.default_lookback}
    if data_dir is not None:
        data["data_dir"] = str(data_dir)
    train: dict[str, Any] = {}
    if max_epochs is not None:
        train["max_epochs"] = max_epochs
    if seed is not None:
        train["seed"] = seed
    return {"model": model, "data": data, "network": {}, "train": train}


def fixed_params(overrides: Sequence[str]) -> dict[str, Any]:
    """``--set`` overrides as {field name: value} (``data.lookback=48`` -> ``{"lookback": 48}``)."""
    fixed: dict[str, Any] = {}
    for item in overrides:
        if "=" not in item:
            raise SweepError(f"--set expects key=value, got {item!r}")
        key, _, raw = item.partition("=")
        fixed[key.strip().rpartition(".")[2]] = parse_value(raw.strip())
    return fixed


def overrides_for_model(model: str, overrides: Sequence[str], *, strict: bool) -> list[str]:
    """The ``--set`` items that apply to ``model``.

    ``MODEL.key=value`` (e.g. ``xlstm.embedding_dim=16``) applies to that model only. Other items
    apply to every model; with ``strict=False`` (sweeps over several models) an item naming a
    network setting this model lacks is skipped for it.
    """
    from xlstm_ts.models.registry import MODELS

    selected = []
    for item in overrides:
        key = item.partition("=")[0].strip()
        head, dot, rest = key.partition(".")
        if dot and head in MODELS:
            if head == model:
                selected.append(f"{rest}={item.partition('=')[2]}")
            continue
        if not strict:
            try:
                apply_overrides({"model": model, "data": {}, "network": {}, "train": {}}, [item])
            except ValueError:
                continue
        selected.append(item)
    return selected


def check_config(config: RunConfig) -> None:
    """Settings a sweep cannot use: multi-process (DDP) training."""
    train = config.train
    if str(train.strategy).startswith("ddp") or train.devices not in (1, "1"):
        raise SweepError(
            "a sweep trains every trial in one process (devices=1, no DDP); "
            "to use several devices, start one sweep worker per device instead"
        )


class SweepObjective:
    """``objective(trial) -> best validation MSE`` for one model.

    Args:
        model: registry name.
        base: the nested run-config dict of fixed settings (:func:`base_values`).
        overrides: ``--set key=value`` items already selected for this model; applied after
            sampling, and their fields are not searched.
        context: the dataset's scales for the search space.
        pruning: report ``val_loss`` per epoch and let the study's pruner stop the trial.
        progress: show Lightning's progress bar.
        trial_budget: seconds of training one trial may take; a trial projected over it is pruned
            early (:class:`~xlstm_ts.tuning.pruning.TrialTimeBudget`). None: no limit.
    """

    def __init__(
        self,
        model: str,
        base: Mapping[str, Any],
        overrides: Sequence[str] = (),
        context: SpaceContext = DEFAULT_CONTEXT,
        *,
        pruning: bool = True,
        progress: bool = False,
        trial_budget: float | None = None,
    ) -> None:
        self.model = model
        self.base = dict(base)
        self.overrides = list(overrides)
        self.fixed = fixed_params(self.overrides)
        self.context = context
        self.pruning = pruning
        self.progress = progress
        self.trial_budget = trial_budget

    def trial_config(self, trial: Any) -> RunConfig:
        """The run config of ``trial`` (samples its parameters); ValueError if invalid."""
        values = suggest_config(self.model, trial, self.base, self.context, self.fixed)
        values = apply_overrides(values, self.overrides)
        config = RunConfig.from_dict(values)
        check_config(config)
        return config

    def __call__(self, trial: optuna.Trial) -> float:
        from xlstm_ts.pipeline.fit import fit_run

        trial.set_user_attr(WORKER_KEY, worker_identity())
        try:
            config = self.trial_config(trial)
            trial.set_user_attr("config", config.to_dict())
            callbacks: list[Any] = [OptunaPruning(trial, "val_loss")] if self.pruning else []
            if self.trial_budget is not None:
                callbacks.append(TrialTimeBudget(trial, self.trial_budget))
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=DeprecationWarning)
                warnings.filterwarnings("ignore", message=".*LeafSpec.*")
                result = fit_run(config, None, progress=self.progress, callbacks=callbacks, quiet=True)
            assert result is not None  # single process
            value = float(result.metrics["val_mse"])
            if not math.isfinite(value):
                raise TrainingDiverged(f"validation MSE is {value}: training diverged")
        except optuna.TrialPruned:
            raise
        except KeyboardInterrupt:
            _record_failure(trial, "interrupted (SIGINT/SIGTERM) while running")
            raise
        except SystemExit as exit_:
            # Lightning turns a KeyboardInterrupt inside trainer.fit into sys.exit(1); Optuna would
            # leave the trial RUNNING on SystemExit, so hand it a KeyboardInterrupt (-> FAIL)
            _record_failure(trial, f"interrupted (SIGINT/SIGTERM) while running (exit {exit_.code})")
            raise KeyboardInterrupt("interrupted") from exit_
        except Exception as err:
            _record_failure(trial, f"{type(err).__name__}: {err}", traceback.format_exc())
            raise
        metrics = result.metrics
        trial.set_user_attr("val_mse", value)
        for key in ("epochs", "best_epoch", "train_seconds", "n_parameters"):
            if key in metrics:
                trial.set_user_attr(key, metrics[key])
        return value


def _record_failure(trial: optuna.Trial, reason: str, trace: str | None = None) -> None:
    first = reason.strip().splitlines()[0] if reason.strip() else "unknown error"
    try:
        trial.set_user_attr(FAIL_REASON_KEY, first[:500])
        if trace:
            trial.set_user_attr("fail_traceback", trace[-4000:])
    except Exception:  # the storage itself failed: optuna still records the FAIL state
        pass
