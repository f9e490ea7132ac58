"""From the estimator's series to training data: per-series scaling, model inputs, the validation
hold-out, and the loaders that :func:`xlstm_ts.training.train_network` trains on.

Validation hold-out: the last ``n_val`` steps of each series are forecast by its validation
windows (their inputs reach back ``lookback`` steps into the training part), where
``n_val = max(horizon, ceil(0.1 * T))`` by default (``validation_size`` sets it: a fraction of each
series, a number of steps, or 0 for none). A series keeps all its windows for training when
``T - n_val < lookback + horizon``. When no series is long enough the network trains for
``max_epochs`` epochs without early stopping, and a :class:`NoValidationWarning` says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import ConcatDataset, DataLoader, Dataset

from xlstm_ts.data.scaling import StandardScaler
from xlstm_ts.data.windows import WindowDataset
from xlstm_ts.forecasting.frames import Series

DEFAULT_VALIDATION_FRACTION = 0.1
"""Share of each series held out for validation when ``validation_size=None``."""


CONSTANT_RTOL = 1e-10
"""A channel whose std is at most this fraction of its largest magnitude is constant (float rounding)."""


class NoValidationWarning(UserWarning):
    """No series is long enough to hold out validation windows: no early stopping."""


def series_scaler(
    channels: np.ndarray, series_id: Hashable = None, columns: Sequence[Hashable] | None = None, what: str = "fit(df)"
) -> StandardScaler:
    """Per-channel mean and std of one series' (T, C) channels, scale-invariant.

    The statistics are computed on the channels divided by their largest magnitude (so values
    near 1e300 do not overflow the squares), and the std floor is relative: a channel is constant
    when its std is at most ``CONSTANT_RTOL`` of its magnitude, and then gets std ``min(1,
    magnitude)`` (1 for all zeros) -- an absolute floor (``std < 1e-8`` -> 1) would standardize a
    series at the 1e-12 scale by 1.0 and blow its forecast up by a factor 1e9.

    Raises:
        ValueError: the standardized values are not finite (magnitudes near the float64 limit).
    """
    values = np.asarray(channels, dtype=np.float64)
    magnitude = np.abs(values).max(axis=0)
    unit = np.where(magnitude > 0, magnitude, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = (values / unit).mean(axis=0) * unit
        std = (values / unit).std(axis=0) * unit
        constant = ~(std > CONSTANT_RTOL * magnitude)
        std = np.where(constant, np.where(magnitude > 0, np.minimum(1.0, magnitude), 1.0), std)
        scaled = (values - mean) / std
    bad = ~np.isfinite(scaled).all(axis=0) | ~np.isfinite(mean) | ~np.isfinite(std)
    if bad.any():
        col = int(np.flatnonzero(bad)[0])
        name = columns[col] if columns is not None and col < len(columns) else col
        raise ValueError(
            f"{what}: series {series_id!r}, column {name!r} has values up to {magnitude[col]:.3g}: too large to "
            f"standardize in float64; rescale the column (e.g. divide it by 1e{int(np.log10(magnitude[col]))})"
        )
    return StandardScaler.from_state_dict({"mean": mean.tolist(), "std": std.tolist()})


def model_inputs(target: np.ndarray, covariates: np.ndarray, horizon: int, n_future: int | None = None) -> np.ndarray:
    """Network input rows (n, 1 + K): the target, the future covariates lead by ``horizon`` steps,
    then the past and static covariates at their own step.

    Row t holds ``[target[t], covariates[t + horizon, :n_future], covariates[t, n_future:]]``
    (``n_future=None``: every covariate is future-known). ``covariates`` may be longer than
    ``target`` (past rows then known future rows); leads past its end repeat its last row
    (windows that can read them are never built).
    """
    n = len(target)
    k = covariates.shape[1]
    n_future = k if n_future is None else n_future
    if k == 0:
        return target[:, None].astype(np.float64)
    index = np.minimum(np.arange(n) + horizon, len(covariates) - 1)
    return np.column_stack([target, covariates[index, :n_future], covariates[:n, n_future:]])


def static_statistics(series: Sequence[Series], n_static: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of each static covariate across the series (S,), (S,): static values are
    standardized across series (within one series they are constant and would all scale to 0)."""
    if n_static == 0:
        return np.zeros(0), np.ones(0)
    values = np.stack([s.covariates[0, s.covariates.shape[1] - n_static :] for s in series])
    mean = values.mean(axis=0)
    std = values.std(axis=0)
    std = np.where(std > 1e-12 * np.maximum(np.abs(mean), 1.0), std, np.maximum(np.abs(mean), 1.0))
    return mean, std


