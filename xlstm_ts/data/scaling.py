"""Per-channel standardisation fitted on training rows, for numpy arrays and torch tensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import torch

ArrayT = TypeVar("ArrayT", np.ndarray, torch.Tensor)


class StandardScaler:
    """Per-channel ``(x - mean) / std`` over the last axis, like scikit-learn's ``StandardScaler``.

    Statistics are computed in float64 with the population standard deviation (ddof=0). A channel
    whose std is below ``min_std`` (e.g. a constant channel) gets std 1.0, as in scikit-learn, so
    it is centred instead of divided by ~0.

    Args:
        min_std: std floor below which a channel's std is replaced by 1.0.
    """

    def __init__(self, min_std: float = 1e-8) -> None:
        if not min_std > 0:
            raise ValueError(f"min_std must be > 0, got {min_std}")
        self.min_std = float(min_std)
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    @property
    def is_fitted(self) -> bool:
        """Whether statistics are available."""
        return self.mean_ is not None

    @property
    def n_channels(self) -> int:
        """Number of channels C of the fitted statistics."""
        return len(self._stats()[0])

    def fit(self, data: np.ndarray | torch.Tensor) -> StandardScaler:
        """Compute per-channel statistics of ``data`` of shape (N, C) -- pass training rows only."""
        array = data.detach().cpu().numpy() if isinstance(data, torch.Tensor) else np.asarray(data)
        if array.ndim != 2 or array.shape[0] < 1:
            raise ValueError(f"fit expects a non-empty (N, C) array, got shape {array.shape}")
        array = array.astype(np.float64, copy=False)
        std = array.std(axis=0)
        self.mean_ = array.mean(axis=0)
        self.std_ = np.where(std < self.min_std, 1.0, std)
        return self

    def transform(self, x: ArrayT, channels: Sequence[int] | None = None) -> ArrayT:
        """Standardise ``x`` of shape (..., C); ``channels`` selects the statistics of a channel subset.

        numpy input gives numpy output of the same floating dtype; a torch tensor gives a tensor on
        its own device and dtype.
        """
        mean, std = self._for(x, channels)
        if isinstance(x, torch.Tensor):
            return (x - _like(mean, x)) / _like(std, x)
        out: np.ndarray = ((x.astype(np.float64, copy=False) - mean) / std).astype(_float_dtype(x), copy=False)
        return out

    def inverse_transform(self, x: ArrayT, channels: Sequence[int] | None = None) -> ArrayT:
        """Undo :meth:`transform` on ``x`` of shape (..., C), e.g. model outputs (B, H, C_out).

        For ``S``/``MS`` outputs pass ``channels=[target_index]``.
        """
        mean, std = self._for(x, channels)
        if isinstance(x, torch.Tensor):
            return x * _like(std, x) + _like(mean, x)
        out: np.ndarray = (x.astype(np.float64, copy=False) * std + mean).astype(_float_dtype(x), copy=False)
        return out

    def select(self, channels: Sequence[int]) -> StandardScaler:
        """A new scaler holding only the statistics of ``channels``."""
        mean, std = self._stats()
        subset = StandardScaler(self.min_std)
        index = list(channels)
        subset.mean_, subset.std_ = mean[index].copy(), std[index].copy()
        return subset

    def state_dict(self) -> dict[str, list[float] | float]:
        """JSON-serialisable statistics: ``{"mean": [...], "std": [...], "min_std": float}``."""
        mean, std = self._stats()
        return {"mean": mean.tolist(), "std": std.tolist(), "min_std": self.min_std}

    @classmethod
    def from_state_dict(cls, state: dict[str, object]) -> StandardScaler:
        """Rebuild a fitted scaler from :meth:`state_dict` output."""
        scaler = cls(float(state.get("min_std", 1e-8)))  # type: ignore[arg-type]
        mean = np.asarray(state["mean"], dtype=np.float64)
        std = np.asarray(state["std"], dtype=np.float64)
        if mean.ndim != 1 or mean.shape != std.shape or mean.size == 0:
            raise ValueError(f"mean and std must be equal-length non-empty lists, got {mean.shape} and {std.shape}")
        if not np.all(std > 0):
            raise ValueError("std values must be > 0")
        scaler.mean_, scaler.std_ = mean, std
        return scaler

    def _stats(self) -> tuple[np.ndarray, np.ndarray]:
        if self.mean_ is None or self.std_ is None:
            raise RuntimeError("StandardScaler is not fitted; call fit() or from_state_dict() first")
        return self.mean_, self.std_

    def _for(self, x: np.ndarray | torch.Tensor, channels: Sequence[int] | None) -> tuple[np.ndarray, np.ndarray]:
        """float64 statistics of ``channels`` (all by default), checked against ``x``'s last axis."""
        mean, std = self._stats()
        if channels is not None:
            index = list(channels)
            mean, std = mean[index], std[index]
        if x.shape[-1] != mean.shape[0]:
            raise ValueError(f"last axis has {x.shape[-1]} channels, the scaler has {mean.shape[0]}")
        return mean, std

    def __repr__(self) -> str:
        fitted = f"n_channels={self.n_channels}" if self.is_fitted else "unfitted"
        return f"StandardScaler({fitted}, min_std={self.min_std:g})"


def _float_dtype(x: np.ndarray) -> np.dtype:
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)


def _like(stats: np.ndarray, x: torch.Tensor) -> torch.Tensor:
    dtype = x.dtype if x.is_floating_point() else torch.get_default_dtype()
    return torch.as_tensor(stats, dtype=dtype, device=x.device)
