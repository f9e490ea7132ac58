"""Baseline forecasting networks, with the same interface as :class:`XLSTMForecastNet`.

Every network is built as ``Net(config, n_channels, output_channels=None)`` and maps a lookback
window x (B, L, C_in) to a forecast y (B, H, C_out) in the input's units; ``output_channels``
selects the returned channels (e.g. the target channel for "MS" forecasting).

* :class:`NaiveNet`: repeats the last observed value.
* :class:`SeasonalNaiveNet`: repeats the last observed season.
* :class:`ThetaNet`: the standard Theta method on each window (a statistical baseline).
* :class:`ETSNet`: damped-trend exponential smoothing on each window (a statistical baseline).
* :class:`DLinearNet`: moving-average decomposition, one linear map for the trend and one for the
  remainder (Zeng et al., 2023, "Are Transformers Effective for Time Series Forecasting?").
* :class:`NLinearNet`: subtract the last value, one linear map, add the last value back (same paper).
* :class:`PatchTSTNet`: RevIN, patches as tokens, a Transformer encoder, a flatten head
  (Nie et al., 2023, "A Time Series is Worth 64 Words").
* :class:`LSTMNet`: a plain ``nn.LSTM`` over patches or time steps, RevIN, a linear head.

All of them are channel-independent: channel c of the forecast depends on channel c of the input
only. So a network computes (and holds per-channel parameters for) the selected output channels
only; the other input channels are checked for shape and otherwise ignored.

Untrainable baselines: :class:`NaiveNet`, :class:`SeasonalNaiveNet`, :class:`ThetaNet` and
:class:`ETSNet` set the class attribute ``trainable = False`` (every other network here has
``trainable = True``; use :func:`xlstm_ts.models.registry.is_trainable`, which also covers networks
without the attribute).
A pipeline should skip optimization for them. So that a pipeline that does not check still runs,
they also hold one zero-initialized dummy parameter, added to the output multiplied by zero: the
optimizer's parameter list is not empty, ``loss.backward()`` works, and the dummy's gradient is
exactly zero, so (Adam/AdamW/SGD) never move it and the forecast stays exact.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Literal, TypeVar

import torch
from torch import nn

from xlstm_ts.models.ets import ets_forecast_batch
from xlstm_ts.models.layers import MovingAverageDecomposition, RevIN, patchify
from xlstm_ts.models.theta import theta_forecast_batch

LSTMTokens = Literal["patch", "step"]
_C = TypeVar("_C", bound="BaselineConfig")


# --------------------------------------------------------------------------- configs


def _check_int(config: object, *names: str, minimum: int = 1) -> None:
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")


def _check_bool(config: object, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False; got {value!r}")


def _check_prob(config: object, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")


@dataclass(frozen=True)
class BaselineConfig:
    """Fields shared by every baseline config: the window lengths, and the dict round trip.

    Frozen: use ``dataclasses.replace(config, field=value)`` to derive a variant (it re-validates).
    """

    lookback: int = 336
    """Input window length L (time steps the model sees)."""
    horizon: int = 96
    """Forecast length H (time steps predicted)."""

    def __post_init__(self) -> None:
        _check_int(self, "lookback", "horizon")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every field (JSON/YAML-ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls: type[_C], values: dict[str, Any]) -> _C:
        """Build from a dict, rejecting unknown keys with the list of valid ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown model setting(s) {unknown}; valid: {sorted(known)}")
        return cls(**values)


@dataclass(frozen=True)
class NaiveConfig(BaselineConfig):
    """Settings of :class:`NaiveNet` (only the window lengths)."""


@dataclass(frozen=True)
class SeasonalNaiveConfig(BaselineConfig):
    """Settings of :class:`SeasonalNaiveNet`."""

    season_length: int = 24
    """Season length m in time steps (24 for hourly data with a daily cycle); at most ``lookback``."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int(self, "season_length")
        if self.season_length > self.lookback:
            raise ValueError(
                f"season_length={self.season_length} is longer than lookback={self.lookback}: "
                f"the last season must lie inside the input window"
            )


@dataclass(frozen=True)
class ThetaConfig(BaselineConfig):
    """Settings of :class:`ThetaNet`."""

    season_length: int = 24
    """Season length m in time steps; the window is seasonally adjusted only when it holds two
    seasons and the season passes the method's 90 % autocorrelation test."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int(self, "season_length")


