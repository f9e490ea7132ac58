"""Configuration of the xLSTM forecasting network (one flat dataclass).

It extends :class:`xlstm_ts.nn.XLSTMStackConfig`, so every stack setting is a field here too and
the config can be handed to :class:`xlstm_ts.nn.XLSTMStack` as it is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from xlstm_ts.nn import XLSTMStackConfig

TokenAxis = Literal["patch", "variate"]
SkipInit = Literal["default", "last_value"]


@dataclass(frozen=True)
class XLSTMForecastConfig(XLSTMStackConfig):
    """Hyper-parameters of :class:`xlstm_ts.models.XLSTMForecastNet` (the stack's fields included)."""

    # the stack's defaults, re-declared small: the tuned ETTh1 configuration (experiments/make_configs.py)
    embedding_dim: int = 16
    """Model width D: the input and output size of every block."""
    num_heads: int = 2
    """Heads of both cells; must divide ``embedding_dim``."""
    num_blocks: int = 2
    """Number of residual blocks in the stack."""
    dropout: float = 0.2
    """Dropout on every block's output branch before the residual add."""
    lookback: int = 336
    """Input window length L (time steps the model sees)."""
    horizon: int = 96
    """Forecast length H (time steps predicted)."""
    token_axis: TokenAxis = "patch"
    """"patch": each channel's series cut into patches, the stack runs over patches (P-sLSTM, PatchTST).
    "variate": each channel embedded whole, the stack runs over channels (xLSTMTime, xLSTM-Mixer)."""
    patch_len: int = 16
    """Patch length P (token_axis="patch")."""
    patch_stride: int = 8
    """Step between patch starts (token_axis="patch"); the series is padded by one stride at its end."""
    revin: bool = True
    """Instance normalization: each input window is standardized per channel and the forecast de-standardized."""
    revin_affine: bool = False
    """Learnable per-channel scale and shift inside the instance normalization."""
    decomposition: bool = False
    """Split the input into a moving-average trend (forecast by a linear map) and the remainder (the xLSTM path)."""
    moving_avg: int = 25
    """Moving-average window of the decomposition (odd)."""
    linear_skip: bool = True
    """Add a linear lookback->horizon forecast per channel beside the xLSTM path (xLSTMTime-style)."""
    linear_skip_init: SkipInit = "default"
    """How the linear skip starts: "default" (PyTorch's uniform init) or "last_value" (weights on the
    last input step only, and the xLSTM head at zero, so the untrained network is the naive forecast:
    a random-walk prior, e.g. for exchange rates)."""
    embedding_dropout: float = 0.2
    """Dropout on the token embeddings."""
    head_dropout: float = 0.2
    """Dropout before the forecast head."""
    cycle_length: int = 0
    """Learnable periodic component (residual cycle forecasting, CycleNet's idea): a table Q
    (cycle_length, C) of per-phase values, subtracted from the (instance-normalized) input at the
    input steps' phases and added back at the forecast steps' phases; the network forecasts the
    residual. 0 = off. E.g. 24 for hourly ETTh, 96 for 15-minute ETTm, 144 for 10-minute Weather
    (a day). The network then reads each window's phase from an extra last input channel (see
    :mod:`xlstm_ts.models.cycle`), which the benchmark pipeline adds."""

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("lookback", "horizon", "patch_len", "patch_stride", "moving_avg"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
        if isinstance(self.cycle_length, bool) or not isinstance(self.cycle_length, int) or self.cycle_length < 0:
            raise ValueError(f"cycle_length must be an integer >= 0 (0 = no cycle); got {self.cycle_length!r}")
        if self.token_axis not in ("patch", "variate"):
            raise ValueError(f"token_axis must be 'patch' or 'variate'; got {self.token_axis!r}")
        if self.token_axis == "patch" and self.patch_len > self.lookback:
            raise ValueError(f"patch_len={self.patch_len} is longer than lookback={self.lookback}")
        if self.linear_skip_init not in ("default", "last_value"):
            raise ValueError(f"linear_skip_init must be 'default' or 'last_value'; got {self.linear_skip_init!r}")
        if self.linear_skip_init == "last_value" and not self.linear_skip:
            raise ValueError("linear_skip_init='last_value' needs linear_skip=True (it starts the skip as the naive forecast)")
        if self.moving_avg % 2 == 0:
            raise ValueError(f"moving_avg must be odd (a centred window); got {self.moving_avg}")
        for name in ("embedding_dropout", "head_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1); got {getattr(self, name)!r}")

    @property
    def num_patches(self) -> int:
        """Number of patch tokens N = (L - P) // stride + 2 (with the end padded by one stride)."""
        return (self.lookback - self.patch_len) // self.patch_stride + 2

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every field (JSON/YAML-ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "XLSTMForecastConfig":
        """Build from a dict, rejecting unknown keys with the list of valid ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown model setting(s) {unknown}; valid: {sorted(known)}")
        return cls(**values)
