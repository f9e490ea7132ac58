"""The scikit-learn-style forecasting API: :class:`XLSTMForecaster` and its building blocks.

No Lightning inside: ``fit`` trains through :func:`xlstm_ts.training.train_network` (imported
when ``fit`` runs, so loading a saved model and predicting never load Lightning).

Modules: ``estimator`` (the class), ``frames/`` (input frames <-> series, by job: layout, time
axis, missing values, outputs, future covariates), ``preparation`` (per-series scaling, model
inputs, validation hold-out, loaders), ``state`` (the fitted state, one dataclass), ``rolling``
(forecasting from contexts, recursion past the horizon), ``persistence`` (save/load of a fitted
state: safetensors + JSON), ``plotting`` (the estimator's figures). The network itself is
:class:`xlstm_ts.models.ForecastNetwork`.
"""

from __future__ import annotations

from xlstm_ts.forecasting.estimator import XLSTMForecaster
from xlstm_ts.forecasting.preparation import NoValidationWarning
from xlstm_ts.forecasting.rolling import RecursiveForecastWarning

__all__ = ["XLSTMForecaster", "RecursiveForecastWarning", "NoValidationWarning"]
