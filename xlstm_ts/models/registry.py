"""Forecasting networks by name: config class and network class, built from a plain dict.

>>> config, net = build_network("dlinear", {"lookback": 96, "horizon": 24}, n_channels=7)
"""

from __future__ import annotations

from typing import Any

from torch import nn

from xlstm_ts.models.baselines import (
    DLinearConfig,
    DLinearNet,
    ETSConfig,
    ETSNet,
    LSTMConfig,
    LSTMNet,
    NaiveConfig,
    NaiveNet,
    NLinearConfig,
    NLinearNet,
    PatchTSTConfig,
    PatchTSTNet,
    SeasonalNaiveConfig,
    SeasonalNaiveNet,
    ThetaConfig,
    ThetaNet,
)
from xlstm_ts.models.config import XLSTMForecastConfig
from xlstm_ts.models.ensemble import EnsembleConfig, MeanEnsemble
from xlstm_ts.models.xlstm_net import XLSTMForecastNet

MODELS: dict[str, tuple[type[Any], type[nn.Module]]] = {
    "xlstm": (XLSTMForecastConfig, XLSTMForecastNet),
    "naive": (NaiveConfig, NaiveNet),
    "seasonal_naive": (SeasonalNaiveConfig, SeasonalNaiveNet),
    "theta": (ThetaConfig, ThetaNet),
    "ets": (ETSConfig, ETSNet),
    "dlinear": (DLinearConfig, DLinearNet),
    "nlinear": (NLinearConfig, NLinearNet),
    "patchtst": (PatchTSTConfig, PatchTSTNet),
    "lstm": (LSTMConfig, LSTMNet),
}
"""Model name -> (config dataclass, network class). Every config has ``lookback``, ``horizon``,
``to_dict()`` and ``from_dict()``; every network is ``Net(config, n_channels, output_channels)``."""

def _build_ensemble(
    config: EnsembleConfig, n_channels: int, output_channels: list[int] | None = None
) -> MeanEnsemble:
    """A seed ensemble of fresh members (``config.members`` networks of ``config.model``)."""
    members = [
        build_network(config.model, config.member_settings(), n_channels, output_channels)[1]
        for _ in range(config.members)
    ]
    return MeanEnsemble(config, members)


COMPOSITES: dict[str, tuple[type[Any], Any]] = {"ensemble": (EnsembleConfig, _build_ensemble)}
"""Networks made of registry networks (a seed ensemble): built and loaded by name like the models,
but not trained directly (a run sets ``ensemble: K`` instead), so not listed in :data:`MODELS`."""


def _entry(name: str) -> tuple[type[Any], Any]:
    try:
        return MODELS[name] if name in MODELS else COMPOSITES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown model {name!r}; valid names: {sorted(MODELS)}") from None


def config_class(name: str) -> type[Any]:
    """The config dataclass of model ``name`` (ValueError listing the valid names if unknown)."""
    return _entry(name)[0]


def build_network(
    name: str,
    config_dict: dict[str, Any] | None,
    n_channels: int,
    output_channels: list[int] | None = None,
) -> tuple[Any, nn.Module]:
    """Build model ``name`` from its settings: returns (config, network).

    Args:
        name: a key of :data:`MODELS`.
        config_dict: the config's fields (missing ones take their defaults; None = all defaults),
            or an instance of the model's config class.
        n_channels: C_in, the number of input channels.
        output_channels: indices of the input channels to forecast (None = all).

    Raises:
        ValueError: unknown name (with the valid names), unknown setting (with the valid keys),
            or an invalid value.
    """
    config_cls, net_cls = _entry(name)
    if isinstance(config_dict, config_cls):
        config = config_dict
    else:
        if config_dict is None:
            config_dict = {}
        if not isinstance(config_dict, dict):
            raise ValueError(
                f"model {name!r}: settings must be a dict or a {config_cls.__name__}; "
                f"got {type(config_dict).__name__}"
            )
        try:
            config = config_cls.from_dict(config_dict)
        except (TypeError, ValueError) as error:
            raise ValueError(f"model {name!r} ({config_cls.__name__}): {error}") from error
    return config, net_cls(config, n_channels, output_channels)


def is_trainable(net: nn.Module) -> bool:
    """Whether ``net`` has weights to fit: False for the rule-based baselines (their class sets
    ``trainable = False``); True for any network without the attribute."""
    return bool(getattr(net, "trainable", True))
