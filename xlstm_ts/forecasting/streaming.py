"""Streaming: new observations appended to a fitted forecaster's kept context, no refit.

:meth:`XLSTMForecaster.update` (:func:`update`) reads a frame of new rows in the form of the fit
frame (long, wide, pandas, polars, numpy), validates them as ``fit``/``predict`` do, and rolls
each series' kept context (its last ``lookback_`` steps, ``state_.context_target`` (S, L) and
``state_.context_covariates`` (S, L, K)) forward. ``predict()`` then forecasts from the new end,
exactly as ``predict(history + new rows)`` would. The network, the scalers of the fit series and
the model choice are left as they are; memory stays (S, L) whatever the number of updates (and
(S, M) for the longer target history the simple forecasts read, ``state_.history_target``).

Rules, per series (a column of a wide frame, an id of a long one):

* the new rows continue the series on the model's time grid: the first new step is the one
  after the series' last kept time. Absent steps (a gap) and NaN values are handled by the
  model's ``fill_missing`` policy: "raise" makes them an error, "interpolate"/"ffill" fill them
  as ``predict(df)`` would (a trailing NaN takes the last value and is not revised by later
  rows). Infinite values are always an error.
* a row at or before the last kept time has been seen: it is skipped when it is exactly equal
  (target and covariates) to the kept step at that time -- a re-sent row, as at-least-once
  delivery produces -- and is an error otherwise, and also when it lies before the kept window
  (the last ``lookback_`` steps), where it can no longer be checked.
* at least 3 new steps of a datetime series must have the model's frequency.
* numpy arrays have no time axis: their rows are the steps right after the kept end.
* a series the model has not seen (long form) is an error naming it unless
  ``new_series="add"``: it then joins with its last ``lookback_`` steps (it needs that many) and
  a scaler of its own statistics over the rows given, as ``predict(df)`` scales a new series;
  that scaler stays fixed afterwards, as a fit series keeps its training scaler.
* static covariates keep their value: a new row that changes it is an error.

An update is all or nothing: when any row is refused the model is left unchanged.
``fit_info_["updates"]`` counts the calls and the steps appended (``{"calls": n, "steps": m}``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

from xlstm_ts.forecasting import frames
from xlstm_ts.forecasting.frames import FrameLayout, Series
from xlstm_ts.forecasting.selection import kept_history
from xlstm_ts.forecasting.state import FittedState

NEW_SERIES_POLICIES = ("raise", "add")
"""Valid values of ``update(new_series=...)``."""
WHAT = "update(df_new)"
"""How error messages name the frame."""


def update(estimator: Any, df_new: Any, *, new_series: str = "raise") -> Any:
    """Append ``df_new``'s rows to the kept context of ``estimator``; returns ``estimator``.

    Args:
        estimator: a fitted :class:`~xlstm_ts.XLSTMForecaster`.
        df_new: new rows in the form of the fit frame (same columns; long or wide pandas/polars
            frame, or a 2-D numpy array (n_new, n_series) for a model fitted on an array).
        new_series: "raise" (default): ids the model was not fitted on are an error;
            "add": they join the kept series (each needs at least ``lookback_`` steps).

    Returns:
        ``estimator``, whose ``state_`` now holds the rolled contexts (S', L) and (S', L, K).

    Raises:
        ValueError: a row breaks the rules of this module (the message names the series, the
            time and the fix); the model is then unchanged.
    """
    _check_fitted(estimator)
    if new_series not in NEW_SERIES_POLICIES:
        raise ValueError(f"new_series must be one of {NEW_SERIES_POLICIES}; got {new_series!r}")
    state: FittedState = estimator.state_
    layout = state.layout
    position = {series_id: k for k, series_id in enumerate(state.series_ids)}
    incoming = read_new_rows(estimator, df_new, layout)
    known = [s for s in incoming if _is_known(s.id, position)]
    unknown = [s for s in incoming if not _is_known(s.id, position)]
    if unknown and new_series == "raise":
        names = [s.id for s in unknown]
        raise ValueError(
            f"{WHAT} has rows of {len(names)} series the model was not fitted on: {names[:10]}; pass "
            f"new_series='add' to add them (each needs at least lookback_={state.lookback} steps), or drop their rows"
        )
    if layout.library == "numpy":
        known = [_after_end(s, state.last_times[position[s.id]], state.freq) for s in known]

    target = state.context_target.copy()
    covariates = state.context_covariates.copy()
    history = None if state.history_target is None else state.history_target.copy()
    last_times = list(state.last_times)
    steps = 0
    counts = [0] * len(state.series_ids)  # rows appended per kept series (the network's stream advances by them)
    for s in known:
        k = position[s.id]
        appended = continue_series(s, state, k, estimator.fill_missing)
        if len(appended):
            roll(target[k], appended.target)
            roll(covariates[k], appended.covariates)
            if history is not None:
                roll(history[k], appended.target)
            last_times[k] = appended.time[-1]
            steps += len(appended)
            counts[k] += len(appended)
    added = [join_series(s, state, estimator.fill_missing, estimator.leading_missing) for s in unknown]
    series_ids, scalers = state.series_ids, state.scalers
    if added:
        series_ids = [*series_ids, *(s.id for s in added)]
        scalers = {**scalers, **{s.id: state.scaler_for(s) for s in added}}
        target = np.concatenate([target, np.stack([s.target[-state.lookback :] for s in added])])
        covariates = np.concatenate([covariates, np.stack([s.covariates[-state.lookback :] for s in added])])
        if history is not None:
            history = np.concatenate([history, kept_history(added, history.shape[1])])
        last_times.extend(s.time[-1] for s in added)
        steps += sum(state.lookback for _ in added)
    new_state = dataclasses.replace(
        state,
        series_ids=series_ids,
        scalers=scalers,
        context_target=target,
        context_covariates=covariates,
        history_target=history,
        last_times=last_times,
        fit_info=_count_update(state.fit_info, steps),
    )
    return estimator._adopt(advance_stream(new_state, counts))


def _check_fitted(estimator: Any) -> None:
    """``estimator`` has a fitted state (cheaper than scikit-learn's attribute scan, once a row)."""
    if getattr(estimator, "__dict__", {}).get("state_") is None:
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments "
            f"before using update()."
        )