@dataclass(frozen=True)
class ETSConfig(BaselineConfig):
    """Settings of :class:`ETSNet`."""

    season_length: int = 24
    """Season length m in time steps; the window is seasonally adjusted only when it holds two
    seasons and the season passes the 90 % autocorrelation test (as for Theta)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int(self, "season_length")


@dataclass(frozen=True)
class DLinearConfig(BaselineConfig):
    """Settings of :class:`DLinearNet`."""

    moving_avg: int = 25
    """Moving-average window of the trend/remainder decomposition (odd, centred, edges replicated)."""
    individual: bool = False
    """One pair of linear maps per channel (True) or one pair shared by every channel (False)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int(self, "moving_avg")
        _check_bool(self, "individual")
        if self.moving_avg % 2 == 0:
            raise ValueError(f"moving_avg must be odd (a centred window); got {self.moving_avg}")


@dataclass(frozen=True)
class NLinearConfig(BaselineConfig):
    """Settings of :class:`NLinearNet`."""

    individual: bool = False
    """One linear map per channel (True) or one map shared by every channel (False)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_bool(self, "individual")


@dataclass(frozen=True)
class PatchTSTConfig(BaselineConfig):
    """Settings of :class:`PatchTSTNet`."""

    patch_len: int = 16
    """Patch length P: time steps per token."""
    patch_stride: int = 8
    """Step between patch starts; the series is padded by one stride at its end."""
    d_model: int = 128
    """Token width of the Transformer encoder."""
    n_heads: int = 16
    """Attention heads; must divide ``d_model``."""
    e_layers: int = 3
    """Number of encoder layers."""
    d_ff: int = 256
    """Hidden width of each encoder layer's feed-forward network."""
    dropout: float = 0.2
    """Dropout on the token embeddings and inside the encoder layers (attention and feed-forward)."""
    head_dropout: float = 0.0
    """Dropout before the flatten head."""
    revin: bool = True
    """Instance normalization: each input window standardized per channel, the forecast de-standardized."""
    revin_affine: bool = False
    """Learnable per-channel scale and shift inside the instance normalization."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int(self, "patch_len", "patch_stride", "d_model", "n_heads", "e_layers", "d_ff")
        _check_prob(self, "dropout", "head_dropout")
        _check_bool(self, "revin", "revin_affine")
        if self.patch_len > self.lookback:
            raise ValueError(f"patch_len={self.patch_len} is longer than lookback={self.lookback}")
        if self.d_model % self.n_heads != 0:
            raise ValueError(f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}")

    @property
    def num_patches(self) -> int:
        """Number of patch tokens N = (L - P) // stride + 2 (with the end padded by one stride)."""
        return (self.lookback - self.patch_len) // self.patch_stride + 2


