"""Optuna sweeps: tune xLSTM's mLSTM:sLSTM ratio (and the rest) against baselines, reproducibly,
from one laptop process to many machines sharing a database.

* :mod:`.spaces`: search spaces, ``space(trial, context) -> config dict`` per model.
* :mod:`.objective`: a trial = sample a run config, ``fit_run`` it, return its best validation MSE.
* :mod:`.pruning`: the Lightning callback reporting ``val_loss`` per epoch to the pruner.
* :mod:`.storage`: storage URLs, heartbeats (dead workers' trials fail), the exact-budget lock.
* :mod:`.sweep`: the worker loop, the refit of the best config.
* :mod:`.report`: comparison table, ratio effect, Optuna plots.

The ``xlstm-ts sweep`` / ``xlstm-ts sweep-report`` subcommands are in :mod:`xlstm_ts.cli.sweep`.

See docs/sweeps.md.
"""

from __future__ import annotations


from xlstm_ts._lazy import lazy_exports

# imported on first use, so that `import xlstm_ts.tuning` stays fast (no torch import)
_LAZY = {
    "SweepError": "objective", "SweepObjective": "objective", "base_values": "objective",
    "OptunaPruning": "pruning", "TrainingDiverged": "pruning",
    "RATIOS": "spaces", "SPACES": "spaces", "SpaceContext": "spaces", "get_space": "spaces",
    "space_parameters": "spaces", "suggest_config": "spaces",
    "StorageError": "storage", "open_storage": "storage", "parse_storage_url": "storage",
    "StudyOutcome": "sweep", "SweepSettings": "sweep", "run_sweep": "sweep",
    "format_report": "report", "write_report": "report",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [*_LAZY]
