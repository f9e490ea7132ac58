"""Optuna sweep of ``XLSTMForecaster`` on the user's own frame (``xlstm-ts sweep --data FILE``).

Each trial fits the estimator's network (``model="xlstm"``, no refit) with sampled parameters and
scores it by ``fit_info_["best_val_loss"]``: the loss on the last part of every series that the
estimator holds out for validation (the same held-out steps in every trial, since the split does
not depend on the sampled parameters). Nothing after the data is used, so the choice is made on
validation only. The caller then fits the best parameters the usual way (model choice against the
simple forecasts, refit on every row).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

FILE_SPACE_PARAMETERS = ("ratio", "embedding_dim", "num_blocks", "learning_rate", "dropout", "lookback")
"""The estimator parameters a file sweep searches (``lookback`` only when the caller left it free)."""
RATIOS = ("1:0", "3:1", "1:1", "1:3", "0:1")
"""mLSTM:sLSTM ratios of the search space (1:0 all mLSTM, 0:1 all sLSTM)."""


@dataclass(frozen=True)
class FileSweepResult:
    """What a file sweep found."""

    study: optuna.Study
    """The study (every trial, with ``seconds`` as a user attribute)."""
    best_params: dict[str, Any]
    """The sampled parameters of the best trial (estimator parameter names)."""
    best_value: float
    """Its validation loss (the estimator's ``loss``, scaled units)."""


def file_space(trial: optuna.Trial, horizon: int, search_lookback: bool) -> dict[str, Any]:
    """Sample one trial's estimator parameters."""
    params: dict[str, Any] = {
        "ratio": trial.suggest_categorical("ratio", list(RATIOS)),
        "embedding_dim": trial.suggest_categorical("embedding_dim", [8, 16, 32, 64]),
        "num_blocks": trial.suggest_int("num_blocks", 1, 3),
        "learning_rate": trial.suggest_float("learning_rate", 3e-4, 1e-2, log=True),
        "dropout": trial.suggest_categorical("dropout", [0.0, 0.1, 0.2, 0.3]),
    }
    if search_lookback:
        multiple = trial.suggest_categorical("lookback_horizons", [2, 4, 8])
        params["lookback"] = int(multiple * horizon)
    return params


def run_file_sweep(
    frame: Any,
    base_params: Mapping[str, Any],
    *,
    trials: int,
    seed: int | None = None,
    storage: str | Path | None = None,
    study_name: str = "file-sweep",
    timeout: float | None = None,
    log: Callable[[str], None] = print,
) -> FileSweepResult:
    """Tune the network's parameters on ``frame``'s validation part.

    Args:
        frame: the training frame (as ``XLSTMForecaster.fit`` takes it).
        base_params: fixed estimator parameters of every trial (columns, horizon, epochs, ...);
            ``lookback`` fixed there is not searched.
        trials: trials of this call (a study continued from ``storage`` keeps its earlier ones).
        seed: sampler seed and every trial's ``random_state`` (default 0).
        storage: an Optuna journal file shared by workers (None: in memory).
        study_name: the study's name in ``storage``.
        timeout: seconds after which no new trial starts.
        log: where one line per trial goes.

    Raises:
        ValueError: no trial finished (the first failure's message is given).
    """
    from xlstm_ts.forecasting.estimator import XLSTMForecaster

    if trials < 1:
        raise ValueError(f"trials must be >= 1; got {trials}")
    seed = 0 if seed is None else int(seed)
    horizon = int(base_params.get("horizon", XLSTMForecaster().horizon))
    search_lookback = base_params.get("lookback") is None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    backend = None
    if storage is not None:
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        Path(storage).parent.mkdir(parents=True, exist_ok=True)
        backend = JournalStorage(JournalFileBackend(str(storage)))
    study = optuna.create_study(study_name=study_name, storage=backend, direction="minimize", load_if_exists=True,
                                sampler=optuna.samplers.TPESampler(seed=seed))
    failures: list[str] = []

    def objective(trial: optuna.Trial) -> float:
        sampled = file_space(trial, horizon, search_lookback)
        params = {**base_params, **sampled, "model": "xlstm", "refit": False, "verbose": 0, "random_state": seed}
        start = time.perf_counter()
        try:
            model = XLSTMForecaster(**params).fit(frame)
        except ValueError as err:  # a sampled setting the data cannot take (e.g. a lookback too long)
            failures.append(str(err))
            trial.set_user_attr("error", str(err))
            raise optuna.TrialPruned(str(err)) from None
        seconds = time.perf_counter() - start
        value = float(model.fit_info_["best_val_loss"])
        trial.set_user_attr("seconds", round(seconds, 2))
        trial.set_user_attr("epochs", model.fit_info_.get("epochs"))
        shown = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in sampled.items())
        log(f"trial {trial.number}: validation loss {value:.5g} in {seconds:.1f}s ({shown})")
        return value if math.isfinite(value) else float("inf")

    study.optimize(objective, n_trials=trials, timeout=timeout)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE and math.isfinite(t.value)]
    if not complete:
        reason = failures[0] if failures else "no trial finished"
        raise ValueError(f"the sweep found no working setting: {reason}")
    best = min(complete, key=lambda t: t.value)
    params = dict(best.params)
    if "lookback_horizons" in params:
        params["lookback"] = int(params.pop("lookback_horizons") * horizon)
    return FileSweepResult(study, params, float(best.value))