# --------------------------------------------------------------------------- reading the new rows
def read_new_rows(estimator: Any, df_new: Any, layout: FrameLayout) -> list[Series]:
    """The series of ``df_new`` as given (sorted, not yet on the grid), checked against the fit
    frame: same library kind (array or frame), same columns, the same kind of time axis."""
    frame, library = frames.read_input(df_new, WHAT)
    if library == "numpy" or layout.library == "numpy":
        _check_array(frame, library, layout, state_features=estimator.n_features_in_)
    else:
        frames.check_same_columns(frame, layout, WHAT)
    series = frames.extract_series(frame, layout, WHAT)
    if layout.library != "numpy":
        _check_time_kind(series, layout)
    return series


def _check_array(frame: pd.DataFrame, library: str, layout: FrameLayout, state_features: int) -> None:
    """An array for an array-fitted model (and only then), with its number of columns."""
    if layout.library != "numpy":
        raise ValueError(f"{WHAT}: the model was fitted on a {layout.library} frame; pass a frame, not an array")
    if library != "numpy":
        raise ValueError(f"{WHAT}: the model was fitted on a numpy array; pass an array of the same columns")
    if frame.shape[1] != state_features:
        raise ValueError(
            f"{WHAT} has {frame.shape[1]} columns, the model was fitted on {state_features} (one per series); pass "
            f"an array (n_new, {state_features})"
        )


