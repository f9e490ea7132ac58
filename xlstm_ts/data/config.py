"""Configuration of the forecasting data pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xlstm_ts.data.registry import get_spec
from xlstm_ts.data.windows import FEATURE_MODES, FeatureMode


@dataclass(frozen=True)
class DataConfig:
    """Which benchmark to load and how to cut and batch it; validated on construction."""

    dataset: str
    """Registered dataset name, case-insensitive (e.g. ``"ETTh1"``, ``"weather"``)."""
    data_dir: str | None = None
    """Folder holding the CSV file (searched before ``$XLSTM_TS_DATA`` and the user cache); a Path is stored as str."""
    lookback: int = 336
    """Context length L in rows."""
    horizon: int = 96
    """Forecast length H in rows."""
    features: FeatureMode = "M"
    """``M`` all channels in/out, ``S`` target in/out, ``MS`` all in / target out."""
    target: str = "OT"
    """Target column for ``S`` and ``MS``."""
    batch_size: int = 64
    """Batch size of the training loader."""
    eval_batch_size: int = 256
    """Batch size of the validation, test and predict loaders."""
    num_workers: int = 0
    """DataLoader worker processes."""
    scale: bool = True
    """Standardise every channel with statistics of the training rows."""
    download: bool = True
    """Allow downloading the file into the user cache when no local copy exists."""
    allow_modified_data: bool = False
    """Use a local file whose SHA-256 differs from the registry (with a ``DatasetIntegrityWarning``)
    instead of refusing it with a ``DatasetIntegrityError``; a run records ``data_modified`` and the
    file's ``data_sha256`` in metrics.json. CLI: ``--allow-modified-data``."""

    def __post_init__(self) -> None:
        get_spec(self.dataset)  # raises ValueError listing the valid names
        if isinstance(self.data_dir, Path):
            object.__setattr__(self, "data_dir", str(self.data_dir))
        if self.data_dir is not None and not isinstance(self.data_dir, str):
            raise TypeError(f"data_dir must be a str, Path or None, got {type(self.data_dir).__name__}")
        for name in ("lookback", "horizon", "batch_size", "eval_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if isinstance(self.num_workers, bool) or not isinstance(self.num_workers, int) or self.num_workers < 0:
            raise ValueError(f"num_workers must be an integer >= 0, got {self.num_workers!r}")
        if not isinstance(self.allow_modified_data, bool):
            raise ValueError(f"allow_modified_data must be true or false, got {self.allow_modified_data!r}")
        if self.features not in FEATURE_MODES:
            raise ValueError(f"features must be one of {FEATURE_MODES}, got {self.features!r}")
        if not isinstance(self.target, str) or not self.target:
            raise ValueError(f"target must be a non-empty column name, got {self.target!r}")
