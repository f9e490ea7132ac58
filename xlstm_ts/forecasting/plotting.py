"""``XLSTMForecaster.plot``: a fitted state's series and forecasts as :class:`xlstm_ts.plotting.ForecastPanel`s."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from xlstm_ts.forecasting import frames
from xlstm_ts.forecasting.frames import FrameLayout, Series
from xlstm_ts.forecasting.state import FittedState
from xlstm_ts.plotting import ForecastPanel, plot_forecast


def plot_forecasts(
    state: FittedState,
    layout: FrameLayout,
    observed: Sequence[Series],
    forecast: Any,
    *,
    series: Sequence[Hashable] | None,
    history: int | None,
    max_series: int,
    title: str | None,
) -> Any:
    """A Figure of ``observed`` (the history, and actuals after the forecast start) and ``forecast``
    (a frame of :meth:`XLSTMForecaster.predict`, in ``layout``'s form); see :meth:`XLSTMForecaster.plot`."""
    ids = [s.id for s in observed]
    starts = [frames.future_times(s.time[-1], state.freq, _length(forecast), layout.time_kind) for s in observed]
    parsed = frames.read_forecast(forecast, layout, state.requested_quantiles, ids, starts)
    by_id = {s.id: s for s in observed}
    if series is None:
        chosen = [i for i in parsed if i in by_id][:max_series]
    else:
        missing = [i for i in series if i not in parsed or i not in by_id]
        if missing:
            raise ValueError(f"plot(series=...): no forecast or history for {missing}; available: {list(parsed)[:10]}")
        chosen = list(series)
    if not chosen:
        raise ValueError("plot(): the forecast and the history have no series in common")
    keep = state.lookback if history is None else int(history)
    panels = []
    for series_id in chosen:
        s = by_id[series_id]
        times, point, bands = parsed[series_id]
        before = np.asarray(s.time < times[0])
        history_time, history_values = s.time[before][-keep:], s.target[before][-keep:]
        after = ~before
        panels.append(
            ForecastPanel(
                title=f"{series_id}",
                history_time=history_time,
                history=history_values,
                forecast_time=times,
                forecast=point,
                quantiles=bands,
                actual_time=s.time[after] if after.any() else None,
                actual=s.target[after] if after.any() else None,
            )
        )
    return plot_forecast(panels, title=title)


def _length(forecast: Any) -> int:
    return int(forecast.shape[0]) if hasattr(forecast, "shape") else len(forecast)
