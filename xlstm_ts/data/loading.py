"""Load a benchmark as scaled train/val/test arrays, without Lightning."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from xlstm_ts.data.config import DataConfig
from xlstm_ts.data.download import resolve_dataset_path
from xlstm_ts.data.frames import read_benchmark
from xlstm_ts.data.registry import get_spec
from xlstm_ts.data.scaling import StandardScaler
from xlstm_ts.data.splits import SplitName, split_borders


class SplitArrays(NamedTuple):
    """Float32 arrays of each split's rows (all channels, file order) and the scaler that produced them."""

    train: np.ndarray
    """(n_train, C) training rows."""
    val: np.ndarray
    """(L + n_val, C) validation rows, starting with L rows of context."""
    test: np.ndarray
    """(L + n_test, C) test rows, starting with L rows of context."""
    scaler: StandardScaler | None
    """Scaler fitted on the training rows; ``None`` when ``config.scale`` is false (arrays unscaled)."""


def load_frame(config: DataConfig, path: str | Path | None = None) -> pd.DataFrame:
    """Locate (downloading if allowed) and read ``config.dataset``: a (N, C) float64 frame.

    Args:
        config: the dataset and where to look for it.
        path: the file, already located and checked (by :func:`~xlstm_ts.data.download.locate_dataset`);
            ``None`` locates and checks it here.

    Raises:
        DatasetIntegrityError: the local file differs from the registry and
            ``config.allow_modified_data`` is false.
    """
    spec = get_spec(config.dataset)
    if path is None:
        path = resolve_dataset_path(
            spec, config.data_dir, download=config.download, allow_modified=config.allow_modified_data
        )
    return read_benchmark(spec, path)


def target_index(columns: Sequence[str], target: str) -> int:
    """Position of ``target`` among the value columns.

    Raises:
        ValueError: the column does not exist; the message lists the columns.
    """
    names = list(columns)
    if target not in names:
        shown = ", ".join(map(repr, names[:12])) + (", ..." if len(names) > 12 else "")
        raise ValueError(f"target column {target!r} not found; columns are {shown}")
    return names.index(target)


def fit_train_scaler(values: np.ndarray, borders: dict[SplitName, tuple[int, int]]) -> StandardScaler:
    """Fit a :class:`StandardScaler` on the training rows ``values[train_start:train_end]`` only."""
    start, end = borders["train"]
    return StandardScaler().fit(values[start:end])


class BenchmarkValues(NamedTuple):
    """A benchmark file read and split by its protocol, before scaling."""

    values: np.ndarray
    """(N, C) float64 rows of every value column, file order."""
    columns: list[str]
    """The C value column names."""
    borders: dict[SplitName, tuple[int, int]]
    """Row ranges ``[start, end)`` of train/val/test, val and test including their lookback context."""
    target_index: int
    """Position of ``config.target`` among the columns (0 for ``features="M"``)."""


def read_split_values(config: DataConfig, path: str | Path | None = None) -> BenchmarkValues:
    """Read ``config.dataset`` (downloading it if allowed) and split it by its protocol: the one
    reading of a benchmark file, shared by :func:`load_splits` and the DataModule.

    ``path`` is the file when the caller already located and checked it (as :func:`load_frame`).

    Raises:
        DatasetNotFoundError: the file is not available.
        DatasetIntegrityError: the local file differs from the registry (and modified data is not allowed).
        ValueError: the lookback/horizon do not fit the split, or the target column is missing.
    """
    spec = get_spec(config.dataset)
    frame = load_frame(config, path)
    columns = [str(c) for c in frame.columns]
    index = target_index(columns, config.target) if config.features != "M" else 0
    values = frame.to_numpy(dtype=np.float64)
    borders = split_borders(spec.split, len(values), config.lookback, horizon=config.horizon)
    return BenchmarkValues(values, columns, borders, index)


def load_splits(config: DataConfig) -> SplitArrays:
    """Read ``config.dataset``, split it by its protocol and standardise it with train-row statistics.

    Returns:
        :class:`SplitArrays` ``(train, val, test, scaler)``; val and test include their lookback
        context, so ``WindowDataset(val, L, H)`` yields exactly the protocol's validation windows.

    Raises:
        DatasetNotFoundError: the file is not available.
        DatasetIntegrityError: the local file differs from the registry (and modified data is not allowed).
        ValueError: the lookback/horizon do not fit the split, or the target column is missing.
    """
    values, _, borders, _ = read_split_values(config)
    scaler = fit_train_scaler(values, borders) if config.scale else None
    scaled = (scaler.transform(values) if scaler is not None else values).astype(np.float32)
    train, val, test = (scaled[start:end] for start, end in (borders["train"], borders["val"], borders["test"]))
    return SplitArrays(train, val, test, scaler)
