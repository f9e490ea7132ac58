"""Benchmark runs: the run config, :func:`fit_run` (data -> the training core -> metrics), the
run directories (:mod:`~xlstm_ts.pipeline.run_dir`: written and opened in one place), evaluation
and plots of a saved run.

Modules: ``run_config`` (RunConfig, YAML, ``--set`` overrides), ``fit`` (build_run, fit_run),
``run_dir`` (write_run, open_run), ``evaluate`` (recompute a run's test metrics), ``predict``
(forecast after the end of a frame with a saved run), ``plots`` (the last test window of a run).

Names are imported lazily, so ``import xlstm_ts.pipeline.run_config`` does not load Lightning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xlstm_ts._lazy import lazy_exports

if TYPE_CHECKING:
    from xlstm_ts.pipeline.evaluate import evaluate_run
    from xlstm_ts.pipeline.fit import FitResult, build_run, fit_run
    from xlstm_ts.pipeline.plots import plot_run
    from xlstm_ts.pipeline.predict import predict_run
    from xlstm_ts.pipeline.run_config import RunConfig, apply_overrides
    from xlstm_ts.pipeline.run_dir import OpenedRun, default_output_dir, open_run, write_run

_EXPORTS = {
    "evaluate_run": "xlstm_ts.pipeline.evaluate",
    "plot_run": "xlstm_ts.pipeline.plots",
    "predict_run": "xlstm_ts.pipeline.predict",
    "FitResult": "xlstm_ts.pipeline.fit",
    "build_run": "xlstm_ts.pipeline.fit",
    "fit_run": "xlstm_ts.pipeline.fit",
    "RunConfig": "xlstm_ts.pipeline.run_config",
    "apply_overrides": "xlstm_ts.pipeline.run_config",
    "OpenedRun": "xlstm_ts.pipeline.run_dir",
    "default_output_dir": "xlstm_ts.pipeline.run_dir",
    "open_run": "xlstm_ts.pipeline.run_dir",
    "write_run": "xlstm_ts.pipeline.run_dir",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
