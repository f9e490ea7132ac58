"""Recompute the test metrics of a saved run directory (``xlstm-ts evaluate``).

The run is opened with :func:`~xlstm_ts.pipeline.run_dir.open_run`; its benchmark data is re-read
and scaled with the saved training statistics, and its network forecasts every test window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlstm_ts.pipeline.phase import phase_loader
from xlstm_ts.pipeline.run_dir import OpenedRun, open_run
from xlstm_ts.training.evaluate import error_metrics, predict_windows


def evaluate_run(
    run_dir: str | Path, data_dir: str | Path | None = None, *, allow_modified_data: bool = False
) -> tuple[OpenedRun, dict[str, Any]]:
    """The run directory read back and its test metrics recomputed from the saved network.

    Args:
        run_dir: a directory written by ``xlstm-ts fit``.
        data_dir: folder of the benchmark CSVs, if not where the run found them.
        allow_modified_data: use a benchmark file that differs from the registry
            (``--allow-modified-data``); the run's own config may already allow it.
    Returns:
        The opened run (its ``metrics`` are the saved metrics.json, to compare with) and the
        recomputed ``test_*`` metrics (scaled and in the data's units, as ``fit_run`` reports them).
    Raises:
        RunDirectoryError: ``run_dir`` has no config.yaml.
        DatasetIntegrityError: the benchmark file differs from the registry and modified data is not allowed.
    """
    run = open_run(run_dir)
    data = run.data(data_dir, allow_modified_data=allow_modified_data)
    prediction, target = predict_windows(run.network, phase_loader(data.test_dataloader(), run.network))
    metrics = error_metrics(prediction, target, data.scaler, run.description.get("output_channels"), prefix="test")
    return run, metrics
