"""Deprecated: the run config moved to :mod:`xlstm_ts.pipeline.run_config` (``from xlstm_ts
import RunConfig``). This alias warns once and will be removed."""

from __future__ import annotations

import warnings

from xlstm_ts.pipeline.run_config import SECTIONS, RunConfig, apply_overrides, parse_value

warnings.warn(
    "xlstm_ts.training.run_config moved to xlstm_ts.pipeline.run_config (from xlstm_ts import RunConfig)",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["SECTIONS", "RunConfig", "apply_overrides", "parse_value"]
