"""The xLSTM forecasting network: a plain nn.Module (no Lightning inside)."""

from __future__ import annotations

import torch
from torch import nn

from xlstm_ts.models.config import XLSTMForecastConfig
from xlstm_ts.models.cycle import CycleTable, phase_of_channel
from xlstm_ts.models.layers import MovingAverageDecomposition, RevIN, patchify
from xlstm_ts.nn import XLSTMStack


class XLSTMForecastNet(nn.Module):
    """Maps a lookback window to a forecast: x (B, L, C_in) -> y (B, H, C_out).

    Data flow: RevIN -> [- learnable cycle] -> [trend/remainder decomposition] -> tokens (patches of every channel, or
    one token per channel) -> xLSTM[a:b] stack -> linear head -> [+ linear skip, + trend forecast]
    -> [+ cycle] -> de-normalization. Channels are independent in "patch" mode (folded into the batch) and mixed
    by the stack in "variate" mode.

    Args:
        config: the network's hyper-parameters.
        n_channels: C_in, the number of input channels.
        output_channels: indices of the input channels to return (None = all), e.g. the target
            channel for "MS" forecasting.

    With ``config.cycle_length > 0`` the input carries one more channel, last: the *phase
    channel*, the cycle phase of each input step (``x[:, 0, -1]``, the first step's, is read); x
    is then (B, L, C_in + 1). Or pass ``phase`` (B,) to :meth:`forward` and x without it.
    """

    def __init__(
        self, config: XLSTMForecastConfig, n_channels: int, output_channels: list[int] | None = None
    ) -> None:
        super().__init__()
        self.config = config
        self.n_channels = n_channels
        self.output_channels = output_channels
        L, H, D = config.lookback, config.horizon, config.embedding_dim
        self.revin = RevIN(n_channels, affine=config.revin_affine) if config.revin else None
        self.decomposition = MovingAverageDecomposition(config.moving_avg) if config.decomposition else None
        self.trend_head = nn.Linear(L, H) if config.decomposition else None
        self.linear_skip = nn.Linear(L, H) if config.linear_skip else None
        if config.token_axis == "patch":
            self.embed = nn.Linear(config.patch_len, D)
            self.head = nn.Linear(config.num_patches * D, H)
        else:
            self.embed = nn.Linear(L, D)
            self.head = nn.Linear(D, H)
        self.embedding_dropout = nn.Dropout(config.embedding_dropout)
        self.head_dropout = nn.Dropout(config.head_dropout)
        self.stack = XLSTMStack(config)
        self.cycle = CycleTable(config.cycle_length, n_channels) if config.cycle_length > 0 else None
        if self.linear_skip is not None and config.linear_skip_init == "last_value":
            self._start_as_naive()

    @torch.no_grad()
    def _start_as_naive(self) -> None:
        """Skip weights on the last input step only and a zero xLSTM head: the untrained network
        forecasts the last observed value (exactly, with RevIN); training moves away from it."""
        assert self.linear_skip is not None
        self.linear_skip.weight.zero_()
        self.linear_skip.weight[:, -1] = 1.0
        self.linear_skip.bias.zero_()
        self.head.weight.zero_()
        self.head.bias.zero_()
        if self.trend_head is not None:  # the trend path adds its own forecast: start it at zero too
            self.trend_head.weight.zero_()
            self.trend_head.bias.zero_()

    def _xlstm_path(self, x: torch.Tensor, token_bias: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, L, C) normalized -> forecast (B, H, C) through the stack."""
        B, L, C = x.shape
        if self.config.token_axis == "patch":
            series = x.transpose(1, 2).reshape(B * C, L)  # channels folded into the batch
            tokens = self.embed(patchify(series, self.config.patch_len, self.config.patch_stride))  # (B*C, N, D)
            if token_bias is not None:
                tokens = tokens + token_bias
            hidden = self.stack(self.embedding_dropout(tokens))  # (B*C, N, D)
            out = self.head(self.head_dropout(hidden.flatten(1)))  # (B*C, H)
            return out.reshape(B, C, -1).transpose(1, 2)
        tokens = self.embed(x.transpose(1, 2))  # (B, C, D): one token per variate
        if token_bias is not None:
            tokens = tokens + token_bias
        hidden = self.stack(self.embedding_dropout(tokens))  # (B, C, D)
        return self.head(self.head_dropout(hidden)).transpose(1, 2)  # (B, H, C)

    def forward(
        self, x: torch.Tensor, token_bias: torch.Tensor | None = None, phase: torch.Tensor | None = None
    ) -> torch.Tensor:
        """x (B, L, C_in) -> forecast (B, H, C_out) in the input's units.

        ``token_bias``: optional (B * C_in, N, D) in "patch" mode or (B, C_in, D) in "variate"
        mode, added to the token embeddings before the stack (how the estimator's network lets
        patch tokens carry covariates).
        ``phase``: with a cycle (``cycle_length > 0``), the phase (B,) of each window's first input
        step (integers, taken modulo the cycle length); None: read from the phase channel, x's
        last (then x is (B, L, C_in + 1))."""
        if self.cycle is not None and phase is None:
            if x.dim() != 3 or x.shape[2] != self.n_channels + 1:
                raise ValueError(
                    f"a network with cycle_length={self.config.cycle_length} needs the phase: input (batch, "
                    f"lookback={self.config.lookback}, channels={self.n_channels} + 1 phase channel) or phase=; "
                    f"got {tuple(x.shape)} and no phase (the benchmark pipeline adds the phase channel: "
                    f"xlstm_ts.pipeline.phase)"
                )
            phase, x = phase_of_channel(x, self.config.cycle_length), x[..., :-1]
        if x.dim() != 3 or x.shape[1] != self.config.lookback or x.shape[2] != self.n_channels:
            raise ValueError(
                f"expected input (batch, lookback={self.config.lookback}, channels={self.n_channels}); "
                f"got {tuple(x.shape)}"
            )
        if phase is not None and self.cycle is None:
            raise ValueError("phase= was given to a network without a cycle (cycle_length=0)")
        stats = None
        if self.revin is not None:
            x, stats = self.revin.normalize(x)
        if self.cycle is not None:
            assert phase is not None
            if phase.shape != (x.shape[0],):
                raise ValueError(f"phase must have shape (batch,) = ({x.shape[0]},); got {tuple(phase.shape)}")
            x = x - self.cycle(phase, self.config.lookback)  # (B, L, C): the residual of the cycle
        if self.decomposition is not None:
            remainder, trend = self.decomposition(x)
            y = self._xlstm_path(remainder, token_bias) + self.trend_head(trend.transpose(1, 2)).transpose(1, 2)
        else:
            y = self._xlstm_path(x, token_bias)
        if self.linear_skip is not None:
            y = y + self.linear_skip(x.transpose(1, 2)).transpose(1, 2)
        if self.cycle is not None:
            y = y + self.cycle(phase, self.config.horizon, offset=self.config.lookback)  # (B, H, C)
        if stats is not None:
            y = self.revin.denormalize(y, stats)
        if self.output_channels is not None:
            y = y[..., self.output_channels]
        return y
