"""Data layer of xlstm-ts: benchmark registry, download/cache, CSV reading, splits, scaling, windows.

Public names are imported lazily on first access, so ``import xlstm_ts.data`` stays cheap (no torch
or Lightning import until a name that needs them is used) and ``python -m xlstm_ts.data.registry``
runs without importing the registry twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xlstm_ts._lazy import lazy_exports

if TYPE_CHECKING:
    from xlstm_ts.data.config import DataConfig
    from xlstm_ts.data.datamodule import ForecastDataModule
    from xlstm_ts.data.download import (
        ENV_DATA_DIR,
        DatasetFile,
        DatasetIntegrityError,
        DatasetIntegrityWarning,
        DatasetNotFoundError,
        default_cache_dir,
        download_dataset,
        locate_dataset,
        resolve_dataset_path,
    )
    from xlstm_ts.data.frames import quality_report, read_benchmark
    from xlstm_ts.data.hashing import file_sha256
    from xlstm_ts.data.loading import SplitArrays, load_splits
    from xlstm_ts.data.quality import DataQualityReport, DataQualityWarning
    from xlstm_ts.data.registry import REGISTRY, DatasetSpec, SplitRule, dataset_names, get_spec
    from xlstm_ts.data.scaling import StandardScaler
    from xlstm_ts.data.splits import SplitName, split_borders, split_sizes
    from xlstm_ts.data.windows import FeatureMode, WindowDataset

_EXPORTS: dict[str, str] = {
    "DataConfig": "config",
    "ForecastDataModule": "datamodule",
    "ENV_DATA_DIR": "download",
    "DatasetFile": "download",
    "DatasetIntegrityError": "download",
    "DatasetIntegrityWarning": "download",
    "DatasetNotFoundError": "download",
    "default_cache_dir": "download",
    "download_dataset": "download",
    "locate_dataset": "download",
    "resolve_dataset_path": "download",
    "quality_report": "frames",
    "read_benchmark": "frames",
    "file_sha256": "hashing",
    "SplitArrays": "loading",
    "load_splits": "loading",
    "DataQualityReport": "quality",
    "DataQualityWarning": "quality",
    "REGISTRY": "registry",
    "DatasetSpec": "registry",
    "SplitRule": "registry",
    "dataset_names": "registry",
    "get_spec": "registry",
    "StandardScaler": "scaling",
    "SplitName": "splits",
    "split_borders": "splits",
    "split_sizes": "splits",
    "FeatureMode": "windows",
    "WindowDataset": "windows",
}

__all__ = [
    "ENV_DATA_DIR",
    "REGISTRY",
    "DataConfig",
    "DataQualityReport",
    "DataQualityWarning",
    "DatasetFile",
    "DatasetIntegrityError",
    "DatasetIntegrityWarning",
    "DatasetNotFoundError",
    "DatasetSpec",
    "FeatureMode",
    "ForecastDataModule",
    "SplitArrays",
    "SplitName",
    "SplitRule",
    "StandardScaler",
    "WindowDataset",
    "dataset_names",
    "default_cache_dir",
    "download_dataset",
    "file_sha256",
    "get_spec",
    "load_splits",
    "locate_dataset",
    "quality_report",
    "read_benchmark",
    "resolve_dataset_path",
    "split_borders",
    "split_sizes",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