def _check_time_kind(series: Sequence[Series], layout: FrameLayout) -> None:
    """Dates for a model fitted on dates, integer steps for one fitted on integer steps."""
    if not series:
        return
    dates = isinstance(series[0].time, pd.DatetimeIndex)
    if dates != (layout.time_kind == "datetime"):
        got, wanted = ("dates", "integer time steps") if dates else ("integer time steps", "dates")
        raise ValueError(
            f"{WHAT}: the time column {layout.time_col!r} holds {got}, the model was fitted on {wanted}; pass the "
            f"time axis in the fit frame's kind"
        )


def _after_end(series: Series, last: Any, freq: Any) -> Series:
    """An array's series placed on the steps right after ``last`` (arrays carry no time axis)."""
    time = pd.Index(int(last) + int(freq) * np.arange(1, len(series) + 1, dtype=np.int64))
    return dataclasses.replace(series, time=time)


def _is_known(series_id: Hashable, position: dict[Hashable, int]) -> bool:
    try:
        return series_id in position
    except TypeError:  # an unhashable id is never a fit series
        return False


# --------------------------------------------------------------------------- continuing a series
def continue_series(new: Series, state: FittedState, k: int, fill_missing: str) -> Series:
    """The steps that ``new`` appends to kept series ``k``: on the grid after its last kept time,
    gaps and NaN handled by ``fill_missing``; re-sent equal rows dropped, other seen rows refused.

    Returns:
        A series of the n >= 0 appended steps (target (n,), covariates (n, K)), in data units.
    """
    last = state.last_times[k]
    _check_tz(new, last)
    stamps = _stamps(new.time)
    seen = stamps <= _stamp(last)
    if seen.any():
        _check_resent(_take(new, seen), state, k)
        new, stamps = _take(new, ~seen), stamps[~seen]
    if not len(new):
        return new
    _check_static_kept(new, state, k)
    if _next_steps(stamps, new.time, last, state):  # the common case: the steps right after the end, in order
        if np.isfinite(new.target).all() and np.isfinite(new.covariates).all():
            return new
        return _after_first(frames.fill_missing_values(_with_last(new, state, k), fill_missing, WHAT, state.layout))
    _check_frequency(new, state)
    grid = frames.regularize(_with_last(new, state, k), state.freq, state.layout.time_kind)
    absent = int((grid.rows[1:] < 0).sum())
    if absent and fill_missing == "raise":
        first = grid.time[1:][grid.rows[1:] < 0][0]
        raise ValueError(
            f"{WHAT}: series {new.id!r} jumps from its last kept time {last} to {new.time[0]}: {absent} step(s) "
            f"absent (the first at {first}); send the absent rows, or let the model fill gaps with "
            f"model.set_params(fill_missing='interpolate') (or 'ffill')"
        )
    return _after_first(frames.fill_missing_values(grid, fill_missing, WHAT, state.layout))


def _stamps(time: pd.Index) -> np.ndarray:
    """Time stamps as numpy values that compare across resolutions and time zones (datetime64
    in UTC, in the index's unit), or int64 steps."""
    if isinstance(time, pd.DatetimeIndex):
        return time.asi8.view(f"datetime64[{time.unit}]")
    return np.asarray(time, dtype=np.int64)


def _stamp(last: Any) -> Any:
    """The kept time ``last`` as a numpy scalar comparable with :func:`_stamps`."""
    return pd.Timestamp(last).to_datetime64() if isinstance(last, (pd.Timestamp, np.datetime64)) else np.int64(last)


def _next_steps(stamps: np.ndarray, time: pd.Index, last: Any, state: FittedState) -> bool:
    """``time`` (its :func:`_stamps`: ``stamps``) is exactly the ``len(time)`` steps after ``last``
    on the model's grid."""
    n = len(stamps)
    if state.layout.time_kind == "integer":
        return bool(np.array_equal(stamps, int(last) + int(state.freq) * np.arange(1, n + 1, dtype=np.int64)))
    step = _fixed_step(state.freq)
    if step is None:  # calendar steps (months, weeks, business days): pandas knows them
        return bool(frames.future_times(last, state.freq, n, "datetime").equals(time))
    return bool(np.array_equal(stamps, _stamp(last) + step * np.arange(1, n + 1)))


