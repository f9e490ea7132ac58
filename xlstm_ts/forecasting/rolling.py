"""Forecasting from contexts: one network pass per block of ``horizon`` steps, recursively beyond.

For ``h > horizon`` the point forecast (the median with quantiles) of each block is appended to
the context and the next block is forecast from it: errors compound, and the quantile bands of the
later blocks are conditional on the earlier medians (too narrow). The estimator warns with
:class:`RecursiveForecastWarning`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from xlstm_ts.data.scaling import StandardScaler
from xlstm_ts.models.forecast_network import ForecastNetwork
from xlstm_ts.forecasting.preparation import model_inputs

PREDICT_BATCH = 512
"""Contexts per network call."""
MAX_SCALED = 1e6
"""Largest |standardized value| of a context: data a million standard deviations away from the
statistics a series was fitted with is not something the (float32) network can forecast from."""


class RecursiveForecastWarning(UserWarning):
    """``predict(h=...)`` goes past the trained horizon: forecasts are fed back as inputs."""


@dataclass
class Context:
    """What one forecast starts from (data units)."""

    target: np.ndarray
    """(n,) the target history, n >= lookback."""
    covariates: np.ndarray
    """(n + f, K): the covariates of the history, then f known future steps (f >= blocks * horizon)."""
    scaler: StandardScaler
    """Per-series scaler over the 1 + K channels."""
    name: Hashable = None
    """The series id, for error messages."""
    history: np.ndarray | None = None
    """(m,) a longer target history ending where ``target`` ends, for the simple forecasts
    (None: ``target``); the network reads ``target`` only."""

    @property
    def simple_input(self) -> np.ndarray:
        """The target history the simple forecasts read."""
        return self.target if self.history is None else self.history


def blocks_needed(h: int, horizon: int) -> int:
    """Network passes needed for ``h`` steps."""
    return math.ceil(h / horizon)


@torch.no_grad()
def forecast(
    network: ForecastNetwork,
    contexts: Sequence[Context],
    h: int,
    median_index: int | None,
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Forecast ``h`` steps after every context.

    Returns, per context, the point forecast (h,) and the quantile forecasts (h, Q) or None.
    """
    network = network.eval()
    device = next(network.parameters()).device
    horizon, lookback, n_future = network.horizon, network.lookback, network.n_future
    blocks = blocks_needed(h, horizon)
    if blocks > 1 and n_future < network.n_covariates:
        raise ValueError(
            f"h={h} is longer than horizon={horizon}: a recursive forecast would need the past-only covariates of "
            f"the steps being forecast, which are not known yet; train with horizon={h} or leave past_covariates out"
        )
    scaled_target = []
    scaled_cov = []
    for ctx in contexts:
        k = ctx.covariates.shape[1]
        n = len(ctx.target)
        target = (ctx.target - ctx.scaler.mean_[0]) / ctx.scaler.std_[0]
        cov = (ctx.covariates - ctx.scaler.mean_[1:]) / ctx.scaler.std_[1:] if k else ctx.covariates
        # what the network reads: future covariates up to the forecast's end, the others up to the history's
        read = [cov[n - lookback :, :n_future], cov[n - lookback : n, n_future:]]
        _check_scaled(ctx, target[-lookback:], read, n_future)
        scaled_target.append(list(target[-lookback:]))
        scaled_cov.append(cov[len(ctx.target) - lookback :])  # aligned with the kept target rows
    outputs: list[list[np.ndarray]] = [[] for _ in contexts]
    for _ in range(blocks):
        rows = []
        for i in range(len(contexts)):
            n = len(scaled_target[i])
            history = np.asarray(scaled_target[i][n - lookback :])
            covariates = scaled_cov[i][n - lookback : n + horizon]
            rows.append(model_inputs(history, covariates, horizon, n_future))
        x_all = np.stack(rows).astype(np.float32)
        results = []
        for start in range(0, len(x_all), PREDICT_BATCH):
            x = torch.from_numpy(x_all[start : start + PREDICT_BATCH]).to(device)
            results.append(network(x).double().cpu().numpy()[:, :, 0])  # (B, H) or (B, H, Q)
        y = np.concatenate(results)
        for i in range(len(contexts)):
            outputs[i].append(y[i])
            point = y[i] if median_index is None else y[i][:, median_index]
            scaled_target[i].extend(point.tolist())
    result = []
    for i, ctx in enumerate(contexts):
        y = np.concatenate(outputs[i])[:h]
        mean, std = ctx.scaler.mean_[0], ctx.scaler.std_[0]
        y = y * std + mean
        if not np.isfinite(y).all():
            raise ValueError(
                f"the forecast of series {ctx.name!r} is not finite (NaN/inf) although its inputs are: its values are "
                f"too large for the model's scale (mean {mean:.4g}, std {std:.4g}); rescale the data and refit"
            )
        if median_index is None:
            result.append((y, None))
        else:
            result.append((y[:, median_index].copy(), y))
    return result


def _check_scaled(ctx: Context, target: np.ndarray, covariates: list[np.ndarray], n_future: int) -> None:
    """The standardized window (target; future covariates; past and static covariates) must be
    finite and within ``MAX_SCALED`` (float32 network inputs)."""
    for part, values in enumerate([target[:, None], *covariates]):
        if values.size == 0:
            continue
        with np.errstate(invalid="ignore"):
            worst = np.abs(values).max(axis=0)
        bad = ~(worst <= MAX_SCALED)
        if bad.any():
            channel = 0 if part == 0 else 1 + int(np.flatnonzero(bad)[0]) + (n_future if part == 2 else 0)
            which = "target" if channel == 0 else f"covariate {channel - 1}"
            mean, std = ctx.scaler.mean_[channel], ctx.scaler.std_[channel]
            raise ValueError(
                f"series {ctx.name!r}: its {which} values lie up to {float(worst[bad][0]):.3g} standard deviations "
                f"from the statistics the series was fitted with (mean {mean:.4g}, std {std:.4g}); the network "
                f"cannot forecast from there. Refit on data of this scale, or pass the series under a new id "
                f"(a new series is scaled by its own statistics)"
            )
