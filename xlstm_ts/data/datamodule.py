"""The windows of one benchmark dataset and their loaders (a plain class: no Lightning, no checkpoint).

The training core takes its loaders (:func:`xlstm_ts.training.train_network`); the scaler's
statistics are saved as JSON in a run's ``model.json`` and restored with :meth:`ForecastDataModule.load_state_dict`,
never through a pickled Lightning checkpoint.
"""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

import numpy as np
import torch
from torch.utils.data import DataLoader

from xlstm_ts.data.config import DataConfig
from xlstm_ts.data.download import DatasetFile, locate_dataset
from xlstm_ts.data.loading import fit_train_scaler, read_split_values
from xlstm_ts.data.registry import DatasetSpec, get_spec
from xlstm_ts.data.scaling import StandardScaler
from xlstm_ts.data.splits import SPLIT_NAMES, SplitName
from xlstm_ts.data.windows import WindowDataset

Batch = tuple[torch.Tensor, torch.Tensor]
"""``(x, y)`` of shapes (B, L, C_in) and (B, H, C_out)."""

T = TypeVar("T")


class ForecastDataModule:
    """Train/val/test windows of a benchmark, standardised with statistics of the training rows.

    Batches are ``(x, y)`` with ``x`` of shape (B, L, C_in) and ``y`` of shape (B, H, C_out).
    The training loader shuffles; the validation, test and predict loaders keep order and never
    drop a window. The scaler statistics travel as JSON in :meth:`state_dict` (a run directory keeps
    them in model.json); :meth:`load_state_dict` restores them and replaces the scaler fitted in
    :meth:`setup`.

    Args:
        config: dataset, window and loader settings.
    """

    def __init__(self, config: DataConfig) -> None:
        self.config = config
        self._spec = get_spec(config.dataset)
        self._values: np.ndarray | None = None
        self._columns: list[str] | None = None
        self._borders: dict[SplitName, tuple[int, int]] | None = None
        self._target_index = 0
        self._scaler: StandardScaler | None = None
        self._datasets: dict[SplitName, WindowDataset] = {}
        self._file: DatasetFile | None = None

    # ------------------------------------------------------------------ data and loaders
    def prepare_data(self) -> None:
        """Locate and check the file, downloading it into the user cache if allowed.

        Raises:
            DatasetNotFoundError: the file is not available.
            DatasetIntegrityError: the local file's SHA-256 differs from the registry and
                ``config.allow_modified_data`` is false.
        """
        self._file = self._locate()

    def setup(self, stage: str | None = None) -> None:
        """Read, split and scale the data and build the three window datasets (idempotent).

        The file is located and checked again just before it is read (its hash is memoised), so
        :attr:`data_file` names the bytes actually used. Raises as :meth:`prepare_data`.
        """
        if self._values is not None:
            return
        self._file = self._locate()
        values, columns, borders, self._target_index = read_split_values(self.config, self._file.path)
        if self._scaler is not None:
            _check_channels(self._scaler, len(columns))
        elif self.config.scale:
            self._scaler = fit_train_scaler(values, borders)
        self._values, self._columns, self._borders = values, columns, borders
        self._build_datasets()

    def train_dataloader(self) -> DataLoader[Batch]:
        """Shuffled training windows, ``config.batch_size`` per batch."""
        return self._loader("train", self.config.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader[Batch]:
        """All validation windows in order, ``config.eval_batch_size`` per batch."""
        return self._loader("val", self.config.eval_batch_size, shuffle=False)

    def test_dataloader(self) -> DataLoader[Batch]:
        """All test windows in order, ``config.eval_batch_size`` per batch."""
        return self._loader("test", self.config.eval_batch_size, shuffle=False)

    def predict_dataloader(self) -> DataLoader[Batch]:
        """The test windows, as :meth:`test_dataloader`."""
        return self.test_dataloader()

    def state_dict(self) -> dict[str, Any]:
        """``{"dataset", "columns", "scaler"}``; plain lists and strings, JSON-serialisable."""
        state: dict[str, Any] = {"dataset": self._spec.name}
        if self._columns is not None:
            state["columns"] = list(self._columns)
        if self._scaler is not None:
            state["scaler"] = self._scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the scaler from :meth:`state_dict`; rescales the data if :meth:`setup` already ran.

        Raises:
            ValueError: the stored scaler has a different number of channels than the data.
        """
        if state_dict.get("dataset", self._spec.name) != self._spec.name:
            warnings.warn(
                f"restoring data state of {state_dict['dataset']!r} into a module for {self._spec.name!r}",
                UserWarning,
                stacklevel=2,
            )
        if "scaler" not in state_dict:
            return
        scaler = StandardScaler.from_state_dict(state_dict["scaler"])
        if self._columns is not None:
            _check_channels(scaler, len(self._columns))
        self._scaler = scaler
        if self._values is not None:
            self._build_datasets()

    # ------------------------------------------------------------------ properties
    @property
    def spec(self) -> DatasetSpec:
        """Registry entry of the dataset."""
        return self._spec

    @property
    def data_file(self) -> DatasetFile:
        """The benchmark file in use: its path, its actual SHA-256 and whether it differs from the
        registry (``modified``, only possible with ``config.allow_modified_data``).

        Raises:
            RuntimeError: before :meth:`prepare_data` or :meth:`setup`.
        """
        if self._file is None:
            raise RuntimeError("the data file is known after prepare_data() or setup()")
        return self._file

    @property
    def scaler(self) -> StandardScaler | None:
        """Scaler over all C file channels (``None`` when ``config.scale`` is false).

        For ``S``/``MS`` model outputs use ``scaler.inverse_transform(y, channels=[dm.target_index])``.

        Raises:
            RuntimeError: before :meth:`setup` (unless restored by :meth:`load_state_dict`).
        """
        if self._scaler is None and (self._values is None or self.config.scale):
            raise RuntimeError("the scaler is available after setup() or load_state_dict()")
        return self._scaler

    @property
    def n_channels_in(self) -> int:
        """C_in: channels of ``x`` (from the registry before :meth:`setup`, from the file after)."""
        return 1 if self.config.features == "S" else self._n_file_channels()

    @property
    def n_channels_out(self) -> int:
        """C_out: channels of ``y``."""
        return self._n_file_channels() if self.config.features == "M" else 1

    @property
    def channel_names(self) -> list[str]:
        """Names of the input channels, in order (available after :meth:`setup`)."""
        columns = self._require_setup(self._columns)
        return [columns[self._target_index]] if self.config.features == "S" else list(columns)

    @property
    def output_names(self) -> list[str]:
        """Names of the output channels, in order (available after :meth:`setup`)."""
        columns = self._require_setup(self._columns)
        return list(columns) if self.config.features == "M" else [columns[self._target_index]]

    @property
    def target_index(self) -> int:
        """Position of ``config.target`` among the file's value columns (``S``/``MS``; 0 for ``M``)."""
        self._require_setup(self._columns)
        return self._target_index

    @property
    def borders(self) -> dict[SplitName, tuple[int, int]]:
        """Row ranges ``[start, end)`` of each split including val/test context (after :meth:`setup`)."""
        return dict(self._require_setup(self._borders))

    def dataset(self, split: SplitName) -> WindowDataset:
        """The :class:`WindowDataset` of ``split`` (after :meth:`setup`)."""
        if split not in SPLIT_NAMES:
            raise ValueError(f"split must be one of {SPLIT_NAMES}, got {split!r}")
        return self._require_setup(self._datasets.get(split))

    # ------------------------------------------------------------------ internals
    def _locate(self) -> DatasetFile:
        return locate_dataset(
            self._spec,
            self.config.data_dir,
            download=self.config.download,
            allow_modified=self.config.allow_modified_data,
        )

    def _build_datasets(self) -> None:
        assert self._values is not None
        assert self._borders is not None
        scaled = self._scaler.transform(self._values) if self._scaler is not None else self._values
        data = torch.from_numpy(np.ascontiguousarray(scaled, dtype=np.float32))
        self._datasets = {
            split: WindowDataset(
                data[start:end],
                self.config.lookback,
                self.config.horizon,
                features=self.config.features,
                target_index=self._target_index,
                start_row=start,
            )
            for split, (start, end) in self._borders.items()
        }

    def _loader(self, split: SplitName, batch_size: int, *, shuffle: bool) -> DataLoader[Batch]:
        workers = self.config.num_workers
        return DataLoader(
            self.dataset(split),
            batch_size=batch_size,
            shuffle=shuffle,
            drop_last=False,
            num_workers=workers,
            persistent_workers=workers > 0,
            pin_memory=torch.cuda.is_available(),
        )

    def _n_file_channels(self) -> int:
        return len(self._columns) if self._columns is not None else self._spec.n_channels

    @staticmethod
    def _require_setup(value: T | None) -> T:
        if value is None:
            raise RuntimeError("call setup() first")
        return value


def _check_channels(scaler: StandardScaler, n_channels: int) -> None:
    if scaler.n_channels != n_channels:
        raise ValueError(f"the restored scaler has {scaler.n_channels} channels, the data has {n_channels}")
