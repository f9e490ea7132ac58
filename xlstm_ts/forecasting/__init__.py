"""The scikit-learn-style forecasting API: :class:`XLSTMForecaster` and its building blocks.

Modules: ``frames`` (input frames <-> series, outputs), ``network`` (quantile/covariate wrapper),
``module`` (its LightningModule), ``training`` (scaling, windows, validation hold-out, Lightning run), ``rolling``
(forecasting from contexts, recursion past the horizon), ``persistence`` (save/load),
``plotting`` (the estimator's figures), ``estimator`` (the class).
"""

from __future__ import annotations

from xlstm_ts.forecasting.estimator import XLSTMForecaster
from xlstm_ts.forecasting.rolling import RecursiveForecastWarning
from xlstm_ts.forecasting.preparation import NoValidationWarning

__all__ = ["XLSTMForecaster", "RecursiveForecastWarning", "NoValidationWarning"]