_FIXED_STEPS: dict[Any, np.timedelta64 | None] = {}
"""Cache of :func:`_fixed_step` (one frequency per model; parsing an alias costs microseconds)."""


def _fixed_step(freq: Any) -> np.timedelta64 | None:
    """The duration of one step of a fixed-length frequency ("h", "15min", "D"), None for calendar ones."""
    if freq not in _FIXED_STEPS:
        offset = frames.to_offset(freq)
        fixed = isinstance(offset, pd.offsets.Tick)
        _FIXED_STEPS[freq] = pd.Timedelta(offset).to_timedelta64() if fixed else None
    return _FIXED_STEPS[freq]


def _with_last(new: Series, state: FittedState, k: int) -> Series:
    """``new`` preceded by the last kept step of series ``k`` (complete: interpolation and
    forward filling start from it, as on the whole history)."""
    last = state.last_times[k]
    time = (pd.DatetimeIndex([last]) if state.layout.time_kind == "datetime" else pd.Index([last], dtype=np.int64))
    # the kept step gets row 0, not -1 (which would count it as a step absent from the frame); it is
    # complete, so no message about missing values ever names it
    return Series(
        new.id,
        time.append(new.time),
        np.concatenate([state.context_target[k, -1:], new.target]),
        np.concatenate([state.context_covariates[k, -1:], new.covariates]),
        np.concatenate([[0], new.rows]),
    )


def _after_first(series: Series) -> Series:
    """``series`` without its first step (the kept step that :func:`_with_last` put there)."""
    return Series(series.id, series.time[1:], series.target[1:], series.covariates[1:], series.rows[1:])


def _take(series: Series, mask: np.ndarray) -> Series:
    return Series(series.id, series.time[mask], series.target[mask], series.covariates[mask], series.rows[mask])


def _check_tz(new: Series, last: Any) -> None:
    """New time stamps comparable with the kept ones (both naive, or both with a time zone)."""
    if not isinstance(new.time, pd.DatetimeIndex):
        return
    if (new.time.tz is None) != (pd.Timestamp(last).tz is None):
        raise ValueError(
            f"{WHAT}: series {new.id!r} has time stamps {'without' if new.time.tz is None else 'with'} a time zone, "
            f"its kept times ({last}) {'have' if new.time.tz is None else 'have none'}; pass the time column as in fit"
        )


def _check_resent(seen: Series, state: FittedState, k: int) -> None:
    """Rows at or before the last kept time must repeat the kept step at their time exactly."""
    kept_times = state.stored_series()[k].time
    where = kept_times.get_indexer(seen.time)
    for j, p in enumerate(where):
        if p >= 0 and _equal_step(seen, j, state, k, p):
            continue
        if p < 0:
            detail = f"it lies before the kept window {kept_times[0]} .. {kept_times[-1]} (the last lookback_ steps)"
        else:
            detail = (
                f"the kept step there has {_describe(state.context_target[k, p], state.context_covariates[k, p])}, "
                f"the row {_describe(seen.target[j], seen.covariates[j])}"
            )
        raise ValueError(
            f"{WHAT}: series {seen.id!r} already has time {seen.time[j]} (row {int(seen.rows[j])} of the frame; its "
            f"last kept time is {state.last_times[k]}) and {detail}. update() appends rows after each series' end: "
            f"drop the rows already sent (an exact repeat of a kept row is skipped)"
        )


def _describe(target: float, covariates: np.ndarray) -> str:
    """A step's values for a message: the target, and the covariates (K,) if any."""
    return f"{float(target)!r}" + (f" (covariates {covariates.tolist()})" if covariates.size else "")


