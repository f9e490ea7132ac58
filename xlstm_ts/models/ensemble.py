"""A seed ensemble: K networks of one model and config, trained from different seeds, whose
forecasts are averaged (``RunConfig.ensemble = K``; :func:`xlstm_ts.pipeline.fit.fit_run` trains them).

It is a registry model of its own (``"ensemble"``), so a run directory saves and loads it as any
network: its config names the member model and holds the members' settings. The registry builds
the members (:func:`xlstm_ts.models.registry.build_network`, which also validates their
settings); this module does not import it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class EnsembleConfig:
    """K members of one registry model with one config."""

    lookback: int
    """Input window length L (the members')."""
    horizon: int
    """Forecast length H (the members')."""
    model: str = "xlstm"
    """Registry name of the members' model."""
    members: int = 2
    """Number of members K (>= 1)."""
    network: dict[str, Any] = field(default_factory=dict)
    """The members' config fields (lookback and horizon come from this config)."""

    def __post_init__(self) -> None:
        if isinstance(self.members, bool) or not isinstance(self.members, int) or self.members < 1:
            raise ValueError(f"members must be an integer >= 1; got {self.members!r}")
        if self.model == "ensemble":
            raise ValueError("an ensemble's members cannot be ensembles")
        if not isinstance(self.network, dict):
            raise ValueError(f"network must be a dict of the members' settings; got {type(self.network).__name__}")

    def member_settings(self) -> dict[str, Any]:
        """The members' config fields, lookback and horizon included."""
        return {**self.network, "lookback": self.lookback, "horizon": self.horizon}

    @property
    def cycle_length(self) -> int:
        """The members' cycle length (0 without a cycle): the ensemble reads the same inputs."""
        return int(self.network.get("cycle_length", 0) or 0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "EnsembleConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown ensemble setting(s) {unknown}; valid: {sorted(known)}")
        return cls(**values)


class MeanEnsemble(nn.Module):
    """The mean of its members' forecasts: x (B, L, C_in) -> (B, H, C_out).

    Args:
        config: the ensemble's config (``config.members == len(members)``).
        members: the member networks (built by the registry, or trained).
    """

    def __init__(self, config: EnsembleConfig, members: list[nn.Module]) -> None:
        super().__init__()
        if len(members) != config.members:
            raise ValueError(f"config.members={config.members} but {len(members)} members were given")
        self.config = config
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        return torch.stack([member(x, **kwargs) for member in self.members]).mean(dim=0)
