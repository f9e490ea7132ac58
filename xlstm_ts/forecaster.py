"""``from xlstm_ts.forecaster import XLSTMForecaster``: the estimator (implemented in
:mod:`xlstm_ts.forecasting`), with the warnings it emits."""

from __future__ import annotations

from xlstm_ts.forecasting import NoValidationWarning, RecursiveForecastWarning, XLSTMForecaster

__all__ = ["XLSTMForecaster", "RecursiveForecastWarning", "NoValidationWarning"]