def with_static_statistics(scaler: StandardScaler, mean: np.ndarray, std: np.ndarray) -> StandardScaler:
    """``scaler`` with its last ``len(mean)`` channels replaced by the cross-series statistics."""
    if len(mean) == 0:
        return scaler
    state = scaler.state_dict()
    n = len(mean)
    state["mean"] = [*list(state["mean"])[:-n], *mean.tolist()]
    state["std"] = [*list(state["std"])[:-n], *std.tolist()]
    return StandardScaler.from_state_dict(state)


def held_out_steps(length: int, horizon: int, validation_size: Any) -> int:
    """Steps at the end of a series of ``length`` that validation would take (0: none asked for)."""
    if validation_size is None:
        return max(horizon, math.ceil(DEFAULT_VALIDATION_FRACTION * length))
    if validation_size == 0:
        return 0
    if isinstance(validation_size, float):
        return max(horizon, math.ceil(validation_size * length))
    return int(validation_size)


def validation_steps(length: int, lookback: int, horizon: int, validation_size: Any) -> int:
    """Steps at the end of a series of ``length`` held out for validation: :func:`held_out_steps`,
    or 0 when the rest would be shorter than one training window (``lookback + horizon``)."""
    n_val = held_out_steps(length, horizon, validation_size)
    if n_val == 0 or length - n_val < lookback + horizon:
        return 0
    return n_val


@dataclass
class PreparedData:
    """Training and validation windows of every series, and the per-series scalers."""

    train: Dataset
    val: Dataset | None
    scalers: list[StandardScaler]
    validation_steps: list[int]
    n_train_windows: int
    n_val_windows: int


def prepare(
    series: Sequence[Series],
    lookback: int,
    horizon: int,
    validation_size: Any,
    columns: Callable[[Series], Sequence[Hashable]] | None = None,
    n_past: int = 0,
    n_static: int = 0,
    reuse_scalers: Sequence[StandardScaler] | None = None,
) -> PreparedData:
    """Scale each series with statistics of its training part, build the windows, split them.

    ``columns(series)`` names the series' channels (target, covariates) in error messages. The
    last ``n_static`` covariates are static (scaled across series), the ``n_past`` before them
    past-only (not lead), the rest future-known (lead by ``horizon``; see :func:`model_inputs`).
    ``reuse_scalers``: use these per-series scalers (a refit on every window keeps the statistics
    the validation run was scaled with) instead of fitting them on the training parts.
    """
    train_sets, val_sets, scalers, held_out = [], [], [], []
    static_mean, static_std = static_statistics(series, n_static)
    for s in series:
        n = len(s)
        n_val = validation_steps(n, lookback, horizon, validation_size)
        channels = np.column_stack([s.target, s.covariates])
        names = columns(s) if columns is not None else None
        if reuse_scalers is not None:
            scaler = reuse_scalers[len(held_out)]
        else:
            scaler = with_static_statistics(series_scaler(channels[: n - n_val], s.id, names), static_mean, static_std)
        scaled = scaler.transform(channels)
        if not np.isfinite(scaled).all():  # validation steps far beyond the training part's scale
            col = int(np.flatnonzero(~np.isfinite(scaled).all(axis=0))[0])
            raise ValueError(
                f"fit(df): series {s.id!r}, column {(names[col] if names else col)!r} has values that overflow when "
                f"standardized by its training part's statistics; rescale the column"
            )
        n_future = s.covariates.shape[1] - n_past - n_static
        inputs = model_inputs(scaled[:, 0], scaled[:, 1:], horizon, n_future).astype(np.float32)
        train_sets.append(WindowDataset(inputs[: n - n_val], lookback, horizon, features="MS", target_index=0))
        if n_val:
            val_sets.append(
                WindowDataset(inputs[n - n_val - lookback :], lookback, horizon, features="MS", target_index=0)
            )
        scalers.append(scaler)
        held_out.append(n_val)
    train = ConcatDataset(train_sets)
    val = ConcatDataset(val_sets) if val_sets else None
    return PreparedData(train, val, scalers, held_out, len(train), len(val) if val is not None else 0)


def loaders(data: PreparedData, batch_size: int, seed: int) -> tuple[DataLoader, DataLoader | None]:
    """The training loader (shuffled by its own generator seeded with ``seed``, so the global
    RNG's draws do not decide the order) and the validation loader (in order; None without validation)."""
    generator = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(data.train, batch_size=batch_size, shuffle=True, generator=generator)
    val_loader = DataLoader(data.val, batch_size=max(256, batch_size)) if data.val is not None else None
    return train_loader, val_loader