def _equal_step(seen: Series, j: int, state: FittedState, k: int, p: int) -> bool:
    """Row ``j`` of ``seen`` equals kept step ``p`` of series ``k`` (target and covariates)."""
    return bool(seen.target[j] == state.context_target[k, p]) and np.array_equal(
        seen.covariates[j], state.context_covariates[k, p]
    )


def _check_frequency(new: Series, state: FittedState) -> None:
    """At least 3 new dated steps must have the model's frequency (as ``predict(df)`` checks)."""
    if len(new.time) < 3 or state.layout.time_kind != "datetime":
        return
    inferred = frames.infer_freq(new.time)
    if inferred is not None and frames.to_offset(inferred) != frames.to_offset(state.freq):
        raise ValueError(
            f"{WHAT}: series {new.id!r} has frequency {inferred!r}, the model was trained on {state.freq!r}; pass "
            f"data at the model's frequency (resample it) or fit a model on this frequency"
        )


def _check_static_kept(new: Series, state: FittedState, k: int) -> None:
    """Static covariates of new rows keep the series' value."""
    n_static = state.layout.n_static
    if not n_static:
        return
    kept = state.context_covariates[k, -1, -n_static:]
    given = new.covariates[:, -n_static:]
    differs = ~(given == kept).all(axis=0)
    if differs.any():
        c = int(np.flatnonzero(differs)[0])
        column = state.layout.static_covariates[c]
        raise ValueError(
            f"{WHAT}: static covariate {column!r} of series {new.id!r} is {float(kept[c])!r}, a new row has "
            f"{float(given[~(given[:, c] == kept[c]), c][0])!r}: a static covariate has one value per series; pass the kept "
            f"value (a varying input is a past or future covariate, which needs a new fit)"
        )


# --------------------------------------------------------------------------- new series, the context
def join_series(new: Series, state: FittedState, fill_missing: str, leading_missing: str) -> Series:
    """A series the model has not seen, prepared as ``predict(df)`` prepares one: on the grid,
    filled, at least ``lookback`` steps long, at the model's frequency."""
    _check_frequency(new, state)
    series = frames.regularize(new, state.freq, state.layout.time_kind)
    series = frames.fill_missing_values(series, fill_missing, WHAT, state.layout, leading_missing)
    if len(series) < state.lookback:
        raise ValueError(
            f"{WHAT}: new series {series.id!r} has {len(series)} time step(s); joining needs at least lookback_="
            f"{state.lookback} steps of history: send more of its history in one update"
        )
    return series


def roll(kept: np.ndarray, appended: np.ndarray) -> None:
    """Shift ``kept`` (L, ...) back by the n rows of ``appended`` (n, ...) and write them at its
    end, in place: ``kept`` becomes the last L rows of ``kept`` followed by ``appended``."""
    n, length = len(appended), len(kept)
    if n == 0:
        return
    if n >= length:
        kept[:] = appended[n - length :]
        return
    kept[:-n] = kept[n:]  # numpy handles the overlap
    kept[-n:] = appended


def _count_update(fit_info: dict[str, Any], steps: int) -> dict[str, Any]:
    """``fit_info`` with ``"updates": {"calls", "steps"}`` counted up (a new dict)."""
    counts = fit_info.get("updates") or {}
    calls = int(counts.get("calls", 0)) + 1
    return {**fit_info, "updates": {"calls": calls, "steps": int(counts.get("steps", 0)) + int(steps)}}


# --------------------------------------------------------------------------- streaming=True: the network's state
STREAMING_MODEL = "xlstm_streaming"
"""The network name in ``model.json`` of a model fitted with ``streaming=True``."""


@dataclasses.dataclass
class StreamingFittedState(FittedState):
    """The fitted state of ``XLSTMForecaster(streaming=True)``: :class:`FittedState` and the
    recurrent state of :class:`~xlstm_ts.models.streaming_net.StreamingForecastNet` per kept series."""

    stream: Any = None
    """A :class:`~xlstm_ts.models.streaming_net.StreamState` of the kept series (in their order),
    at the end of their kept contexts; None when a simple model forecasts (``chosen_model`` is
    not "xlstm" or "ensemble": the network then never runs)."""


