"""``XLSTMForecaster``: a scikit-learn-style estimator around the xLSTM forecasting network.

>>> model = XLSTMForecaster(horizon=24).fit(df)   # doctest: +SKIP
>>> model.predict()                                # the next 24 steps of every series

See ``docs/forecaster.md`` for a worked example and the design notes.
"""

from __future__ import annotations

import dataclasses
import numbers
import time
import warnings
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from xlstm_ts.forecasting import frames
from xlstm_ts.forecasting.conformal import calibrate, check_levels, interval_columns, minimum_scores, network_residuals
from xlstm_ts.forecasting.frames import FrameLayout, Series
from xlstm_ts.forecasting.preparation import NoValidationWarning, held_out_steps, loaders, prepare
from xlstm_ts.forecasting.rolling import Context, RecursiveForecastWarning, blocks_needed, forecast
from xlstm_ts.forecasting.selection import (
    MODELS,
    baseline_forecast,
    baseline_residuals,
    choose,
    history_steps,
    kept_history,
    label,
    mean_residuals,
    uses_network,
)
from xlstm_ts.forecasting.state import FittedState, requested_levels, trained_levels
from xlstm_ts.models.forecast_network import ForecastNetwork
from xlstm_ts.training.config import TrainConfig

MAX_DEFAULT_LOOKBACK = 512
"""Upper bound of the lookback derived when ``lookback=None``."""
MIN_DEFAULT_LOOKBACK = 16
"""Lower bound of the derived lookback (before capping by the series length)."""
DATA_PER_LOOKBACK = 20
"""The derived lookback is at most 1/20 of the shortest series (whole seasonal periods), unless
2 * horizon or 16 is longer: on ETTh1 "OT" with 720 rows, lookback 48 beat 168 clearly."""

_MODEL_KEYWORDS = (
    "embedding_dim",
    "num_blocks",
    "num_heads",
    "ratio",
    "token_axis",
    "patch_len",
    "patch_stride",
    "dropout",
)
"""Network settings that are keyword arguments of the estimator (the rest go in ``model_kwargs``)."""


