"""Forecasting networks as plain nn.Modules: x (B, lookback, C_in) -> y (B, horizon, C_out)."""

from xlstm_ts.models.config import XLSTMForecastConfig
from xlstm_ts.models.xlstm_net import XLSTMForecastNet

__all__ = ["XLSTMForecastConfig", "XLSTMForecastNet"]
