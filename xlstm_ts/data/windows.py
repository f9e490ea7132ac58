"""Sliding forecasting windows over one (N, C) array, as a torch Dataset of tensor views."""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from torch.utils.data import Dataset

FeatureMode = Literal["M", "S", "MS"]
"""``M``: all channels in and out; ``S``: the target channel in and out; ``MS``: all in, target out."""

FEATURE_MODES: tuple[FeatureMode, ...] = ("M", "S", "MS")
"""Valid feature modes."""


class WindowDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Stride-1 windows ``(x, y)`` over a float32 array of shape (N, C).

    Item ``i`` is ``x = data[i : i + L, in_channels]`` of shape (L, C_in) and
    ``y = data[i + L : i + L + H, out_channels]`` of shape (H, C_out), with
    ``len == N - L - H + 1``. Items are views of one tensor built once in ``__init__``; nothing
    is copied per item (the default collate stacks them into a batch).

    Args:
        data: (N, C) values; converted once to a float32 tensor (no copy if already a writable
            float32 array or tensor).
        lookback: context length L >= 1.
        horizon: forecast length H >= 1.
        features: feature mode, see :data:`FeatureMode`.
        target_index: channel of the target for ``S``/``MS`` (negative indices allowed).
        start_row: row of the source file that ``data[0]`` is, used by :meth:`window_rows`.

    Raises:
        ValueError: invalid arguments, or ``N < L + H`` (no window fits).
    """

    def __init__(
        self,
        data: np.ndarray | torch.Tensor,
        lookback: int,
        horizon: int,
        features: FeatureMode = "M",
        target_index: int = -1,
        start_row: int = 0,
    ) -> None:
        if features not in FEATURE_MODES:
            raise ValueError(f"features must be one of {FEATURE_MODES}, got {features!r}")
        if lookback < 1 or horizon < 1:
            raise ValueError(f"lookback and horizon must be >= 1, got {lookback} and {horizon}")
        if isinstance(data, torch.Tensor):
            tensor = data.to(torch.float32)
        else:
            array = np.asarray(data, dtype=np.float32)
            if not array.flags.writeable:  # e.g. a read-only pandas view: torch needs a writable buffer
                array = array.copy()
            tensor = torch.from_numpy(array)
        if tensor.ndim != 2:
            raise ValueError(f"data must have shape (N, C), got {tuple(tensor.shape)}")
        n_rows, n_channels = tensor.shape
        if not -n_channels <= target_index < n_channels:
            raise ValueError(f"target_index {target_index} is out of range for {n_channels} channels")
        length = n_rows - lookback - horizon + 1
        if length <= 0:
            raise ValueError(
                f"{n_rows} rows are too few for one window of lookback {lookback} + horizon {horizon} "
                f"(need at least {lookback + horizon})"
            )
        self.data = tensor
        """(N, C) float32 tensor that every item is a view of."""
        self.lookback = lookback
        self.horizon = horizon
        self.features: FeatureMode = features
        self.target_index = target_index % n_channels
        self.start_row = start_row
        self._length = length
        target = slice(self.target_index, self.target_index + 1)
        every = slice(None)
        self._in_channels = target if features == "S" else every
        self._out_channels = every if features == "M" else target

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x, y)`` of shapes (L, C_in) and (H, C_out) for window ``index``."""
        i = self._check_index(index)
        split = i + self.lookback
        x = self.data[i:split, self._in_channels]
        y = self.data[split : split + self.horizon, self._out_channels]
        return x, y

    @property
    def n_channels_in(self) -> int:
        """C_in: number of input channels."""
        return 1 if self.features == "S" else int(self.data.shape[1])

    @property
    def n_channels_out(self) -> int:
        """C_out: number of output channels."""
        return int(self.data.shape[1]) if self.features == "M" else 1

    def window_rows(self, index: int) -> tuple[range, range]:
        """Source-file rows of window ``index``'s ``x`` and ``y`` (offset by ``start_row``)."""
        i = self._check_index(index) + self.start_row
        split = i + self.lookback
        return range(i, split), range(split, split + self.horizon)

    def _check_index(self, index: int) -> int:
        i = int(index)
        if i < 0:
            i += self._length
        if not 0 <= i < self._length:
            raise IndexError(f"window index {index} out of range for {self._length} windows")
        return i

    def __repr__(self) -> str:
        return (
            f"WindowDataset(windows={self._length}, rows={self.data.shape[0]}, lookback={self.lookback}, "
            f"horizon={self.horizon}, features={self.features!r}, target_index={self.target_index})"
        )