def check_streaming(estimator: Any) -> None:
    """``streaming`` is a bool, and what ``streaming=True`` cannot do is refused before training."""
    value = estimator.streaming
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"streaming must be True or False; got {value!r}")
    if not value:
        return
    if estimator.quantiles is not None:
        raise ValueError(
            "streaming=True forecasts points only: quantiles are not supported (leave quantiles=None; for "
            "uncertainty use levels=[...], conformal intervals around the point forecast)"
        )
    for name in ("future_covariates", "past_covariates", "static_covariates"):
        if getattr(estimator, name):
            raise ValueError(
                f"streaming=True reads the target alone: {name} are not supported (leave them out, or use "
                f"streaming=False)"
            )
    if estimator.token_axis != "patch":
        raise ValueError(f"streaming=True reads patches as they complete: token_axis must be 'patch'; got {estimator.token_axis!r}")
    kwargs = estimator.model_kwargs or {}
    refused = {"decomposition": False, "revin_affine": False, "token_axis": "patch"}
    for key, allowed in refused.items():
        if key in kwargs and kwargs[key] != allowed:
            raise ValueError(
                f"streaming=True: model_kwargs {key}={kwargs[key]!r} is not supported by the streaming network "
                f"(see xlstm_ts.models.streaming_net)"
            )


def streaming_network(layout: FrameLayout, model_config: dict[str, Any], levels: Any) -> Any:
    """A fresh :class:`~xlstm_ts.models.streaming_net.StreamingForecastNet` for ``model_config``."""
    from xlstm_ts.models.config import XLSTMForecastConfig
    from xlstm_ts.models.streaming_net import StreamingForecastNet

    if layout.covariates or levels is not None:
        raise ValueError("streaming=True supports neither covariates nor quantiles")
    try:
        return StreamingForecastNet(XLSTMForecastConfig.from_dict(model_config))
    except ValueError as err:
        raise ValueError(f"streaming=True: {err}; pass a longer lookback or a shorter patch_len") from None


def _streams(state: FittedState) -> bool:
    return "xlstm" in state.members()


def _scaled_windows(state: FittedState, rows: Sequence[int] | None = None) -> Any:
    """The kept contexts of series ``rows`` (all: None) standardized by their scalers, float32 (S, L)."""
    import torch

    ids = state.series_ids if rows is None else [state.series_ids[k] for k in rows]
    target = state.context_target if rows is None else state.context_target[list(rows)]
    mean = np.array([state.scalers[i].mean_[0] for i in ids], dtype=np.float64)[:, None]
    std = np.array([state.scalers[i].std_[0] for i in ids], dtype=np.float64)[:, None]
    return torch.from_numpy(((target - mean) / std).astype(np.float32))


def start_stream(state: FittedState) -> StreamingFittedState:
    """The fitted ``state`` with the network's stream started at the end of every kept context
    (a patch boundary there: phase 0)."""
    fields = {f.name: getattr(state, f.name) for f in dataclasses.fields(FittedState)}
    stream = state.network.start_stream(_scaled_windows(state)) if _streams(state) else None
    return StreamingFittedState(**fields, stream=stream)


def advance_stream(state: FittedState, counts: Sequence[int]) -> FittedState:
    """``state`` (already holding the rolled contexts) with its stream advanced by ``counts[k]``
    new rows of kept series k; series beyond ``len(counts)`` joined in this update and start at
    the end of their context. A state without a stream is returned as it is."""
    stream = getattr(state, "stream", None)
    if stream is None:
        return state
    import torch

    from xlstm_ts.models.streaming_net import StreamState

    network = state.network
    known = len(counts)
    if any(counts):
        windows = _scaled_windows(state, range(known))
        stream = network.push_rows(stream, windows, torch.as_tensor(list(counts), dtype=torch.long))
    added = len(state.series_ids) - known
    if added:
        joined = network.start_stream(_scaled_windows(state, range(known, known + added)))
        parts = [stream, joined]
        stream = StreamState(
            _cat_states([p.slots for p in parts]),
            *(torch.cat([getattr(p, name) for p in parts]) for name in ("output", "previous_mean", "phase")),
        )
    return dataclasses.replace(state, stream=stream)