class XLSTMForecaster(BaseEstimator):
    """Forecast one or many time series with one global xLSTM network.

    ``XLSTMForecaster(horizon=24).fit(df).predict()`` returns the next 24 steps of every series of
    ``df`` as a frame of the same library (pandas, polars; numpy arrays too) and form (wide or long).

    Input forms (column names configurable):

    * **long**: columns ``unique_id``, ``ds``, ``y`` (+ covariates), one row per series and
      time step; chosen whenever the frame has the ``id_col`` column.
    * **wide**: a time axis (the ``time_col`` column, else a ``DatetimeIndex``, else the only datetime
      column) and one numeric column per series: those of ``target_cols``, or (None) every column
      that is not the time axis or a covariate.
    * a 2-D numpy array (n_steps, n_series): wide, with integer time steps.

    Every series is scaled by its own mean and standard deviation (of its training part) and all
    series train one network (global, channel-independent model). Several columns of a wide frame
    are several series of that model.

    Parameters
    ----------
    horizon : int, default=24
        Steps forecast by one network pass (H). ``predict(h=...)`` beyond it rolls forward.
    lookback : int or None, default=None
        Input window length (L). None derives it from the data: 4 seasonal periods of the
        frequency (7 days for hourly data), but at most 1/20 of the shortest series (in whole
        seasonal periods; short data generalizes better with short windows), at least
        ``2 * horizon`` and 16, at most 512, and capped so that the shortest series still yields a
        training window (and, if possible, validation). Hourly: 168 from 3360 steps on, 48 for 720.
    freq : str or int or None, default=None
        Time step as a pandas alias ("h", "15min", "D", "W", "MS", ...) or an int step for integer
        time axes. None infers it; with it given, absent steps count as missing values.
    quantiles : list of float or None, default=None
        Quantile levels in (0, 1), e.g. ``[0.1, 0.5, 0.9]``: trains with the pinball loss and
        ``predict`` adds one column ``<name>_q<level>`` per level. The median (0.5) is always
        trained and is the point forecast.
    levels : list of float or None, default=None
        Coverage percentages of conformal prediction intervals, e.g. ``[80, 95]``: ``predict`` adds
        ``<name>-lo-<level>`` and ``<name>-hi-<level>`` columns around the point forecast,
        calibrated per horizon step on the errors of the held-out validation windows (never on
        training windows; see :mod:`xlstm_ts.forecasting.conformal`). Works with and without
        ``quantiles``. A level needs enough validation windows (4 for 80 %, 19 for 95 %).
    future_covariates : list or None, default=None
        Columns known in advance (calendar features, planned prices, weather forecasts...):
        ``predict`` then needs ``future=`` with their values after each series' end (see
        :meth:`predict`).
    past_covariates : list or None, default=None
        Columns observed with the target but not known ahead (e.g. measured temperature): the
        network reads their history only; ``future=`` never carries them. Forecasts longer than
        ``horizon`` (recursive) are refused, as they would need the unknown values.
    static_covariates : list or None, default=None
        Long form only: columns with one value per series (e.g. a store's size or a region
        code), constant on every row of a series (an error says where not); standardized across
        the series.

        Every covariate reaches the target's forecast: in "patch" mode each patch token embeds
        the covariates of its window positions, in "variate" mode the target is the last token
        so the causal stack has read every covariate, and a linear map of the whole window is
        added; with covariates that map starts at a ridge regression fitted in closed form (kept
        only if it beats the untrained start on validation; ``fit_info_["covariate_head"]``), so
        training begins from the best linear model of history and covariates.
    target_cols : list or None, default=None
        Wide form: the columns to forecast (one series each). Every other column must then be
        the time axis or a covariate: an extra column is an error that names it. None: every
        column that is not the time axis or a covariate is a series.
    id_col, time_col, target_col : str, default="unique_id", "ds", "y"
        Column names of the long form (``time_col`` also names the wide form's time column).
    fill_missing : {"raise", "interpolate", "ffill"}, default="raise"
        What to do with NaN values (and time steps absent from the grid of a given ``freq``):
        raise an error with their count and first position, interpolate linearly in time, or carry
        the last value forward. Infinite values always raise.
    leading_missing : {"raise", "drop"}, default="raise"
        A series that starts with missing values (e.g. a wide-frame column that begins later than
        the others) is never back-filled, which would invent history: "raise" makes it an error
        when ``fill_missing`` would fill it, "drop" starts that series at its first complete row.
    embedding_dim, num_blocks, num_heads, ratio, token_axis, patch_len, patch_stride, dropout
        Network settings (see :class:`xlstm_ts.models.XLSTMForecastConfig`): width, number of
        blocks, heads, mLSTM:sLSTM ratio "a:b", "patch" (patches as tokens, channel-independent) or
        "variate" (one token per channel, mixes the covariates), patch length and stride, block
        dropout. Defaults: the project's tuned defaults of ``XLSTMForecastConfig`` (16, 2, 2, "1:1",
        "patch", 16, 8, 0.2).
    model_kwargs : dict or None, default=None
        Any other field of ``XLSTMForecastConfig`` (e.g. ``{"revin": False, "decomposition":
        True, "embedding_dropout": 0.1, "backend": "torch"}``); ``lookback``/``horizon`` and the
        keywords above are refused.
    model : {"auto", "xlstm"}, default="auto"
        "auto": after training, the best on the held-out validation windows (mean absolute error
        in each series' scaled units) of seasonal naive, naive, Theta, damped-trend ETS, the
        network and every equal-weight mean of two or more of them forecasts, simplest first: the
        network (alone or in a mean) only if it beats every candidate without it, so the default is never worse
        than seasonal naive on that backtest. ``fit_info_["model"]`` and
        ``fit_info_["model_selection"]`` say what was chosen and why. "xlstm" always uses the network.
        Quantile models always use the network.
    max_epochs, batch_size, learning_rate, weight_decay : int, int, float, float
        Training budget (AdamW, warm-up + cosine schedule); defaults 10, 32, 2e-3, 0.05 as in
        :class:`xlstm_ts.training.TrainConfig`.
    loss : {"mse", "mae"}, default="mae"
        Training loss of point forecasts (quantile models use the pinball loss).
    patience : int, default=3
        Early stopping: epochs without a better validation loss (0 = never stop early).
    validation_size : None, int or float, default=None
        Steps at the end of each series held out for validation: None = max(horizon, 10 %), a
        float = that fraction (at least ``horizon`` steps), an int >= horizon = that many steps,
        0 = no validation (train ``max_epochs``, no early stopping). Series too short keep every
        window for training; if none is long enough a ``NoValidationWarning`` says so.
    select_initial : bool, default=False
        Score the untrained network on validation too and keep it if no epoch beats it.
    accelerator : str, default="auto"
        Lightning accelerator ("cpu", "gpu", "auto"). Predictions always run on CPU.
    devices : int, list of int or str, default=1
        The one device to train on: 1, or e.g. ``[2]`` for the third GPU. Several devices are
        refused (multi-device training is the benchmark pipeline's: ``xlstm-ts fit --devices N``).
    precision : str, default="32-true"
        Lightning precision, e.g. "bf16-mixed" on GPUs.
    refit : bool, default=True
        After validation picked the number of epochs (the best validation epoch), train a fresh
        network on every window, validation steps included, for that many epochs, so the newest
        data shapes the weights (``fit_info_["refit"]``, ``fit_info_["refit_epochs"]``). The
        model choice (``model="auto"``) and the conformal intervals stay those measured on the
        validation run (they cannot be re-measured honestly on data the refit trained on).
        Skipped when there is no validation or a simple model was chosen. False: keep the
        validation run's network (about half the fit time).
    logger : None, "csv", "tensorboard" or a Lightning logger, default=None
        Opt-in training logs (losses per step and epoch): "csv" and "tensorboard" write under
        ``./lightning_logs/xlstm_ts/``; pass e.g. ``CSVLogger(save_dir)`` to choose the place. Not
        saved with the model (a logger object is stored as None).
    random_state : int, RandomState or None, default=None
        Seed of the weight initialization, shuffling and dropout: a fixed int makes ``fit``
        reproducible on the same machine. The global random state is left untouched.
    verbose : int, default=1
        0: silent; 1: progress bar; 2: Lightning's logs and model summary too.
    streaming : bool, default=False
        True: train :class:`xlstm_ts.models.streaming_net.StreamingForecastNet`, a network whose
        forecast advances row by row (causal non-overlapping patches, a head on the recurrent
        state, levels from the last patch): :meth:`update` then advances a recurrent state per
        series (one batched stack step when a patch completes) and ``predict()`` is one head
        application, instead of a pass over the lookback. Point forecasts of the target alone
        (no quantiles, no covariates); ``patch_stride`` is not used; lookback >= 2 * patch_len - 1.
        See ``docs/streaming.md`` for what the streamed forecast equals.

    Attributes
    ----------
    lookback_ : int
        The lookback used (derived when ``lookback=None``).
    freq_ : str or int
        The time step (pandas alias, or int for integer time axes).
    season_length_ : int
        Seasonal period of ``freq_`` in steps (24 for hourly, 7 daily, ...), used by MASE.
    series_ids_ : list
        Ids of the fitted series (long form) or the target column names (wide form).
    quantiles_ : tuple of float or None
        Quantile levels the network outputs (ascending, with 0.5).
    network_ : xlstm_ts.models.ForecastNetwork
        The trained network (CPU, eval mode).
    scalers_ : dict
        Per-series :class:`~xlstm_ts.data.scaling.StandardScaler` over (target, covariates).
    fit_info_ : dict
        Epochs, best epoch and validation loss, windows, validation hold-out, seed, seconds.
    n_features_in_ : int
        Number of columns of the fit frame.
    state_ : xlstm_ts.forecasting.state.FittedState
        All of the above in one object (what persistence and plotting take).
    """

    def __init__(
        self,
        horizon: int = 24,
        lookback: int | None = None,
        *,
        freq: str | int | None = None,
        quantiles: Sequence[float] | None = None,
        levels: Sequence[float] | None = None,
        future_covariates: Sequence[Hashable] | None = None,
        past_covariates: Sequence[Hashable] | None = None,
        static_covariates: Sequence[Hashable] | None = None,
        target_cols: Sequence[Hashable] | None = None,
        id_col: str = "unique_id",
        time_col: str = "ds",
        target_col: str = "y",
        fill_missing: str = "raise",
        leading_missing: str = "raise",
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
        select_initial: bool = False,
        accelerator: str = "auto",
        devices: int | str | list[int] = 1,
        precision: str = "32-true",
        refit: bool = True,
        logger: Any = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 1,
        streaming: bool = False,
    ) -> None:
        self.horizon = horizon
        self.lookback = lookback
        self.freq = freq
        self.quantiles = quantiles
        self.levels = levels
        self.future_covariates = future_covariates
        self.past_covariates = past_covariates
        self.static_covariates = static_covariates
        self.target_cols = target_cols
        self.id_col = id_col
        self.time_col = time_col
        self.target_col = target_col
        self.fill_missing = fill_missing
        self.leading_missing = leading_missing
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
        self.select_initial = select_initial
        self.accelerator = accelerator
        self.devices = devices
        self.precision = precision
        self.refit = refit
        self.logger = logger
        self.random_state = random_state
        self.verbose = verbose
        self.streaming = streaming

    # ------------------------------------------------------------------ fit
    def fit(self, df: Any, y: None = None) -> XLSTMForecaster:
        """Train on every series of ``df``; returns ``self``.

        Args:
            df: pandas or polars frame (wide or long form) or a 2-D numpy array.
            y: ignored (the targets are columns of ``df``); present for scikit-learn compatibility.
        """
        self._check_params()
        layout, series, freq = self._read_series(df, "fit(df)")
        return self._fit_series(layout, series, freq)

    def _read_series(self, df: Any, what: str) -> tuple[FrameLayout, list[Series], Any]:
        """The layout, the regular, filled series and the time step of a frame to fit on."""
        frame, library = frames.read_input(df, what)
        layout = frames.detect_layout(
            frame,
            library,
            id_col=self.id_col,
            time_col=self.time_col,
            target_col=self.target_col,
            **self._covariates(),
            target_cols=self._target_cols(),
        )
        series = frames.extract_series(frame, layout, what)
        freq = frames.infer_frequency(series, self.freq, layout.time_kind)
        series = [frames.regularize(s, freq, layout.time_kind) for s in series]
        series = [frames.fill_missing_values(s, self.fill_missing, what, layout, self.leading_missing) for s in series]
        return layout, series, freq

    def _fit_series(self, layout: FrameLayout, series: list[Series], freq: Any) -> XLSTMForecaster:
        """Train on prepared ``series`` (see :meth:`_read_series`); returns ``self``."""
        for s in series:  # a time axis that cannot be continued is refused before training
            frames.future_times(s.time[-1], freq, self.horizon, layout.time_kind, layout.time_col)
        season = frames.season_length(freq, layout.time_kind)
        lookback = self._resolve_lookback(series, freq, season)
        levels = trained_levels(self.quantiles)
        n_cov = len(layout.covariates)
        if layout.n_future and lookback < self.horizon:
            raise ValueError(
                f"future covariates need lookback >= horizon: the window of lookback={lookback} steps carries the "
                f"covariates of the forecast's steps, so with horizon={self.horizon} the first "
                f"{self.horizon - lookback} forecast step(s) would never see theirs. Pass lookback={self.horizon} "
                f"or more (the series need at least lookback + horizon = {2 * self.horizon} steps), or a shorter horizon"
            )
        model_config = self._model_config(lookback, n_cov, levels)  # invalid settings fail before training

        data = prepare(
            series,
            lookback,
            self.horizon,
            self.validation_size,
            columns=lambda s: (layout.target_col if layout.form == "long" else s.id, *layout.covariates),
            n_past=layout.n_past,
            n_static=layout.n_static,
        )
        no_validation = data.val is None and self.validation_size not in (0, 0.0)
        if no_validation:
            longest = max(len(s) for s in series)
            need = lookback + self.horizon + held_out_steps(longest, self.horizon, self.validation_size)
            warnings.warn(
                f"no validation: no series is long enough to hold out validation windows (the longest has "
                f"{longest} time steps; lookback={lookback} + horizon={self.horizon} + the held-out steps need "
                f"{need}); training for max_epochs={self.max_epochs} epochs without early stopping",
                NoValidationWarning,
                stacklevel=2,
            )
        intervals = check_levels(self.levels)
        if intervals:
            need = max(minimum_scores(level) for level in intervals)
            if data.n_val_windows < need:
                raise ValueError(
                    f"levels={list(intervals)}: the intervals are calibrated on held-out validation windows and "
                    f"need at least {need}; the validation hold-out gives {data.n_val_windows}. Hold out more "
                    f"steps (validation_size=...), give more or longer series, or ask for lower levels"
                )
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        train_config = TrainConfig(
            max_epochs=self.max_epochs,
            learning_rate=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
            loss=self.loss,
            patience=self.patience,
            select_initial=bool(self.select_initial),
            seed=seed,
            accelerator=self.accelerator,
            devices=self.devices,
            precision=self.precision,
        )
        outcome, covariate_start = self._train(layout, model_config, lookback, levels, data, train_config)
        info = {
            "epochs": outcome.epochs,
            "best_epoch": outcome.best_epoch,
            "diverged_epoch": outcome.diverged_epoch,
            "best_val_loss": outcome.best_val_loss,
            "early_stopping": outcome.early_stopping,
            "train_windows": data.n_train_windows,
            "val_windows": data.n_val_windows,
            "train_seconds": outcome.train_seconds,
            "seed": seed,
            "calibration_windows": data.n_val_windows if intervals else 0,
            "validation": _describe_validation(data.validation_steps),
            "validation_steps": {_json_id(s.id): n for s, n in zip(series, data.validation_steps, strict=True)},
            "covariates": {
                "future": [_json_id(c) for c in layout.future_covariates],
                "past": [_json_id(c) for c in layout.past_covariates],
                "static": [_json_id(c) for c in layout.static_covariates],
            },
        }
        if covariate_start is not None:
            info["covariate_head"] = covariate_start
        history = history_steps(series, lookback)
        chosen, scores = self._select_model(outcome.network, data, series, season, history, levels, info)
        network = self._refit(layout, model_config, lookback, levels, series, data, train_config, outcome, chosen,
                              covariate_start, info)
        state = FittedState(
            layout=layout,
            freq=freq,
            season_length=season,
            lookback=lookback,
            quantiles=levels,
            requested_quantiles=requested_levels(self.quantiles),
            series_ids=[s.id for s in series],
            scalers={s.id: scaler for s, scaler in zip(series, data.scalers, strict=True)},
            model_config=model_config,
            network=network,
            fit_info=info,
            context_target=np.stack([s.target[-lookback:] for s in series]),
            context_covariates=np.stack([s.covariates[-lookback:] for s in series]),
            last_times=[s.time[-1] for s in series],
            n_features_in=len(layout.columns),
            interval_widths=calibrate(scores, intervals) if intervals and scores is not None else None,
            chosen_model=chosen,
            ensemble_members=tuple(info["ensemble_members"]) if chosen == "ensemble" else None,
            history_target=kept_history(series, history),
        )
        if self.streaming:  # the network's recurrent state per kept series, advanced by update()
            from xlstm_ts.forecasting.streaming import start_stream

            state = start_stream(state)
        return self._adopt(state)

    def _build_network(
        self, layout: FrameLayout, model_config: dict[str, Any], lookback: int, levels: tuple[float, ...] | None
    ) -> ForecastNetwork:
        """A fresh (untrained) network for ``layout``'s covariates (draws from torch's RNG)."""
        if self.streaming:
            from xlstm_ts.forecasting.streaming import streaming_network

            return streaming_network(layout, model_config, levels)
        from xlstm_ts.models.forecast_network import backbone_channels
        from xlstm_ts.models.registry import build_network

        n_cov = len(layout.covariates)
        n_channels, output_channels = backbone_channels(model_config["token_axis"], n_cov)
        _, backbone = build_network("xlstm", model_config, n_channels=n_channels, output_channels=output_channels)
        network = ForecastNetwork(
            backbone, self.horizon, lookback, n_cov, len(levels) if levels else 0,
            n_past=layout.n_past, n_static=layout.n_static,
        )
        if n_cov:
            network.zero_backbone_outputs()  # training starts from the linear (ridge) start
        return network

    def _train(
        self,
        layout: FrameLayout,
        model_config: dict[str, Any],
        lookback: int,
        levels: tuple[float, ...] | None,
        data: Any,
        train_config: TrainConfig,
        covariate_penalty: float | str | None = "choose",
        epochs: bool = True,
    ) -> tuple[Any, dict[str, Any] | None]:
        """Build, warm-start and train a network on ``data`` with the core; returns the
        :class:`~xlstm_ts.training.trainer.TrainOutcome` and what the covariate start did.

        ``covariate_penalty``: "choose" (the ridge start's penalty is chosen on validation), a
        float (that penalty) or None (the covariate head starts at zero). ``epochs=False``: only the
        ridge start, no gradient training (the refit of a ridge start that no epoch beat)."""
        from dataclasses import replace

        from torch.utils.data import DataLoader

        from xlstm_ts.forecasting.covariate_head import start_covariate_head
        from xlstm_ts.training.trainer import TrainOutcome, make_logger, train_network  # predicting never loads Lightning

        cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(train_config.seed)
            network = self._build_network(layout, model_config, lookback, levels)
            train_loader, val_loader = loaders(data, self.batch_size, train_config.seed)
            covariate_start = None
            if network.covariate_head is not None and covariate_penalty is not None:
                in_order = DataLoader(data.train, batch_size=512)
                penalty = None if covariate_penalty == "choose" else float(covariate_penalty)
                covariate_start = start_covariate_head(network, in_order, val_loader, penalty)
                if covariate_start["start"] == "ridge" and val_loader is not None:
                    # the ridge start is a fitted model: training keeps it unless an epoch beats it
                    train_config = replace(train_config, select_initial=True)
            if not epochs:
                return TrainOutcome(network.cpu().eval(), 0, -1, None, None, False, 0.0), covariate_start
            outcome = train_network(
                network,
                train_loader,
                val_loader,
                train_config,
                quantiles=levels,
                progress="bar" if self.verbose > 0 else "none",
                verbose_logs=self.verbose > 1,
                logger=make_logger(self.logger),
            )
        return outcome, covariate_start

    def _refit(
        self,
        layout: FrameLayout,
        model_config: dict[str, Any],
        lookback: int,
        levels: tuple[float, ...] | None,
        series: list[Series],
        data: Any,
        train_config: TrainConfig,
        outcome: Any,
        chosen: str,
        covariate_start: dict[str, Any] | None,
        info: dict[str, Any],
    ) -> ForecastNetwork:
        """With ``refit=True``: retrain on every window (validation included) for the epochs that
        validation picked; records why or why not in ``info["refit"]``. Returns the network to keep."""
        from dataclasses import replace

        if not self.refit:
            info["refit"] = {"done": False, "reason": "refit=False"}
            return outcome.network
        if data.val is None:
            info["refit"] = {"done": False, "reason": "no validation hold-out: the network already trained on every window"}
            return outcome.network
        if not uses_network(chosen, info.get("ensemble_members")):
            shown = label(info["ensemble_members"]) if chosen == "ensemble" else chosen
            info["refit"] = {"done": False, "reason": f"the chosen model is {shown}: the network does not forecast"}
            return outcome.network
        ridge = covariate_start is not None and covariate_start.get("start") == "ridge"
        if outcome.best_epoch < 0 and not ridge:
            info["refit"] = {"done": False, "reason": "the untrained weights were best on validation"}
            return outcome.network
        epochs = outcome.best_epoch + 1  # 0: the ridge start was best, refitted on every window alone
        full = prepare(
            series, lookback, self.horizon, 0,
            columns=lambda s: (layout.target_col if layout.form == "long" else s.id, *layout.covariates),
            n_past=layout.n_past, n_static=layout.n_static, reuse_scalers=data.scalers,
        )
        config = replace(train_config, max_epochs=max(epochs, 1), patience=0, select_initial=False)
        penalty = covariate_start.get("penalty") if covariate_start else None  # None: it started at zero
        start = time.perf_counter()
        refitted, _ = self._train(layout, model_config, lookback, levels, full, config, penalty, epochs=epochs > 0)
        info["refit"] = {"done": True, "epochs": epochs, "windows": full.n_train_windows,
                         "train_seconds": round(time.perf_counter() - start, 3)}
        info["refit_epochs"] = epochs
        return refitted.network

    def _select_model(
        self,
        network: ForecastNetwork,
        data: Any,
        series: list[Series],
        season: int,
        history: int,
        levels: tuple[float, ...] | None,
        info: dict[str, Any],
    ) -> tuple[str, np.ndarray | None]:
        """The model that forecasts (see :mod:`xlstm_ts.forecasting.selection`) and its held-out
        absolute errors (N, H) in scaled units (None without validation); records why in ``info``.
        The simple forecasts read up to ``history`` steps before each validation window."""
        if data.val is None:
            info["model"] = "xlstm"
            info["model_selection"] = {"reason": "no validation windows to compare on: the network is used"}
            return "xlstm", None
        residuals = {"xlstm": network_residuals(network, data.val, levels.index(0.5) if levels else None)}
        if self.model == "xlstm" or levels is not None:
            reason = "model='xlstm' forces the network" if self.model == "xlstm" else (
                "quantiles: only the network forecasts quantiles"
            )
            info["model"] = "xlstm"
            info["model_selection"] = {
                "reason": reason, "validation_mae": {"xlstm": float(np.abs(residuals["xlstm"]).mean())}
            }
            return "xlstm", residuals["xlstm"]
        args = (series, data.validation_steps, data.scalers, self.horizon, season, history)
        residuals["naive"] = baseline_residuals("naive", *args)
        residuals["theta"] = baseline_residuals("theta", *args)
        residuals["ets"] = baseline_residuals("ets", *args)
        if 1 < season <= history:
            residuals["seasonal_naive"] = baseline_residuals("seasonal_naive", *args)
        members, errors, reason = choose(residuals)
        chosen = members[0] if len(members) == 1 else "ensemble"
        if chosen == "ensemble":
            info["ensemble_members"] = list(members)
        if "seasonal_naive" not in residuals:
            reason += f" (seasonal naive left out: season {season} {'is 1' if season <= 1 else f'> history {history}'})"
        info["model"] = chosen
        info["model_selection"] = {
            "reason": reason, "chosen": label(members), "validation_mae": errors,
            "windows": int(residuals["xlstm"].shape[0]),
        }
        return chosen, mean_residuals(residuals, members)

    def _forecast(
        self, contexts: Sequence[Context], h: int, from_stream: bool = False
    ) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Per context, the point forecast (h,) and the quantiles (h, Q) or None, by the chosen model."""
        state = self.state_
        members = state.members()
        results: list[tuple[np.ndarray, np.ndarray | None]] | None = None
        if "xlstm" in members:
            if from_stream and getattr(state, "stream", None) is not None:  # streaming=True, the kept contexts
                from xlstm_ts.forecasting.streaming import stream_forecast

                results = stream_forecast(state, contexts, h)
            else:
                results = forecast(state.network, contexts, h, state.median_index)
            if members == ("xlstm",):
                return results
        out = []
        for k, c in enumerate(contexts):
            history = c.simple_input[-state.history_steps :]
            points = [results[k][0] if name == "xlstm" else baseline_forecast(name, history, h, state.season_length)
                      for name in members]
            out.append((np.mean(points, axis=0), None))
        return out

    def _adopt(self, state: FittedState) -> XLSTMForecaster:
        """Become the fitted model ``state`` (after ``fit`` and ``load``)."""
        self.state_ = state
        self.n_features_in_ = state.n_features_in
        names = state.feature_names
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):  # refitted on an array
            del self.feature_names_in_
        return self

    # ------------------------------------------------------------------ fitted attributes
    @property
    def layout_(self) -> FrameLayout:
        """Form, library and columns of the fit frame."""
        return self._state().layout

    @property
    def freq_(self) -> str | int:
        """The time step (pandas alias, or int for integer time axes)."""
        return self._state().freq

    @property
    def season_length_(self) -> int:
        """Seasonal period of ``freq_`` in steps."""
        return self._state().season_length

    @property
    def lookback_(self) -> int:
        """The lookback used (derived when ``lookback=None``)."""
        return self._state().lookback

    @property
    def quantiles_(self) -> tuple[float, ...] | None:
        """Quantile levels the network outputs (ascending, with 0.5), or None."""
        return self._state().quantiles

    @property
    def series_ids_(self) -> list[Hashable]:
        """Ids of the fitted series (long form) or the target column names (wide form)."""
        return self._state().series_ids

    @property
    def scalers_(self) -> dict[Hashable, Any]:
        """Per-series scalers over (target, covariates)."""
        return self._state().scalers

    @property
    def model_config_(self) -> dict[str, Any]:
        """The backbone's network config."""
        return self._state().model_config

    @property
    def network_(self) -> ForecastNetwork:
        """The trained network (CPU, eval mode)."""
        return self._state().network

    @property
    def fit_info_(self) -> dict[str, Any]:
        """Epochs, best epoch and validation loss, windows, validation hold-out, seed, seconds."""
        return self._state().fit_info

    def _state(self) -> FittedState:
        try:
            return self.__dict__["state_"]
        except KeyError:
            raise AttributeError(f"this {type(self).__name__} is not fitted yet: call fit() first") from None

    # ------------------------------------------------------------------ predict
    def predict(self, df: Any = None, h: int | None = None, *, future: Any = None) -> Any:
        """Forecast the ``h`` steps after the end of every series.

        Args:
            df: None: continue the series seen in ``fit`` (their last ``lookback_`` steps are kept).
                A frame (same columns as in ``fit``) or array: forecast from this new context, e.g.
                later data of the same series or new series (a new series is scaled by its own
                statistics). Each series needs at least ``lookback_`` steps.
            h: steps to forecast (default ``horizon``). Fewer: truncated. More: rolled forward on
                the model's own forecasts, with a :class:`RecursiveForecastWarning`.
            future: with ``future_covariates``: their values after each series' end, for
                ``ceil(h / horizon) * horizon`` steps (the network forecasts whole blocks of
                ``horizon`` steps). Long form: columns id, time, covariates; wide form: the time
                column (or DatetimeIndex) and the covariates; numpy: an array (steps, K) of the
                steps right after the end.

        Returns:
            A frame in the library and form of ``df`` (of the fit frame when ``df`` is None):
            long: id, time, target and ``<target>_q<level>`` columns; wide: the time axis and, per
            series, its point column then its quantile columns; numpy: the wide values.
        """
        check_is_fitted(self)
        h = self._check_h(h)
        layout, series = self._series_from(df, "predict(df)")
        contexts = self._contexts(series, layout, h, future)
        if df is None:  # the kept series: the simple forecasts read their longer kept history
            contexts = [dataclasses.replace(c, history=self.state_.simple_history(k)) for k, c in enumerate(contexts)]
        if h > self.horizon and "xlstm" in self.state_.members():
            warnings.warn(
                f"h={h} is longer than the trained horizon={self.horizon}: forecasting recursively in "
                f"{blocks_needed(h, self.horizon)} blocks, each fed the previous blocks' point forecasts as "
                f"inputs; errors compound, quantile bands after step {self.horizon} are too narrow, and conformal "
                f"intervals (levels) are NaN there (they are calibrated for the trained steps only). "
                f"Train with horizon={h} for direct forecasts",
                RecursiveForecastWarning,
                stacklevel=2,
            )
        results = self._forecast(contexts, h, from_stream=df is None)
        times = [frames.future_times(s.time[-1], self.freq_, h, layout.time_kind, layout.time_col) for s in series]
        points = [point for point, _ in results]
        quantiles = self._quantile_columns(results)
        intervals = self._interval_columns(points, contexts)
        return frames.build_output(layout, [s.id for s in series], times, points, quantiles, intervals)

    # ------------------------------------------------------------------ streaming
    def update(self, df_new: Any, *, new_series: str = "raise") -> XLSTMForecaster:
        """Append new observations to the kept context of every series, without refitting.

        ``predict()`` then forecasts from the new end, equal (within float tolerance) to
        ``predict(history + new rows)``; memory stays bounded by ``lookback_`` steps per series.
        ``df_new`` has the form of the fit frame (long or wide, pandas or polars; an array for a
        model fitted on one). ``new_series="add"`` lets unseen ids of a long frame join (with at
        least ``lookback_`` rows). All or nothing: a refused row leaves the model unchanged.
        See :mod:`xlstm_ts.forecasting.streaming` for the rules.
        """
        from xlstm_ts.forecasting.streaming import update

        return update(self, df_new, new_series=new_series)

    # ------------------------------------------------------------------ backtests
    def cross_validation(
        self,
        df: Any,
        n_windows: int = 3,
        step_size: int | None = None,
        refit: bool = False,
        future: Any = None,
    ) -> Any:
        """Rolling-origin backtest: how these settings would have forecast the end of each series.

        Each series gets ``n_windows`` windows of ``horizon`` steps, the last ending at the series'
        end and the others ``step_size`` (default ``horizon``) steps earlier each. A fresh copy of
        this estimator (same parameters; ``self`` is left untouched) is trained on the history
        before the first window (``refit=False``) or before every window (``refit=True``), so no
        forecast ever sees its own window's data in training.

        Args:
            df: a frame or array as for :meth:`fit`; covariates are read from it (``future`` must
                be None).
            n_windows: windows per series (>= 1).
            step_size: steps between window starts (>= 1; default ``horizon``).
            refit: retrain before every window (slower; each window's model has seen all history).
        Returns:
            A long frame (pandas; polars for polars input), one row per series x cutoff x step:
            ``id_col``, ``time_col``, ``cutoff`` (the last history step), ``target_col`` (the true
            value), ``forecast`` and, for quantile models, ``forecast_q<level>`` columns.
        """
        from sklearn.base import clone

        from xlstm_ts.forecasting.backtest import FORECAST_COLUMN, backtest_rows, plan_windows, truncate

        self._check_params()
        _check_int("n_windows", n_windows, 1)
        step = self.horizon if step_size is None else step_size
        _check_int("step_size", step, 1)
        if not isinstance(refit, (bool, np.bool_)):
            raise ValueError(f"refit must be True or False; got {refit!r}")
        if future is not None:
            raise ValueError("cross_validation() reads the covariates of every window from df; leave future= out")
        layout, series, freq = self._read_series(df, "cross_validation(df)")
        horizon = int(self.horizon)
        min_history = horizon + (int(self.lookback) if self.lookback is not None else MIN_DEFAULT_LOOKBACK)
        plan = plan_windows(series, horizon, n_windows, step, min_history)
        model: XLSTMForecaster | None = None
        parts = []
        for windows in plan:
            if model is None or refit:
                model = clone(self)
                model._fit_series(layout, [truncate(series[w.series_index], w.start) for w in windows], freq)
            state = model.state_
            chosen = [series[w.series_index] for w in windows]
            contexts = [
                Context(s.target[: w.start], s.covariates[: w.start + horizon], state.scaler_for(s))
                for s, w in zip(chosen, windows, strict=True)
            ]
            results = model._forecast(contexts, horizon)
            for s, w, (point, quantiles) in zip(chosen, windows, results, strict=True):
                extra = {}
                if quantiles is not None and state.quantiles is not None:
                    for level in state.requested_quantiles or ():
                        column = frames.quantile_column(FORECAST_COLUMN, level)
                        extra[column] = quantiles[:, state.quantiles.index(level)]
                if state.interval_widths is not None:
                    bounds = interval_columns(point, float(state.scaler_for(s).std_[0]), state.interval_widths)
                    extra.update({f"{FORECAST_COLUMN}-{suffix}": values for suffix, values in bounds.items()})
                parts.append(
                    backtest_rows(s, w, horizon, point, extra, id_col=self.id_col, time_col=self.time_col,
                                  target_col=self.target_col)
                )
        order = sorted(range(len(parts)), key=lambda i: (i % len(series), i // len(series)))  # by series, then cutoff
        result = pd.concat([parts[i] for i in order], ignore_index=True)
        if layout.library == "polars":
            import polars as pl

            return pl.from_pandas(result)
        return result

    # ------------------------------------------------------------------ scoring
    def evaluate(self, df: Any, *, n_windows: int = 1, future: Any = None) -> dict[str, float]:
        """Forecast the last ``n_windows`` blocks of ``horizon`` steps of every series of ``df``
        from the steps before them, and compare with the actual values.

        Covariates are taken from ``df`` itself. Returns ``mse``, ``mae``, ``mase`` (scaled by the
        in-sample seasonal-naive MAE of each window's history, ``season_length_``; the mean over
        windows), ``smape`` (percent), and for quantile models ``pinball`` and ``crps`` (over the
        requested levels), plus ``n_windows`` (windows in total).
        """
        from xlstm_ts import metrics

        check_is_fitted(self)
        if isinstance(n_windows, bool) or not isinstance(n_windows, numbers.Integral) or n_windows < 1:
            raise ValueError(f"n_windows must be an integer >= 1; got {n_windows!r}")
        if future is not None:
            raise ValueError("evaluate() reads the covariates from df; future= is not used")
        _, series = self._series_from(df, "evaluate(df)")
        H = self.horizon
        contexts, actuals, histories = [], [], []
        for s in series:
            need = self.lookback_ + n_windows * H
            if len(s) < need:
                raise ValueError(
                    f"series {s.id!r} has {len(s)} time steps; evaluating {n_windows} window(s) of horizon={H} "
                    f"after lookback={self.lookback_} steps of history needs at least {need}"
                )
            for w in range(n_windows, 0, -1):
                cut = len(s) - w * H
                contexts.append(Context(s.target[:cut], s.covariates[: cut + H], self.state_.scaler_for(s)))
                actuals.append(s.target[cut : cut + H])
                histories.append(s.target[:cut])
        results = self._forecast(contexts, H)
        point = np.stack([p for p, _ in results])
        true = np.stack(actuals)
        scores: list[float] = []
        for k, history in enumerate(histories):
            m = self.season_length_ if len(history) > self.season_length_ else 1
            try:
                scores.append(metrics.mase(true[k], point[k], history, m))
            except ValueError:  # constant history: no scale
                scores.append(float("nan"))
        out = {
            "mse": metrics.mse(true, point),
            "mae": metrics.mae(true, point),
            "mase": float(np.nanmean(scores)) if not np.all(np.isnan(scores)) else float("nan"),
            "smape": metrics.smape(true, point),
        }
        if self.quantiles_ is not None:
            requested = self.state_.requested_quantiles
            assert requested is not None
            index = [self.quantiles_.index(q) for q in requested]
            q_values = np.stack([q[:, index] for _, q in results])
            out["pinball"] = metrics.pinball_loss(true, q_values, requested)
            out["crps"] = metrics.crps_from_quantiles(true, q_values, requested)
        out["n_windows"] = len(contexts)
        return out

    def score(self, df: Any, y: None = None) -> float:
        """Minus the MASE of the last ``horizon`` steps of each series of ``df`` (greater is better,
        like scikit-learn's ``neg_*`` scores; see :meth:`evaluate`). ``y`` is ignored."""
        return -self.evaluate(df)["mase"]

    # ------------------------------------------------------------------ persistence, plotting
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to the directory ``path`` (safetensors weights + JSON; no pickle).

        Holds ``model.safetensors``/``model.json`` (the xLSTM backbone, readable by
        :func:`xlstm_ts.io.load_network`), ``forecaster.safetensors`` (covariate head, the kept
        contexts) and ``forecaster.json`` (parameters, scalers, frequency, columns, versions).
        """
        from xlstm_ts.forecasting.persistence import save_forecaster

        check_is_fitted(self)
        params = self.get_params(deep=False)
        if not isinstance(params.get("random_state"), (int, type(None))):
            params["random_state"] = None  # a RandomState object: the seed actually used is in fit_info
        if not isinstance(params.get("logger"), (str, type(None))):
            params["logger"] = None  # a logger object is not JSON; the model does not need it
        return save_forecaster(self.state_, params, path)

    @classmethod
    def load(cls, path: str | Path) -> XLSTMForecaster:
        """Load a model written by :meth:`save`, on CPU. Raises :class:`xlstm_ts.io.ModelFileError`
        (a ValueError) for a directory it cannot trust; never unpickles anything."""
        from xlstm_ts.forecasting.persistence import load_forecaster
        from xlstm_ts.io import ModelFileError

        params, state, where = load_forecaster(path)
        try:
            model = cls(**params)
        except TypeError as err:
            raise ModelFileError(f"{where} is malformed or incomplete: TypeError: {err}") from err
        return model._adopt(state)

    def plot(
        self,
        df: Any = None,
        forecast: Any = None,
        *,
        h: int | None = None,
        future: Any = None,
        series: Sequence[Hashable] | None = None,
        history: int | None = None,
        max_series: int = 4,
        title: str | None = None,
    ) -> Any:
        """A matplotlib Figure (Agg, never shown) of the history, the forecast and its quantile bands.

        Args:
            df: the history to draw (default: the kept context of the fit series); values of
                ``df`` after the forecast start are drawn as actuals.
            forecast: a frame returned by :meth:`predict` (default: ``predict(df, h, future=future)``).
            series: ids (long) or column names (wide) to draw (default: the first ``max_series``).
            history: steps of history drawn before the forecast (default ``lookback_``).
        """
        from xlstm_ts.forecasting.plotting import plot_forecasts

        check_is_fitted(self)
        layout, observed = self._series_from(df, "plot(df)")
        if forecast is None:
            forecast = self.predict(df, h, future=future)
        return plot_forecasts(
            self.state_, layout, observed, forecast, series=series, history=history, max_series=max_series, title=title
        )

    # ------------------------------------------------------------------ scikit-learn
    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags

    # ------------------------------------------------------------------ internals
    def _check_params(self) -> None:
        _check_int("horizon", self.horizon, 1)
        if self.lookback is not None:
            _check_int("lookback", self.lookback, 1)
        for name in ("max_epochs", "batch_size"):
            _check_int(name, getattr(self, name), 1)
        _check_int("patience", self.patience, 0)
        if not isinstance(self.verbose, numbers.Integral) or isinstance(self.verbose, bool):
            raise ValueError(f"verbose must be an integer (0, 1 or 2); got {self.verbose!r}")
        if self.fill_missing not in frames.MISSING_POLICIES:
            raise ValueError(f"fill_missing must be one of {frames.MISSING_POLICIES}; got {self.fill_missing!r}")
        if self.leading_missing not in frames.LEADING_POLICIES:
            raise ValueError(
                f"leading_missing must be one of {frames.LEADING_POLICIES}; got {self.leading_missing!r}"
            )
        if self.loss not in ("mse", "mae"):
            raise ValueError(f"loss must be 'mse' or 'mae'; got {self.loss!r}")
        if not isinstance(self.learning_rate, numbers.Real) or not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be a number > 0; got {self.learning_rate!r}")
        if not isinstance(self.weight_decay, numbers.Real) or self.weight_decay < 0:
            raise ValueError(f"weight_decay must be a number >= 0; got {self.weight_decay!r}")
        requested_levels(self.quantiles)
        check_levels(self.levels)
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}; got {self.model!r}")
        self._covariates()
        self._target_cols()
        if not isinstance(self.refit, (bool, np.bool_)):
            raise ValueError(f"refit must be True or False; got {self.refit!r}")
        if self.logger is not None and self.logger is not False and not isinstance(self.logger, str):
            if not hasattr(self.logger, "log_metrics"):
                raise ValueError(f"logger must be None, 'csv', 'tensorboard' or a Lightning Logger; got {self.logger!r}")
        elif isinstance(self.logger, str) and self.logger not in ("csv", "tensorboard"):
            raise ValueError(f"logger must be None, 'csv', 'tensorboard' or a Lightning Logger; got {self.logger!r}")
        vs = self.validation_size
        if vs is not None:
            if isinstance(vs, bool) or not isinstance(vs, numbers.Real):
                raise ValueError(f"validation_size must be None, an int or a float; got {vs!r}")
            if isinstance(vs, numbers.Integral):
                if vs != 0 and vs < self.horizon:
                    raise ValueError(
                        f"validation_size={vs} steps is shorter than horizon={self.horizon}: no validation window "
                        f"fits; use 0 (no validation), None (automatic) or an int >= horizon"
                    )
            elif not 0.0 <= float(vs) < 1.0:
                raise ValueError(f"a float validation_size is a fraction in [0, 1); got {vs!r}")
        _check_one_device(self.devices)
        from xlstm_ts.forecasting.streaming import check_streaming

        check_streaming(self)
        if not isinstance(self.select_initial, (bool, np.bool_)):
            raise ValueError(f"select_initial must be True or False; got {self.select_initial!r}")
        if not isinstance(self.precision, str):
            raise ValueError(f"precision must be a Lightning precision string such as '32-true'; got {self.precision!r}")
        if self.model_kwargs is not None and not isinstance(self.model_kwargs, dict):
            raise ValueError(f"model_kwargs must be a dict or None; got {type(self.model_kwargs).__name__}")

    def _covariates(self) -> dict[str, tuple[Hashable, ...]]:
        """The covariate lists checked, as keyword arguments of :func:`frames.detect_layout`."""
        out = {}
        for name, key in (("future_covariates", "covariates"), ("past_covariates", "past_covariates"),
                          ("static_covariates", "static_covariates")):
            out[key] = _column_list(name, getattr(self, name))
        return out

    def _target_cols(self) -> tuple[Hashable, ...] | None:
        if self.target_cols is None:
            return None
        targets = _column_list("target_cols", self.target_cols)
        if not targets:
            raise ValueError("target_cols must name at least one column (or be None: every other column)")
        return targets

    def _quantile_columns(
        self, results: list[tuple[np.ndarray, np.ndarray | None]]
    ) -> list[dict[float, np.ndarray]] | None:
        if self.quantiles_ is None:
            return None
        requested = self.state_.requested_quantiles or ()
        return [{q: values[:, self.quantiles_.index(q)] for q in requested} for _, values in results]

    def _interval_columns(
        self, points: Sequence[np.ndarray], contexts: Sequence[Context]
    ) -> list[dict[str, np.ndarray]] | None:
        widths = self.state_.interval_widths
        if widths is None:
            return None
        return [interval_columns(p, float(c.scaler.std_[0]), widths) for p, c in zip(points, contexts, strict=True)]

    def _check_h(self, h: Any) -> int:
        if h is None:
            return int(self.horizon)
        if isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1:
            raise ValueError(f"h must be an integer >= 1 (steps to forecast); got {h!r}")
        return int(h)

    def _resolve_lookback(self, series: list[Series], freq: Any, season: int) -> int:
        H = self.horizon
        shortest = min(series, key=len)
        T = len(shortest)
        patch = self._model_setting("token_axis") == "patch"
        minimum = int(self._model_setting("patch_len")) if patch else 1
        if self.streaming:  # whole patches ending up to patch_len - 1 steps before the window's end
            minimum = 2 * minimum - 1
        if self.lookback is not None:
            L = int(self.lookback)
            for s in series:
                if len(s) < L + H:
                    raise ValueError(
                        f"series {s.id!r} has {len(s)} time step(s) (n_samples={len(s)}), fewer than lookback={L} + "
                        f"horizon={H} = {L + H} needed for one training window; give longer series or a smaller "
                        f"lookback/horizon"
                    )
            return L
        periods = (
            7 if (isinstance(freq, str) and season == 24 and frames.rule_code(frames.to_offset(freq)) == "h") else 4
        )
        wanted = min(MAX_DEFAULT_LOOKBACK, max(periods * season, 2 * H, MIN_DEFAULT_LOOKBACK))
        budget = T // DATA_PER_LOOKBACK  # small data: short windows generalize better
        if budget >= season > 1:
            budget = budget // season * season  # whole seasonal periods
        wanted = min(wanted, max(budget, 2 * H, MIN_DEFAULT_LOOKBACK, minimum))
        if season > 1:
            wanted = max(wanted, season)  # at least one whole season (long seasons too), where the data allows
        wanted = max(wanted, minimum)  # e.g. streaming=True's 2 * patch_len - 1 above a short season's 4 periods
        room_with_validation = T - H - held_out_steps(T, H, self.validation_size)
        room = room_with_validation if room_with_validation >= minimum else T - H
        if room < minimum:
            raise ValueError(
                f"series {shortest.id!r} has {T} time step(s) (n_samples={T}), too few: horizon={H} plus the "
                f"shortest lookback {minimum}{' (patch_len)' if patch else ''} need {H + minimum}; give longer series, "
                f"a smaller horizon{' or patch_len' if patch else ''}"
            )
        return int(min(wanted, room))

    def _model_setting(self, name: str) -> Any:
        kwargs = self.model_kwargs or {}
        return kwargs.get(name, getattr(self, name))

    def _model_config(self, lookback: int, n_cov: int, levels: tuple[float, ...] | None) -> dict[str, Any]:
        from xlstm_ts.models.registry import config_class

        kwargs = dict(self.model_kwargs or {})
        clash = sorted(set(kwargs) & {*_MODEL_KEYWORDS, "lookback", "horizon"})
        if clash:
            raise ValueError(
                f"model_kwargs sets {clash}: set them as keyword arguments of XLSTMForecaster instead "
                f"(lookback and horizon too)"
            )
        if kwargs.get("cycle_length"):
            raise ValueError(
                "model_kwargs cycle_length: the estimator's network has no learnable cycle (the benchmark "
                "pipeline's option: it needs each window's phase in the file); leave cycle_length out"
            )
        values = {name: getattr(self, name) for name in _MODEL_KEYWORDS}
        values.update(kwargs)
        values["lookback"] = lookback
        values["horizon"] = self.horizon * (len(levels) if levels else 1)
        try:
            config = config_class("xlstm").from_dict(values)
        except (TypeError, ValueError) as err:
            raise ValueError(f"invalid network setting: {err}") from None
        return config.to_dict()

    def _series_from(self, df: Any, what: str) -> tuple[FrameLayout, list[Series]]:
        """The layout for outputs and the series of ``df`` (or the kept contexts when None)."""
        layout = self.layout_
        if df is None:
            return layout, self.state_.stored_series()
        frame, library = frames.read_input(df, what)
        if library == "numpy":
            if layout.library != "numpy":
                raise ValueError(
                    f"{what}: the model was fitted on a {layout.library} frame; pass a frame, not an array"
                )
            if frame.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {frame.shape[1]} features, but {type(self).__name__} is expecting {self.n_features_in_} "
                    f"features as input (one column per series, as in fit); pass an array with those columns"
                )
        else:
            if layout.library == "numpy":
                raise ValueError(f"{what}: the model was fitted on a numpy array; pass an array of the same columns")
            frames.check_same_columns(frame, layout, what)
        layout = _with_library(layout, library)
        series = frames.extract_series(frame, layout, what)
        for s in series:
            if len(s.time) >= 3 and layout.time_kind == "datetime":
                inferred = frames.infer_freq(s.time)
                if inferred is not None and frames.to_offset(inferred) != frames.to_offset(self.freq_):
                    raise ValueError(
                        f"{what}: series {s.id!r} has frequency {inferred!r}, the model was trained on {self.freq_!r}; "
                        f"pass data at the model's frequency (resample it) or fit a model on this frequency"
                    )
        series = [frames.regularize(s, self.freq_, layout.time_kind) for s in series]
        series = [frames.fill_missing_values(s, self.fill_missing, what, layout, self.leading_missing) for s in series]
        for s in series:
            if len(s) < self.lookback_:
                raise ValueError(
                    f"{what}: series {s.id!r} has {len(s)} time step(s); forecasting needs at least lookback="
                    f"{self.lookback_} steps of history: give a longer context"
                )
        return layout, series

    def _contexts(self, series: list[Series], layout: FrameLayout, h: int, future: Any) -> list[Context]:
        """What each series' forecast starts from: its history and, for future covariates, their
        values from ``future`` for whole blocks of ``horizon`` steps (past-only covariates are NaN
        there, never read; static ones keep their value)."""
        fitted = self.layout_
        n_future = fitted.n_future
        steps = blocks_needed(h, self.horizon) * self.horizon
        if fitted.n_past and steps > self.horizon:
            raise ValueError(
                f"h={h} is longer than horizon={self.horizon}: a recursive forecast would need the past-only covariates "
                f"{list(fitted.past_covariates)} of the steps being forecast, which are not known yet; train with "
                f"horizon={h} or leave past_covariates out"
            )
        if n_future == 0:
            if future is not None:
                raise ValueError("future= was given but the model has no future_covariates; leave it out")
            return [Context(s.target, self._extend(s, np.zeros((steps, 0))), self.state_.scaler_for(s), s.id)
                    for s in series]
        if future is None:
            raise ValueError(
                f"this model uses the future covariates {list(fitted.future_covariates)}: pass future= with their "
                f"values for the {steps} steps after each series' end (h={h} rounded up to whole blocks of "
                f"horizon={self.horizon})"
            )
        tables = frames.read_future(future, layout, self.id_col, "future")
        contexts = []
        for s in series:
            wanted = frames.future_times(s.time[-1], self.freq_, steps, layout.time_kind)
            values = frames.future_values(tables, s.id if layout.form == "long" else None, wanted, s.id)
            contexts.append(Context(s.target, self._extend(s, values), self.state_.scaler_for(s), s.id))
        return contexts

    def _extend(self, series: Series, future_values: np.ndarray) -> np.ndarray:
        """The series' covariates (T, K) followed by (f, K) future rows: ``future_values`` (f, n_future),
        NaN for the past-only covariates, the series' value for the static ones."""
        fitted = self.layout_
        k = len(fitted.covariates)
        if k == 0:
            return series.covariates
        f = len(future_values)
        past = np.full((f, fitted.n_past), np.nan)
        static = np.repeat(series.covariates[-1:, k - fitted.n_static :], f, axis=0)
        return np.concatenate([series.covariates, np.column_stack([future_values, past, static])])


def _describe_validation(steps: list[int]) -> str:
    held = [n for n in steps if n]
    if not held:
        return "none: trained max_epochs epochs without early stopping"
    low, high = min(held), max(held)
    span = f"{low}" if low == high else f"{low}-{high}"
    return f"the last {span} steps of {len(held)} of {len(steps)} series held out"


def _with_library(layout: FrameLayout, library: frames.Library) -> FrameLayout:
    if library == layout.library:
        return layout
    from dataclasses import replace

    return replace(layout, library=library)


def _check_one_device(devices: Any) -> None:
    """The estimator trains on one device: 1, or a one-element list of device indices."""
    one = (
        (isinstance(devices, numbers.Integral) and not isinstance(devices, bool) and devices == 1)
        or (isinstance(devices, (list, tuple)) and len(devices) == 1 and isinstance(devices[0], numbers.Integral))
    )
    if not one:
        raise ValueError(
            f"devices={devices!r}: XLSTMForecaster trains on one device (devices=1, or e.g. devices=[2] for the "
            f"third GPU); multi-device training is the benchmark pipeline's (xlstm-ts fit --devices N --strategy ddp)"
        )


def _column_list(name: str, value: Any) -> tuple[Hashable, ...]:
    """A list-of-column-names parameter checked (None -> ())."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a list of column names; got {value!r} (for one column: [{value!r}])")
    if len(set(value)) != len(value):
        raise ValueError(f"{name} has repeated names: {list(value)}")
    return tuple(value)


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")


def _json_id(value: Hashable) -> Any:
    return value if isinstance(value, (str, int, float)) else str(value)