@dataclass(frozen=True)
class LSTMConfig(BaselineConfig):
    """Settings of :class:`LSTMNet`."""

    tokens: LSTMTokens = "patch"
    """What one LSTM step reads: "patch" (a patch of ``patch_len`` values) or "step" (one value)."""
    patch_len: int = 16
    """Patch length P (tokens="patch")."""
    patch_stride: int = 8
    """Step between patch starts (tokens="patch"); the series is padded by one stride at its end."""
    hidden_size: int = 128
    """Hidden (and cell) state size of every LSTM layer."""
    num_layers: int = 2
    """Stacked LSTM layers."""
    dropout: float = 0.1
    """Dropout between stacked LSTM layers (unused when ``num_layers == 1``)."""
    head_dropout: float = 0.0
    """Dropout on the last hidden state before the linear head."""
    revin: bool = True
    """Instance normalization: each input window standardized per channel, the forecast de-standardized."""
    revin_affine: bool = False
    """Learnable per-channel scale and shift inside the instance normalization."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int(self, "patch_len", "patch_stride", "hidden_size", "num_layers")
        _check_prob(self, "dropout", "head_dropout")
        _check_bool(self, "revin", "revin_affine")
        if self.tokens not in ("patch", "step"):
            raise ValueError(f"tokens must be 'patch' or 'step'; got {self.tokens!r}")
        if self.tokens == "patch" and self.patch_len > self.lookback:
            raise ValueError(f"patch_len={self.patch_len} is longer than lookback={self.lookback}")

    @property
    def num_tokens(self) -> int:
        """Sequence length the LSTM runs over: the number of patches, or L for tokens="step"."""
        if self.tokens == "step":
            return self.lookback
        return (self.lookback - self.patch_len) // self.patch_stride + 2


# --------------------------------------------------------------------------- shared pieces


class _ChannelLinear(nn.Module):
    """Linear map over time, lookback -> horizon: x (B, L, C) -> (B, H, C).

    One map shared by every channel, or (individual=True) one map per channel. Initialized like
    ``nn.Linear``: weight and bias uniform in +-1/sqrt(L).
    """

    def __init__(self, lookback: int, horizon: int, n_channels: int, individual: bool) -> None:
        super().__init__()
        self.individual = individual
        shape = (n_channels, horizon) if individual else (horizon,)
        self.weight = nn.Parameter(torch.empty(*shape, lookback))
        self.bias = nn.Parameter(torch.empty(*shape))
        bound = 1.0 / math.sqrt(lookback)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.individual:
            return torch.einsum("blc,chl->bhc", x, self.weight) + self.bias.t()
        return torch.einsum("blc,hl->bhc", x, self.weight) + self.bias[:, None]


class _BaselineNet(nn.Module):
    """Common constructor arguments, input check and output-channel selection."""

    trainable: ClassVar[bool] = True
    """False for networks without weights to fit (the pipeline should skip optimization)."""

    def __init__(self, config: BaselineConfig, n_channels: int, output_channels: list[int] | None) -> None:
        super().__init__()
        if isinstance(n_channels, bool) or not isinstance(n_channels, int) or n_channels < 1:
            raise ValueError(f"n_channels must be an integer >= 1; got {n_channels!r}")
        if output_channels is not None:
            output_channels = list(output_channels)
            bad = [
                c for c in output_channels
                if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < n_channels
            ]
            if not output_channels or bad:
                raise ValueError(
                    f"output_channels must be a non-empty list of channel indices in "
                    f"[0, {n_channels}); got {output_channels!r}"
                )
        self.config = config
        self.n_channels = n_channels
        self.output_channels = output_channels

    @property
    def n_out(self) -> int:
        """C_out, the number of returned (and computed) channels."""
        return self.n_channels if self.output_channels is None else len(self.output_channels)

    def _select_input(self, x: torch.Tensor) -> torch.Tensor:
        """Check x is (B, L, C_in); return its output channels (B, L, C_out)."""
        if x.dim() != 3 or x.shape[1] != self.config.lookback or x.shape[2] != self.n_channels:
            raise ValueError(
                f"{type(self).__name__}: expected input (batch, lookback={self.config.lookback}, "
                f"channels={self.n_channels}); got {tuple(x.shape)}"
            )
        if self.output_channels is not None:
            x = x[..., self.output_channels]
        return x


class _UntrainableNet(_BaselineNet):
    """A rule-based forecaster: nothing to fit (see the module docstring)."""

    trainable: ClassVar[bool] = False

    def __init__(self, config: BaselineConfig, n_channels: int, output_channels: list[int] | None) -> None:
        super().__init__(config, n_channels, output_channels)
        # zero placeholder so that optimizers and backward() work; its gradient is always 0
        self.dummy = nn.Parameter(torch.zeros(()))

    def _attach_dummy(self, y: torch.Tensor) -> torch.Tensor:
        return y + 0.0 * self.dummy


# --------------------------------------------------------------------------- networks


class NaiveNet(_UntrainableNet):
    """Repeats the last observed value over the horizon: y[:, h, c] = x[:, L-1, c].

    No trainable weights (``trainable = False``; one zero dummy parameter, see the module docstring).
    """

    def __init__(self, config: NaiveConfig, n_channels: int, output_channels: list[int] | None = None) -> None:
        super().__init__(config, n_channels, output_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, C_in) -> forecast (B, H, C_out)."""
        x = self._select_input(x)
        y = x[:, -1:, :].expand(-1, self.config.horizon, -1)
        return self._attach_dummy(y)