def _cat_states(states: list[Any]) -> Any:
    import torch

    first = states[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(states)
    if first is None:
        return None
    items = [_cat_states([s[i] for s in states]) for i in range(len(first))]
    return type(first)(*items) if hasattr(first, "_fields") else type(first)(items)


def stream_forecast(state: FittedState, contexts: Sequence[Any], h: int) -> list[tuple[np.ndarray, None]]:
    """The network's point forecast (h,) of every kept series from its stream, in data units: the
    first ``horizon`` steps from the recurrent state (one head application), further blocks (``h >
    horizon``) recursively by the window forward at the phase the stream would have there."""
    import torch

    from xlstm_ts.forecasting.rolling import blocks_needed

    network, stream = state.network, state.stream
    H, L, P = network.horizon, network.lookback, network.patch_len
    windows = _scaled_windows(state)
    with torch.no_grad():
        blocks = [network.forecast(stream, windows)]
        history = windows
        for b in range(1, blocks_needed(h, H)):
            history = torch.cat([history, blocks[-1]], dim=1)[:, -L:]
            phase = (stream.phase + b * H) % P
            blocks.append(network(history[..., None], phase=phase)[..., 0])
    y = torch.cat(blocks, dim=1).double().numpy()[:, :h]
    results = []
    for k, ctx in enumerate(contexts):
        mean, std = ctx.scaler.mean_[0], ctx.scaler.std_[0]
        point = y[k] * std + mean
        if not np.isfinite(point).all():
            raise ValueError(
                f"the forecast of series {ctx.name!r} is not finite (NaN/inf) although its inputs are: its values are "
                f"too large for the model's scale (mean {mean:.4g}, std {std:.4g}); rescale the data and refit"
            )
        results.append((point, None))
    return results


def stream_tensors(state: FittedState) -> dict[str, Any]:
    """The stream as named tensors for ``forecaster.safetensors`` ("stream.*"; none without a stream)."""
    from xlstm_ts.models.streaming_net import flatten_state

    stream = getattr(state, "stream", None)
    if stream is None:
        return {}
    tensors = {f"stream.slots.{name}": t for name, t in flatten_state(stream.slots).items()}
    for name in ("output", "previous_mean", "phase"):
        tensors[f"stream.{name}"] = getattr(stream, name)
    return {name: t.detach().cpu().contiguous() for name, t in tensors.items()}


def stream_from_tensors(network: Any, tensors: dict[str, Any], n_series: int) -> Any:
    """The stream written by :func:`stream_tensors` (None when there is none), checked against a
    fresh one of ``n_series`` series.

    Raises:
        ValueError: a tensor is missing or of another shape or dtype, or a phase out of range.
    """
    from xlstm_ts.models.streaming_net import StreamState, unflatten_state

    names = [name for name in tensors if name.startswith("stream.")]
    if not names:
        return None
    template = network.blank_stream(n_series)
    slots = unflatten_state(template.slots, {n.removeprefix("stream.slots."): tensors[n] for n in names
                                             if n.startswith("stream.slots.")})
    parts = unflatten_state(
        (template.output, template.previous_mean, template.phase),
        {str(i): tensors.get(f"stream.{name}") for i, name in enumerate(("output", "previous_mean", "phase"))
         if f"stream.{name}" in tensors},
    )
    phase = parts[2]
    if bool(((phase < 0) | (phase >= network.patch_len)).any()):
        raise ValueError(f"stream phases must be in [0, {network.patch_len}); got {phase.tolist()}")
    return StreamState(slots, *parts)
