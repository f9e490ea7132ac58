"""What a fitted :class:`~xlstm_ts.XLSTMForecaster` knows, as one dataclass.

``fit`` builds a :class:`FittedState`, :mod:`~xlstm_ts.forecasting.persistence` writes and reads
it, :mod:`~xlstm_ts.forecasting.plotting` draws from it; the estimator exposes its fields as the
scikit-learn-style fitted attributes (``lookback_``, ``network_``, ...). Nothing outside the
estimator reads the estimator's private attributes.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xlstm_ts.data.scaling import StandardScaler
from xlstm_ts.forecasting import frames
from xlstm_ts.forecasting.frames import FrameLayout, Series
from xlstm_ts.models.forecast_network import ForecastNetwork


@dataclass
class FittedState:
    """The fitted model: network, scalers, time axis and the kept contexts of the fit series."""

    layout: FrameLayout
    """Form, library and columns of the fit frame (outputs come back in it)."""
    freq: str | int
    """Time step: a pandas alias, or an int for integer time axes."""
    season_length: int
    """Seasonal period of ``freq`` in steps (used by MASE)."""
    lookback: int
    """Input window length L."""
    quantiles: tuple[float, ...] | None
    """Levels the network outputs (ascending, with 0.5), or None for point forecasts."""
    requested_quantiles: tuple[float, ...] | None
    """Levels the user asked for (the output columns; 0.5 only if asked)."""
    series_ids: list[Hashable]
    """Ids (long form) or column names (wide form) of the fit series, in order."""
    scalers: dict[Hashable, StandardScaler]
    """Per-series scaler over (target, covariates), fitted on the training part."""
    model_config: dict[str, Any]
    """The backbone's network config (lookback L, horizon H * Q)."""
    network: ForecastNetwork
    """The trained network (CPU, eval mode)."""
    fit_info: dict[str, Any]
    """What training did: epochs, best epoch, validation, seed, seconds, ..."""
    context_target: np.ndarray
    """(S, L) float64: the last ``lookback`` target values of each fit series (data units)."""
    context_covariates: np.ndarray
    """(S, L, K) float64: their covariates."""
    last_times: list[Any]
    """The last time stamp (or integer step) of each fit series."""
    n_features_in: int
    """Columns of the fit frame."""
    interval_widths: dict[float, np.ndarray] | None = None
    """Conformal half-widths per level (%) and horizon step, (H,) in scaled units (None: no ``levels``)."""
    chosen_model: str = "xlstm"
    """What forecasts: "xlstm" (the network), "ensemble" (the equal-weight mean of
    ``ensemble_members``), "seasonal_naive", "naive", "theta" or "ets": see
    :mod:`xlstm_ts.forecasting.selection`."""
    ensemble_members: tuple[str, ...] | None = None
    """The members (of ``selection.MEMBERS``) averaged when ``chosen_model`` is "ensemble"; None
    for any other choice."""
    history_target: np.ndarray | None = None
    """(S, M) float64, M >= ``lookback``: the last M target values of each fit series (data units),
    NaN before a series' first step; what the simple forecasts read (Theta's season and trend need
    more than the network's window). None: ``context_target`` (models saved before it existed)."""

    def members(self) -> tuple[str, ...]:
        """What forecasts, as the members whose equal-weight mean is the forecast (one for a single choice)."""
        if self.chosen_model == "ensemble":
            if not self.ensemble_members:
                raise ValueError("chosen_model 'ensemble' needs its ensemble_members")
            return tuple(self.ensemble_members)
        return (self.chosen_model,)

    @property
    def history_steps(self) -> int:
        """M: how many steps the simple forecasts read (the kept history's length)."""
        return int(self.lookback if self.history_target is None else self.history_target.shape[1])

    def simple_history(self, k: int) -> np.ndarray:
        """The kept target history of fit series ``k`` for the simple forecasts (its NaN head dropped)."""
        if self.history_target is None:
            return self.context_target[k]
        row = self.history_target[k]
        return row[int(np.argmax(~np.isnan(row))) :]

    @property
    def horizon(self) -> int:
        """Steps one network pass forecasts."""
        return int(self.network.horizon)

    @property
    def median_index(self) -> int | None:
        """Position of the 0.5 level among ``quantiles`` (None for point forecasts)."""
        return None if self.quantiles is None else self.quantiles.index(0.5)

    @property
    def feature_names(self) -> np.ndarray | None:
        """The fit frame's column names when all are strings (scikit-learn's ``feature_names_in_``)."""
        columns = self.layout.columns
        return np.asarray(columns, dtype=object) if all(isinstance(c, str) for c in columns) else None

    def stored_series(self) -> list[Series]:
        """The kept contexts as series (the last ``lookback`` steps of each fit series)."""
        out = []
        for k, series_id in enumerate(self.series_ids):
            last = self.last_times[k]
            if self.layout.time_kind == "integer":
                steps = int(self.freq) * np.arange(self.lookback - 1, -1, -1, dtype=np.int64)
                time = pd.Index(int(last) - steps)
            else:
                time = pd.date_range(end=last, periods=self.lookback, freq=frames.to_offset(self.freq))
            out.append(
                Series(series_id, time, self.context_target[k], self.context_covariates[k], np.full(self.lookback, -1))
            )
        return out

    def scaler_for(self, series: Series) -> StandardScaler:
        """The fit scaler of a known series; a new series is scaled by its own statistics."""
        try:
            known = series.id in self.scalers
        except TypeError:  # an unhashable id cannot be a fit series
            known = False
        if known:
            return self.scalers[series.id]
        from xlstm_ts.forecasting.preparation import series_scaler, with_static_statistics

        columns = (self.layout.target_col if self.layout.form == "long" else series.id, *self.layout.covariates)
        own = series_scaler(np.column_stack([series.target, series.covariates]), series.id, columns, "predict(df)")
        n_static = self.layout.n_static
        if not n_static:
            return own
        fitted = next(iter(self.scalers.values()))  # static covariates are scaled across the fit series
        return with_static_statistics(own, fitted.mean_[-n_static:], fitted.std_[-n_static:])


def requested_levels(quantiles: Any) -> tuple[float, ...] | None:
    """The ``quantiles`` parameter checked and sorted (None stays None).

    Raises:
        ValueError: not a non-empty list of distinct numbers in (0, 1).
    """
    if quantiles is None:
        return None
    q = quantiles
    if isinstance(q, (str, bytes)) or not isinstance(q, Sequence) or len(q) == 0:
        raise ValueError(f"quantiles must be a non-empty list of levels in (0, 1), e.g. [0.1, 0.5, 0.9]; got {q!r}")
    levels = []
    for value in q:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 < float(value) < 1.0:
            raise ValueError(f"quantile levels must be numbers in (0, 1); got {value!r} in {list(q)}")
        levels.append(float(value))
    if len(set(levels)) != len(levels):
        raise ValueError(f"quantiles has repeated levels: {list(q)}")
    return tuple(sorted(levels))


def trained_levels(quantiles: Any) -> tuple[float, ...] | None:
    """The levels the network is trained on: the requested ones plus 0.5, ascending."""
    requested = requested_levels(quantiles)
    if requested is None:
        return None
    return tuple(sorted(set(requested) | {0.5}))