class SeasonalNaiveNet(_UntrainableNet):
    """Repeats the last observed season: y[:, h, c] = x[:, L - m + (h mod m), c], m = season_length.

    No trainable weights (``trainable = False``; one zero dummy parameter, see the module docstring).
    """

    index: torch.Tensor

    def __init__(
        self, config: SeasonalNaiveConfig, n_channels: int, output_channels: list[int] | None = None
    ) -> None:
        super().__init__(config, n_channels, output_channels)
        L, m = config.lookback, config.season_length
        self.register_buffer("index", L - m + torch.arange(config.horizon) % m, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, C_in) -> forecast (B, H, C_out)."""
        x = self._select_input(x)
        return self._attach_dummy(x.index_select(1, self.index))


class _PerWindowStatisticalNet(_UntrainableNet):
    """A statistical method fitted on each channel's lookback window in float64 numpy (no gradient
    flows through it): ``forecast_rows(rows (N, L), horizon, season) -> (N, H)``."""

    forecast_rows: ClassVar[Any]  # a staticmethod of the subclass

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, C_in) -> forecast (B, H, C_out)."""
        x = self._select_input(x)
        batch, length, channels = x.shape
        rows = x.detach().transpose(1, 2).reshape(batch * channels, length).cpu().double().numpy()
        forecast = self.forecast_rows(rows, self.config.horizon, self.config.season_length)  # (B*C, H)
        y = torch.from_numpy(forecast).to(device=x.device, dtype=x.dtype)
        return self._attach_dummy(y.reshape(batch, channels, -1).transpose(1, 2))


class ThetaNet(_PerWindowStatisticalNet):
    """The standard Theta method on each channel's lookback window (Assimakopoulos & Nikolopoulos,
    2000, in Hyndman & Billah's form; :mod:`xlstm_ts.models.theta`): exponential smoothing with
    half the window's linear trend as drift, on the seasonally adjusted window. Fitted per window
    in float64 numpy (no gradient flows through it).

    No trainable weights (``trainable = False``; one zero dummy parameter, see the module docstring).
    """

    forecast_rows = staticmethod(theta_forecast_batch)

    def __init__(self, config: ThetaConfig, n_channels: int, output_channels: list[int] | None = None) -> None:
        super().__init__(config, n_channels, output_channels)


class ETSNet(_PerWindowStatisticalNet):
    """Damped-trend exponential smoothing, ETS(A,Ad,N), on each channel's seasonally adjusted
    lookback window (the M4 competition's "Damped" benchmark; :mod:`xlstm_ts.models.ets`): level,
    damped trend and smoothing weights chosen per window by the least one-step squared error over
    a grid. Fitted per window in float64 numpy (no gradient flows through it).

    No trainable weights (``trainable = False``; one zero dummy parameter, see the module docstring).
    """

    forecast_rows = staticmethod(ets_forecast_batch)

    def __init__(self, config: ETSConfig, n_channels: int, output_channels: list[int] | None = None) -> None:
        super().__init__(config, n_channels, output_channels)


class DLinearNet(_BaselineNet):
    """DLinear: x = remainder + trend (centred moving average); each part forecast by a linear map
    over time (lookback -> horizon), and the two forecasts summed.

    The maps are shared by every channel, or one pair per channel (``individual=True``).
    """

    def __init__(self, config: DLinearConfig, n_channels: int, output_channels: list[int] | None = None) -> None:
        super().__init__(config, n_channels, output_channels)
        L, H = config.lookback, config.horizon
        self.decomposition = MovingAverageDecomposition(config.moving_avg)
        self.seasonal_head = _ChannelLinear(L, H, self.n_out, config.individual)
        self.trend_head = _ChannelLinear(L, H, self.n_out, config.individual)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, C_in) -> forecast (B, H, C_out)."""
        x = self._select_input(x)
        remainder, trend = self.decomposition(x)
        return self.seasonal_head(remainder) + self.trend_head(trend)


class NLinearNet(_BaselineNet):
    """NLinear: subtract the last value of each channel, one linear map over time
    (lookback -> horizon), add the last value back. Adding a constant to a channel's input shifts
    its forecast by the same constant.

    The map is shared by every channel, or one per channel (``individual=True``).
    """

    def __init__(self, config: NLinearConfig, n_channels: int, output_channels: list[int] | None = None) -> None:
        super().__init__(config, n_channels, output_channels)
        self.head = _ChannelLinear(config.lookback, config.horizon, self.n_out, config.individual)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, C_in) -> forecast (B, H, C_out)."""
        x = self._select_input(x)
        last = x[:, -1:, :]
        return self.head(x - last) + last


