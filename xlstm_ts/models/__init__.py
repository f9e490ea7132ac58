"""Forecasting networks as plain nn.Modules: x (B, lookback, C_in) -> y (B, horizon, C_out)."""

from xlstm_ts.models.baselines import (
    DLinearNet,
    LSTMNet,
    NaiveNet,
    NLinearNet,
    PatchTSTNet,
    SeasonalNaiveNet,
)
from xlstm_ts.models.config import XLSTMForecastConfig
from xlstm_ts.models.forecast_network import ForecastNetwork
from xlstm_ts.models.registry import MODELS, build_network, config_class, is_trainable
from xlstm_ts.models.xlstm_net import XLSTMForecastNet

__all__ = [
    "MODELS",
    "DLinearNet",
    "ForecastNetwork",
    "LSTMNet",
    "NLinearNet",
    "NaiveNet",
    "PatchTSTNet",
    "SeasonalNaiveNet",
    "XLSTMForecastConfig",
    "XLSTMForecastNet",
    "build_network",
    "config_class",
    "is_trainable",
]
