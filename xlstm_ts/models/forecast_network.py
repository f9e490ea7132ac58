"""The estimator's network (used by :class:`xlstm_ts.XLSTMForecaster`): a registry xLSTM network,
widened for quantiles, with covariates that reach the target's forecast in every token axis.

Input x (B, L, 1 + K): channel 0 is the target; then ``n_future`` future-known covariates *lead by
the horizon* (at window position t they hold the value at t + H, so the last H positions carry
the covariates of the H forecast steps), then ``n_past`` past-only covariates and ``n_static``
static ones at their own step (see :func:`xlstm_ts.forecasting.preparation.model_inputs`).

* ``token_axis="patch"``: the backbone runs on the target alone (``n_channels=1``); every patch
  token also carries the covariates of its window positions: a zero-initialized linear map from
  the K covariate patches (K * patch_len values) to the width D is added to the target patch's
  embedding, so the xLSTM stack reads target and covariates together.
* ``token_axis="variate"``: one token per channel, covariates first and the target *last*, so the
  causal stack has read every covariate when it reaches the target token, whose output is the
  forecast (the channel order of the covariates does not decide what the target sees).
* Both: a linear map from the whole window (target and covariates, L * (1 + K) values) to the
  H * Q outputs is added after the backbone. With covariates the backbone's output layers start
  at zero (its head, linear skip and trend head: the untrained backbone forecasts the window's
  mean, a linear function of the window), and the estimator starts the linear map at a ridge
  regression (:mod:`xlstm_ts.forecasting.covariate_head`): training begins from the best linear
  model of target history and covariates and adds the xLSTM on top. (A linear map of the
  covariates alone cannot start there: RevIN shifts every forecast by the window's level.)
* Quantiles are sorted along the quantile axis, so they never cross.

Output: (B, H, 1) for point forecasts, (B, H, 1, Q) for quantiles (ascending levels).
"""

from __future__ import annotations

import torch
from torch import nn

from xlstm_ts.models.layers import patchify


def backbone_channels(token_axis: str, n_covariates: int) -> tuple[int, list[int]]:
    """``(n_channels, output_channels)`` of the backbone that :class:`ForecastNetwork` wraps."""
    if token_axis == "variate" and n_covariates > 0:
        return 1 + n_covariates, [n_covariates]  # covariates first, the target last
    return 1, [0]


class ForecastNetwork(nn.Module):
    """Backbone + covariate paths with H x Q outputs; see the module docstring.

    Args:
        backbone: a registry ``XLSTMForecastNet`` built with :func:`backbone_channels`.
        horizon: H.
        lookback: L.
        n_covariates: K = n_future + n_past + n_static.
        n_quantiles: Q (0: point forecasts).
        n_past, n_static: how many of the K covariates are past-only and static (the rest are
            future-known).
    """

    def __init__(
        self,
        backbone: nn.Module,
        horizon: int,
        lookback: int,
        n_covariates: int,
        n_quantiles: int = 0,
        *,
        n_past: int = 0,
        n_static: int = 0,
    ) -> None:
        super().__init__()
        if not 0 <= n_past + n_static <= n_covariates:
            raise ValueError(f"n_past={n_past} + n_static={n_static} exceed n_covariates={n_covariates}")
        self.backbone = backbone
        self.horizon = horizon
        self.lookback = lookback
        self.n_covariates = n_covariates
        self.n_past = n_past
        self.n_static = n_static
        self.n_quantiles = n_quantiles
        config = backbone.config
        self.token_axis = config.token_axis
        outputs = horizon * max(1, n_quantiles)
        self.covariate_head: nn.Linear | None = None
        self.covariate_tokens: nn.Linear | None = None
        if n_covariates > 0:
            self.covariate_head = nn.Linear(lookback * (1 + n_covariates), outputs)
            nn.init.zeros_(self.covariate_head.weight)
            nn.init.zeros_(self.covariate_head.bias)
            if self.token_axis == "patch":
                self.covariate_tokens = nn.Linear(config.patch_len * n_covariates, config.embedding_dim)
                nn.init.zeros_(self.covariate_tokens.weight)
                nn.init.zeros_(self.covariate_tokens.bias)

    @torch.no_grad()
    def zero_backbone_outputs(self) -> None:
        """Zero the backbone's output layers: it then forecasts the window's mean (RevIN's level).
        The estimator calls it on a new network with covariates (not on a loaded one)."""
        for name in ("head", "linear_skip", "trend_head"):
            layer = getattr(self.backbone, name, None)
            if isinstance(layer, nn.Linear):
                layer.weight.zero_()
                layer.bias.zero_()

    @property
    def n_future(self) -> int:
        """Future-known covariates (the first ones after the target)."""
        return self.n_covariates - self.n_past - self.n_static

    def extra_state_tensors(self) -> dict[str, torch.Tensor]:
        """The weights outside the backbone, by name (what persistence saves beside it)."""
        tensors = {}
        for prefix, module in (("covariate_head", self.covariate_head), ("covariate_tokens", self.covariate_tokens)):
            if module is not None:
                for name, tensor in module.state_dict().items():
                    tensors[f"{prefix}.{name}"] = tensor.detach().cpu().contiguous()
        return tensors

    def backbone_forecast(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, 1 + K) -> the backbone's outputs (B, Q, H), covariate tokens included."""
        batch = x.shape[0]
        q = max(1, self.n_quantiles)
        target, covariates = x[..., :1], x[..., 1:]
        if self.n_covariates == 0:
            y = self.backbone(target)
        elif self.token_axis == "variate":
            y = self.backbone(torch.cat([covariates, target], dim=-1))
        else:
            y = self.backbone(target, token_bias=self._covariate_token_bias(covariates))
        return y.reshape(batch, q, self.horizon)  # (B, H*Q, 1) -> (B, Q, H)

    def _covariate_token_bias(self, covariates: torch.Tensor) -> torch.Tensor:
        """covariates (B, L, K) -> (B, N, D): per patch token, the embedding of its covariate patches."""
        assert self.covariate_tokens is not None
        config = self.backbone.config
        batch, length, k = covariates.shape
        patches = patchify(covariates.transpose(1, 2).reshape(batch * k, length), config.patch_len, config.patch_stride)
        n_patches = patches.shape[1]
        patches = patches.reshape(batch, k, n_patches, config.patch_len).permute(0, 2, 1, 3).flatten(2)
        return self.covariate_tokens(patches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, 1 + K) -> (B, H, 1) or (B, H, 1, Q)."""
        batch = x.shape[0]
        q = max(1, self.n_quantiles)
        y = self.backbone_forecast(x)
        if self.covariate_head is not None:
            y = y + self.covariate_head(x.flatten(1)).reshape(batch, q, self.horizon)
        if self.n_quantiles == 0:
            return y[:, 0, :, None]
        return torch.sort(y, dim=1).values.permute(0, 2, 1)[:, :, None, :]
