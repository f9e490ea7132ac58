"""The estimator's network (used by :class:`xlstm_ts.XLSTMForecaster`): a registry xLSTM network,
widened for quantiles, plus a covariate head.

Input x (B, L, 1 + K): channel 0 is the target; channels 1..K are the future covariates *lead by
the horizon*: at window position t they hold the covariate value at t + H, so the last H positions
of a window are the covariates of the H forecast steps (see :func:`xlstm_ts.forecasting.preparation.model_inputs`).

* The backbone is ``build_network("xlstm", config with horizon = H * Q, n_channels=1 + K,
  output_channels=[0])``: its head and linear skip are widened to H * Q outputs, read as Q
  blocks of H. RevIN stays inside the backbone.
* With covariates, a zero-initialized linear map from the window's covariates (L * K values) to
  the H * Q outputs is added (so training starts from the pure backbone). In ``token_axis="variate"``
  mode the backbone also mixes the covariate channels itself; in "patch" mode (channel-independent)
  the covariate head is their only path to the forecast.
* Quantiles are sorted along the quantile axis, so they never cross.

Output: (B, H, 1) for point forecasts, (B, H, 1, Q) for quantiles (ascending levels).
"""

from __future__ import annotations

import torch
from torch import nn


class ForecastNetwork(nn.Module):
    """Backbone (+ covariate head) with H x Q outputs; see the module docstring."""

    def __init__(
        self, backbone: nn.Module, horizon: int, lookback: int, n_covariates: int, n_quantiles: int = 0
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.horizon = horizon
        self.lookback = lookback
        self.n_covariates = n_covariates
        self.n_quantiles = n_quantiles
        outputs = horizon * max(1, n_quantiles)
        if n_covariates > 0:
            self.covariate_head: nn.Linear | None = nn.Linear(lookback * n_covariates, outputs)
            nn.init.zeros_(self.covariate_head.weight)
            nn.init.zeros_(self.covariate_head.bias)
        else:
            self.covariate_head = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, 1 + K) -> (B, H, 1) or (B, H, 1, Q)."""
        batch = x.shape[0]
        q = max(1, self.n_quantiles)
        y = self.backbone(x).reshape(batch, q, self.horizon)  # (B, H*Q, 1) -> (B, Q, H)
        if self.covariate_head is not None:
            y = y + self.covariate_head(x[..., 1:].flatten(1)).reshape(batch, q, self.horizon)
        if self.n_quantiles == 0:
            return y[:, 0, :, None]
        return torch.sort(y, dim=1).values.permute(0, 2, 1)[:, :, None, :]