class PatchTSTNet(_BaselineNet):
    """PatchTST (channel-independent): RevIN -> each channel's series cut into patches -> linear
    patch embedding + learnable positional embedding -> Transformer encoder (pre-LayerNorm, GELU,
    final LayerNorm) -> flatten of all patch tokens -> linear head -> de-normalization.

    Every channel runs through the same weights (channels folded into the batch).
    """

    def __init__(self, config: PatchTSTConfig, n_channels: int, output_channels: list[int] | None = None) -> None:
        super().__init__(config, n_channels, output_channels)
        N, D = config.num_patches, config.d_model
        self.revin = RevIN(self.n_out, affine=config.revin_affine) if config.revin else None
        self.embed = nn.Linear(config.patch_len, D)
        self.position = nn.Parameter(torch.empty(N, D))
        nn.init.uniform_(self.position, -0.02, 0.02)
        self.embedding_dropout = nn.Dropout(config.dropout)
        layer = nn.TransformerEncoderLayer(
            d_model=D,
            nhead=config.n_heads,
            dim_feedforward=config.d_ff,
            dropout=config.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, num_layers=config.e_layers, norm=nn.LayerNorm(D), enable_nested_tensor=False
        )
        self.head_dropout = nn.Dropout(config.head_dropout)
        self.head = nn.Linear(N * D, config.horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, C_in) -> forecast (B, H, C_out)."""
        x = self._select_input(x)
        stats = None
        if self.revin is not None:
            x, stats = self.revin.normalize(x)
        B, L, C = x.shape
        series = x.transpose(1, 2).reshape(B * C, L)
        patches = patchify(series, self.config.patch_len, self.config.patch_stride)  # (B*C, N, P)
        tokens = self.embedding_dropout(self.embed(patches) + self.position)  # (B*C, N, D)
        hidden = self.encoder(tokens)  # (B*C, N, D)
        y = self.head(self.head_dropout(hidden.flatten(1)))  # (B*C, H)
        y = y.reshape(B, C, -1).transpose(1, 2)  # (B, H, C)
        if stats is not None:
            y = self.revin.denormalize(y, stats)
        return y


class LSTMNet(_BaselineNet):
    """A plain LSTM forecaster (channel-independent): RevIN -> each channel's series read by a
    stacked ``nn.LSTM`` patch by patch (or step by step) -> last hidden state of the top layer ->
    linear head (hidden -> horizon) -> de-normalization.

    Every channel runs through the same weights (channels folded into the batch).
    """

    def __init__(self, config: LSTMConfig, n_channels: int, output_channels: list[int] | None = None) -> None:
        super().__init__(config, n_channels, output_channels)
        self.revin = RevIN(self.n_out, affine=config.revin_affine) if config.revin else None
        self.lstm = nn.LSTM(
            input_size=config.patch_len if config.tokens == "patch" else 1,
            hidden_size=config.hidden_size,
            num_layers=config.num_layers,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.head_dropout = nn.Dropout(config.head_dropout)
        self.head = nn.Linear(config.hidden_size, config.horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, C_in) -> forecast (B, H, C_out)."""
        x = self._select_input(x)
        stats = None
        if self.revin is not None:
            x, stats = self.revin.normalize(x)
        B, L, C = x.shape
        series = x.transpose(1, 2).reshape(B * C, L)
        if self.config.tokens == "patch":
            tokens = patchify(series, self.config.patch_len, self.config.patch_stride)  # (B*C, N, P)
        else:
            tokens = series.unsqueeze(-1)  # (B*C, L, 1)
        hidden, _ = self.lstm(tokens)  # (B*C, T, hidden)
        y = self.head(self.head_dropout(hidden[:, -1]))  # (B*C, H)
        y = y.reshape(B, C, -1).transpose(1, 2)  # (B, H, C)
        if stats is not None:
            y = self.revin.denormalize(y, stats)
        return y
