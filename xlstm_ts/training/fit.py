"""Deprecated: benchmark runs moved to :mod:`xlstm_ts.pipeline.fit` (``from xlstm_ts.pipeline
import fit_run``). This alias warns once and will be removed."""

from __future__ import annotations

import warnings

from xlstm_ts.pipeline.fit import FitResult, build_run, fit_run
from xlstm_ts.pipeline.run_dir import default_output_dir, write_run

warnings.warn(
    "xlstm_ts.training.fit moved to xlstm_ts.pipeline.fit (from xlstm_ts.pipeline import fit_run)",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["FitResult", "build_run", "fit_run", "default_output_dir", "write_run"]
