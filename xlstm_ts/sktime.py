"""sktime adapter: :class:`XLSTMSktimeForecaster`, an sktime forecaster around ``XLSTMForecaster``.

Needs the optional extra: ``pip install "xlstm-ts[sktime]"``. This module is the only one of
``xlstm_ts`` that imports sktime, and nothing imports it for you: ``import xlstm_ts`` stays free of
sktime; ``from xlstm_ts.sktime import XLSTMSktimeForecaster`` loads it.

How sktime's data maps onto the estimator:

* ``y`` (one or several columns): each column is one series of a single global network (a wide
  frame for :class:`~xlstm_ts.forecasting.estimator.XLSTMForecaster`).
* ``X``: future-known exogenous columns (``future_covariates``); ``predict`` needs their values
  for the forecast steps.
* Index: ``DatetimeIndex`` and ``PeriodIndex`` become timestamps (periods by their start time),
  integer indexes (``RangeIndex`` too) integer time steps; forecasts carry sktime's absolute
  ``fh`` index.
* Panels and hierarchies: sktime fits one forecaster per instance (vectorization).

See ``docs/sktime.md`` for an example.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

try:
    from sktime.forecasting.base import BaseForecaster, ForecastingHorizon
except ImportError as err:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "xlstm_ts.sktime needs sktime, an optional dependency: pip install 'xlstm-ts[sktime]' "
        f"(import failed: {err})"
    ) from err

from xlstm_ts.forecasting.estimator import XLSTMForecaster
from xlstm_ts.forecasting.frames.outputs import quantile_column

__all__ = ["InSampleForecastError", "XLSTMSktimeForecaster"]

DEFAULT_HORIZON = 24
"""Horizon when neither ``horizon`` nor ``fh`` is given to ``fit`` (at most a quarter of ``y``)."""

_TIME = "ds"
"""Name of the time column of the frames handed to XLSTMForecaster (the series are renamed, so
it never clashes with a column of ``y`` or ``X``)."""


class InSampleForecastError(NotImplementedError, ValueError):
    """``fh`` asks for time points at or before the cutoff: the adapter only forecasts ahead.

    A ``NotImplementedError`` for sktime's contract (``capability:insample`` is False) and a
    ``ValueError`` for callers that catch bad arguments.
    """


class XLSTMSktimeForecaster(BaseForecaster):
    """xLSTM forecaster for sktime: one global network over the columns of ``y``.

    Wraps :class:`xlstm_ts.forecasting.estimator.XLSTMForecaster`: every column of ``y`` is one
    series of the same network (each scaled by its own mean and standard deviation), and every
    column of ``X`` is a future-known covariate (``future_covariates``), so ``predict`` needs ``X``
    for the steps it forecasts. Only out-of-sample forecasts: an ``fh`` step at or before the
    cutoff raises :class:`InSampleForecastError`.

    Parameters
    ----------
    horizon : int or None, default=None
        Steps one network pass forecasts. None: ``max(fh)`` of the ``fh`` given to ``fit``, else
        ``min(24, len(y) // 4)``. Predicting further rolls forward recursively (a
        ``RecursiveForecastWarning``); ``X`` must then cover whole blocks of ``horizon`` steps.
    lookback : int or None, default=None
        Input window length. None derives it from ``y`` (seasonal periods of the frequency,
        capped by the series length), as XLSTMForecaster does.
    quantiles : list of float or None, default=None
        Quantile levels in (0, 1) for a quantile (pinball-loss) network, e.g.
        ``[0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]``. ``predict_quantiles`` interpolates linearly
        between the trained levels (never beyond them); ``predict_interval`` uses them for the
        coverages not in ``levels``. The point forecast is the median.
    levels : list of float or None, default=None
        Coverage percentages of conformal intervals calibrated on held-out validation windows,
        e.g. ``[80, 95]``: ``predict_interval(coverage=0.8)`` returns them. Needs enough
        validation windows (4 for 80 %, 19 for 95 %). With neither ``quantiles`` nor ``levels``
        the forecaster has no probabilistic capability (tag ``capability:pred_int`` is False).
    embedding_dim, num_blocks, num_heads, ratio, token_axis, patch_len, patch_stride, dropout
        Network settings, as in XLSTMForecaster (defaults 16, 2, 2, "1:1", "patch", 16, 8, 0.2).
        With ``token_axis="patch"`` the lookback is at least ``patch_len``: lower ``patch_len``
        for short series.
    model_kwargs : dict or None, default=None
        Any other field of ``XLSTMForecastConfig``.
    model : {"auto", "xlstm"}, default="auto"
        "auto" forecasts with the best on validation of the network, seasonal naive, naive, Theta,
        damped-trend ETS and their equal-weight means (the network only where it beats the simple
        forecasts; see ``XLSTMForecaster``); "xlstm" always uses the network.
    max_epochs, batch_size, learning_rate, weight_decay : int, int, float, float
        Training budget (defaults 10, 32, 2e-3, 0.05).
    loss : {"mse", "mae"}, default="mae"
        Training loss of point forecasts.
    patience : int, default=3
        Early stopping patience in epochs (0: never stop early).
    validation_size : None, int or float, default=None
        Steps held out at the end of each series for validation (0: none), as in XLSTMForecaster.
    refit : bool, default=True
        Retrain on every window after validation chose the number of epochs.
    accelerator : str, default="auto"
        Lightning accelerator ("cpu", "gpu", "auto").
    precision : str, default="32-true"
        Lightning precision, e.g. "bf16-mixed" on GPUs.
    random_state : int or None, default=None
        Seed of initialization, shuffling and dropout (an int makes ``fit`` reproducible).
    verbose : int, default=0
        0: silent (the default here, as sktime tools fit many times); 1: progress bar; 2: logs.

    Attributes
    ----------
    forecaster_ : XLSTMForecaster
        The fitted estimator (refitted by ``update(..., update_params=True)``).
    horizon_ : int
        The horizon used.
    lookback_ : int
        The lookback used.

    Examples
    --------
    >>> from sktime.datasets import load_airline
    >>> from xlstm_ts.sktime import XLSTMSktimeForecaster
    >>> y = load_airline()
    >>> forecaster = XLSTMSktimeForecaster(
    ...     embedding_dim=8, num_blocks=1, max_epochs=1, random_state=0
    ... )
    >>> forecaster = forecaster.fit(y, fh=[1, 2, 3])
    >>> y_pred = forecaster.predict()
    >>> len(y_pred)
    3
    """

    _tags = {
        "authors": ["xlstm-ts developers"],
        "maintainers": ["xlstm-ts developers"],
        "python_dependencies": None,
        "y_inner_mtype": "pd.DataFrame",
        "X_inner_mtype": "pd.DataFrame",
        "capability:multivariate": True,
        "capability:exogenous": True,
        "capability:categorical_in_X": False,
        "capability:missing_values": False,
        "capability:insample": False,
        "capability:pred_int": True,
        "capability:pred_int:insample": False,
        "capability:non_contiguous_X": False,
        "capability:update": True,
        "requires-fh-in-fit": False,
        "X-y-must-have-same-index": True,
        "enforce_index_type": None,
        "fit_is_empty": False,
        "capability:random_state": True,
        "property:randomness": "derandomized",
    }
    # the adapter keeps its own data (the forecast context); sktime's copy is not needed
    _config = {"remember_data": False}

    def __init__(
        self,
        horizon: int | None = None,
        lookback: int | None = None,
        quantiles: Sequence[float] | None = None,
        levels: Sequence[float] | None = None,
        embedding_dim: int = 16,
        num_blocks: int = 2,
        num_heads: int = 2,
        ratio: str = "1:1",
        token_axis: str = "patch",
        patch_len: int = 16,
        patch_stride: int = 8,
        dropout: float = 0.2,
        model_kwargs: dict[str, Any] | None = None,
        model: str = "auto",
        max_epochs: int = 10,
        batch_size: int = 32,
        learning_rate: float = 2e-3,
        weight_decay: float = 0.05,
        loss: str = "mae",
        patience: int = 3,
        validation_size: int | float | None = None,
        refit: bool = True,
        accelerator: str = "auto",
        precision: str = "32-true",
        random_state: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.horizon = horizon
        self.lookback = lookback
        self.quantiles = quantiles
        self.levels = levels
        self.embedding_dim = embedding_dim
        self.num_blocks = num_blocks
        self.num_heads = num_heads
        self.ratio = ratio
        self.token_axis = token_axis
        self.patch_len = patch_len
        self.patch_stride = patch_stride
        self.dropout = dropout
        self.model_kwargs = model_kwargs
        self.model = model
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.loss = loss
        self.patience = patience
        self.validation_size = validation_size
        self.refit = refit
        self.accelerator = accelerator
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose
        super().__init__()
        # sktime keeps ``_y``/``_X`` only with config remember_data=True (off here, see _config); its
        # checks switch the config on after construction and then read ``_y``, so they always exist
        if not hasattr(self, "_y"):
            self._y = None
            self._X = None
        probabilistic = quantiles is not None or levels is not None
        self.set_tags(**{"capability:pred_int": probabilistic})

    # ------------------------------------------------------------------ sktime interface
    def _fit(self, y: pd.DataFrame, X: pd.DataFrame | None = None, fh: ForecastingHorizon | None = None):
        """Train the network on every column of ``y`` (``X``: future-known covariates)."""
        self.horizon_ = self._resolve_horizon(fh, len(y))
        self._y_columns = list(y.columns)
        self._x_columns = None if X is None else list(X.columns)
        self._cur_y = y.copy()
        self._cur_X = None if X is None else X.copy()
        self._train()
        return self

    def _predict(self, fh: ForecastingHorizon, X: pd.DataFrame | None = None) -> pd.DataFrame:
        """Point forecasts at the (out-of-sample) ``fh``."""
        table, steps, index = self._forecast(fh, X)
        values = {name: table[_series_name(k)].to_numpy()[steps - 1] for k, name in enumerate(self._y_columns)}
        return pd.DataFrame(values, index=index, columns=self._y_columns)

    def _predict_quantiles(self, fh: ForecastingHorizon, X: pd.DataFrame | None, alpha: list[float]) -> pd.DataFrame:
        """Quantile forecasts: interpolated quantile-head outputs, else conformal interval ends."""
        table, steps, index = self._forecast(fh, X)
        columns = []
        for k in range(len(self._y_columns)):
            for a in alpha:
                columns.append(self._quantile(table, _series_name(k), float(a))[steps - 1])
        frame = pd.DataFrame(np.column_stack(columns), index=index)
        frame.columns = self._get_columns(method="predict_quantiles", alpha=alpha)
        return frame

    def _predict_interval(self, fh: ForecastingHorizon, X: pd.DataFrame | None, coverage: list[float]) -> pd.DataFrame:
        """Intervals: conformal ones for coverages in ``levels``, quantile ones otherwise."""
        table, steps, index = self._forecast(fh, X)
        columns = []
        for k in range(len(self._y_columns)):
            name = _series_name(k)
            for c in coverage:
                lower, upper = self._interval(table, name, float(c))
                columns.extend([lower[steps - 1], upper[steps - 1]])
        frame = pd.DataFrame(np.column_stack(columns), index=index)
        frame.columns = self._get_columns(method="predict_interval", coverage=coverage)
        return frame

    def _update(self, y: pd.DataFrame, X: pd.DataFrame | None = None, update_params: bool = True):
        """Append the new data to the forecast context; ``update_params=True`` retrains on all of it."""
        if list(y.columns) != self._y_columns:
            raise ValueError(
                f"update(y) has columns {list(y.columns)}, the forecaster was fitted on {self._y_columns}; pass the "
                f"same series"
            )
        self._cur_y = _append(self._cur_y, y)
        if self._x_columns is not None and X is not None:
            self._cur_X = _append(self._cur_X, self._checked_X(X, "update(X)"))
        if update_params:
            self._train()
        return self

    def _check_fh(self, fh: Any, *args: Any, **kwargs: Any) -> Any:
        """sktime's check, with a fix named when ``fh`` reaches into the training data."""
        try:
            return super()._check_fh(fh, *args, **kwargs)
        except NotImplementedError as err:
            if "in-sample" not in str(err):
                raise
            raise InSampleForecastError(
                f"{err}. {type(self).__name__} forecasts only the steps after the cutoff {self.cutoff[0]!r}: pass a "
                f"relative fh of steps >= 1 (e.g. fh=[1, 2, 3]) or absolute time points after the cutoff. For "
                f"in-sample errors backtest instead (sktime.forecasting.model_evaluation.evaluate with an "
                f"ExpandingWindowSplitter)"
            ) from None

    @classmethod
    def get_test_params(cls, parameter_set: str = "default") -> list[dict[str, Any]]:
        """Two tiny configurations for sktime's checks: point forecasts, and a quantile network.

        Both train one epoch of a 1-block, 8-wide network on windows of 8 steps (patches of 4), so
        sktime's test series (15-50 points) fit and each fit takes a fraction of a second on a CPU.
        """
        tiny = {
            "lookback": 8,
            "embedding_dim": 8,
            "num_blocks": 1,
            "num_heads": 1,
            "patch_len": 4,
            "patch_stride": 2,
            "max_epochs": 1,
            "random_state": 0,
            "verbose": 0,
            "accelerator": "cpu",
        }
        point = {**tiny, "model": "xlstm", "validation_size": 0, "refit": False}
        quantile = {**tiny, "quantiles": [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95], "token_axis": "variate"}
        return [point, quantile]

    # ------------------------------------------------------------------ internals
    def _resolve_horizon(self, fh: ForecastingHorizon | None, n: int) -> int:
        if self.horizon is not None:
            return int(self.horizon)
        if fh is not None:
            return int(np.max(fh.to_relative(self.cutoff).to_numpy()))
        return max(1, min(DEFAULT_HORIZON, n // 4))

    def _estimator(self) -> XLSTMForecaster:
        x_names = [_covariate_name(j) for j in range(len(self._x_columns or []))]
        return XLSTMForecaster(
            horizon=self.horizon_,
            lookback=self.lookback,
            quantiles=self.quantiles,
            levels=self.levels,
            future_covariates=x_names or None,
            target_cols=[_series_name(k) for k in range(len(self._y_columns))],
            time_col=_TIME,
            embedding_dim=self.embedding_dim,
            num_blocks=self.num_blocks,
            num_heads=self.num_heads,
            ratio=self.ratio,
            token_axis=self.token_axis,
            patch_len=self.patch_len,
            patch_stride=self.patch_stride,
            dropout=self.dropout,
            model_kwargs=self.model_kwargs,
            model=self.model,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            loss=self.loss,
            patience=self.patience,
            validation_size=self.validation_size,
            refit=self.refit,
            accelerator=self.accelerator,
            precision=self.precision,
            random_state=self.random_state,
            verbose=self.verbose,
        )

    def _train(self) -> None:
        """(Re)fit ``forecaster_`` on the whole context ``_cur_y`` (and ``_cur_X``)."""
        frame = self._wide_frame(self._cur_y)
        self.forecaster_ = self._estimator().fit(frame)
        self.lookback_ = self.forecaster_.lookback_
        self._fitted_end = self._cur_y.index[-1]

    def _wide_frame(self, y: pd.DataFrame) -> pd.DataFrame:
        """``y`` (and its rows of ``_cur_X``) as XLSTMForecaster's wide frame."""
        columns: dict[str, Any] = {_TIME: _time_values(y.index)}
        for k in range(len(self._y_columns)):
            columns[_series_name(k)] = y.iloc[:, k].to_numpy(dtype=np.float64)
        if self._x_columns is not None:
            exog = self._cur_X.reindex(y.index)
            for j, column in enumerate(self._x_columns):
                columns[_covariate_name(j)] = exog[column].to_numpy(dtype=np.float64, na_value=np.nan)
        return pd.DataFrame(columns)

    def _forecast(self, fh: ForecastingHorizon, X: pd.DataFrame | None) -> tuple[pd.DataFrame, np.ndarray, pd.Index]:
        """XLSTMForecaster's output for steps 1..max(fh) after the cutoff, the (1-based) steps of
        ``fh`` and its absolute index."""
        steps = np.asarray(fh.to_relative(self.cutoff).to_numpy(), dtype=np.int64)
        if steps.min() < 1:  # sktime refuses these first (capability:insample is False)
            raise InSampleForecastError(f"fh steps {steps.tolist()} reach the cutoff or before; pass steps >= 1")
        h = int(steps.max())
        context = self._cur_y.loc[self._cur_y.index <= self.cutoff[0]]
        df = None if context.index[-1] == self._fitted_end else self._wide_frame(context.iloc[-max(self.lookback_, 3):])
        future = self._future_frame(h, X, fh)
        table = self.forecaster_.predict(df, h=h, future=future)
        return table, steps, fh.to_absolute_index(self.cutoff)

    def _future_frame(self, h: int, X: pd.DataFrame | None, fh: ForecastingHorizon) -> pd.DataFrame | None:
        """The covariates of the whole forecast blocks after the cutoff (None without ``X`` in fit)."""
        if self._x_columns is None:
            return None
        n = math.ceil(h / self.horizon_) * self.horizon_
        wanted = ForecastingHorizon(np.arange(1, n + 1), is_relative=True, freq=fh.freq).to_absolute_index(self.cutoff)
        pool = self._cur_X if X is None else _append(self._cur_X, self._checked_X(X, "predict(X)"))
        rows = pool.reindex(wanted)
        missing = rows.isna().any(axis=1).to_numpy()
        if missing.any():
            raise ValueError(
                f"X lacks exogenous values for {int(missing.sum())} of the {n} steps after the cutoff "
                f"{self.cutoff[0]!r} that the forecast reads (first: {wanted[np.flatnonzero(missing)[0]]!r}): the "
                f"network forecasts whole blocks of horizon={self.horizon_} steps and reads X for every step of "
                f"them. Pass X covering {wanted[0]!r} .. {wanted[-1]!r} without missing values"
                + (f", or fit with horizon={h}" if n > h else "")
            )
        columns = {_TIME: _time_values(wanted)}
        for j, column in enumerate(self._x_columns):
            columns[_covariate_name(j)] = rows[column].to_numpy(dtype=np.float64)
        return pd.DataFrame(columns)

    def _checked_X(self, X: pd.DataFrame, what: str) -> pd.DataFrame:
        missing = [c for c in self._x_columns if c not in X.columns]
        if missing:
            raise ValueError(
                f"{what} lacks the exogenous column(s) {missing} seen in fit (fit's X had {self._x_columns}); pass "
                f"X with the same columns"
            )
        return X[self._x_columns]

    def _quantile(self, table: pd.DataFrame, name: str, alpha: float) -> np.ndarray:
        """Quantile ``alpha`` of series ``name`` at every output step."""
        trained = self.forecaster_.quantiles_
        if trained is not None:
            if not trained[0] - 1e-12 <= alpha <= trained[-1] + 1e-12:
                raise ValueError(
                    f"alpha={alpha} lies outside the quantile levels the network was trained for ({trained[0]} .. "
                    f"{trained[-1]}): quantiles are interpolated between trained levels, never extrapolated; pass "
                    f"quantiles= including {alpha} to {type(self).__name__}"
                )
            values = np.column_stack([self._quantile_column(table, name, q) for q in trained])
            return np.array([np.interp(alpha, trained, row) for row in values])
        for level in self._conformal_levels():
            for side, end in (("lo", 0.5 - level / 200), ("hi", 0.5 + level / 200)):
                if math.isclose(alpha, end, abs_tol=1e-9):
                    return table[f"{name}-{side}-{level}"].to_numpy()
        ends = sorted(e for lv in self._conformal_levels() for e in (0.5 - lv / 200, 0.5 + lv / 200))
        raise ValueError(
            f"alpha={alpha} is not available: without quantiles= the forecaster has only the ends of its conformal "
            f"intervals (levels={list(self._conformal_levels())}: alpha in {[round(e, 6) for e in ends]}); pass "
            f"quantiles= (e.g. [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]) to {type(self).__name__} for other levels"
        )

    def _quantile_column(self, table: pd.DataFrame, name: str, level: float) -> np.ndarray:
        """The trained quantile ``level``; the median is the point column unless it was requested."""
        column = quantile_column(name, level)
        return table[column if column in table.columns else name].to_numpy()

    def _interval(self, table: pd.DataFrame, name: str, coverage: float) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper end of the ``coverage`` interval of series ``name``."""
        for level in self._conformal_levels():
            if math.isclose(coverage * 100, level, abs_tol=1e-9):
                return table[f"{name}-lo-{level}"].to_numpy(), table[f"{name}-hi-{level}"].to_numpy()
        if self.forecaster_.quantiles_ is None:
            raise ValueError(
                f"coverage={coverage} is not available: the conformal intervals were calibrated for "
                f"levels={list(self._conformal_levels())} (coverage {[lv / 100 for lv in self._conformal_levels()]}); "
                f"add {coverage * 100:g} to levels= or pass quantiles= to {type(self).__name__}"
            )
        return self._quantile(table, name, 0.5 - coverage / 2), self._quantile(table, name, 0.5 + coverage / 2)

    def _conformal_levels(self) -> tuple[Any, ...]:
        widths = self.forecaster_.state_.interval_widths
        return tuple(widths) if widths else ()


# ---------------------------------------------------------------------- helpers
def _series_name(k: int) -> str:
    """Internal name of the k-th column of ``y`` (names never clash with the time or X columns)."""
    return f"y{k}"


def _covariate_name(j: int) -> str:
    """Internal name of the j-th column of ``X``."""
    return f"x{j}"


def _time_values(index: pd.Index) -> Any:
    """An sktime time index as XLSTMForecaster's time axis: timestamps or int64 steps."""
    if isinstance(index, pd.PeriodIndex):
        return index.to_timestamp(how="start")
    if isinstance(index, pd.DatetimeIndex):
        return index
    if pd.api.types.is_integer_dtype(index) and not pd.api.types.is_bool_dtype(index):
        return index.to_numpy(dtype=np.int64)
    raise TypeError(
        f"XLSTMSktimeForecaster needs a DatetimeIndex, PeriodIndex or integer index (RangeIndex too); got a "
        f"{type(index).__name__} of dtype {index.dtype}: convert the index first"
    )


def _append(old: pd.DataFrame | None, new: pd.DataFrame | None) -> pd.DataFrame | None:
    """``old`` with the rows of ``new`` added (``new`` wins where both have a time point), sorted."""
    if new is None or len(new) == 0:
        return old
    if old is None:
        return new.copy()
    combined = pd.concat([old, new])
    return combined[~combined.index.duplicated(keep="last")].sort_index()
