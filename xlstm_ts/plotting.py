"""Forecast plots with matplotlib's Agg canvas (never a window, no pyplot global state).

* :class:`ForecastPanel`: what one subplot shows (history, forecast, quantile bands, actuals).
* :func:`plot_forecast`: history, forecast and quantile bands of one or more series -> Figure.

The last test window of a run directory is drawn by :func:`xlstm_ts.pipeline.plots.plot_run`
(``xlstm-ts plot``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class ForecastPanel:
    """What one subplot shows."""

    title: str
    history_time: Sequence[Any]
    history: np.ndarray
    forecast_time: Sequence[Any]
    forecast: np.ndarray
    """The point forecast."""
    quantiles: dict[float, np.ndarray] = field(default_factory=dict)
    """Quantile level -> values over ``forecast_time``; symmetric pairs (q, 1 - q) become bands."""
    actual_time: Sequence[Any] | None = None
    actual: np.ndarray | None = None
    """Observed values over the forecast period, if known."""


def plot_forecast(
    panels: Sequence[ForecastPanel], *, title: str | None = None, ylabel: str | None = None, width: float = 10.0
) -> Any:
    """One subplot per panel: history (blue), actuals (black), forecast (orange), bands (shaded).

    Returns a ``matplotlib.figure.Figure`` on an Agg canvas: save it with ``fig.savefig(path)``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not panels:
        raise ValueError("nothing to plot: no panels")
    figure = Figure(figsize=(width, 2.8 * len(panels) + (0.4 if title else 0.0)), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, panel in zip(axes, panels, strict=True):
        ax.plot(panel.history_time, panel.history, color="C0", linewidth=1.2, label="history")
        if panel.actual is not None and panel.actual_time is not None and len(panel.actual):
            ax.plot(panel.actual_time, panel.actual, color="black", linewidth=1.2, label="actual")
        for low, high in _bands(panel.quantiles):
            ax.fill_between(
                panel.forecast_time,
                panel.quantiles[low],
                panel.quantiles[high],
                color="C1",
                alpha=0.15 + 0.2 * (high - low < 0.5),
                linewidth=0,
                label=f"{round(100 * (high - low))}% interval (q{low:g}-q{high:g})",
            )
        ax.plot(panel.forecast_time, panel.forecast, color="C1", linewidth=1.5, label="forecast")
        if len(panel.forecast_time):
            ax.axvline(panel.forecast_time[0], color="grey", linewidth=0.8, linestyle=":")
        ax.set_title(panel.title, fontsize=10)
        if ylabel:
            ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, ncols=2)
    if title:
        figure.suptitle(title)
    return figure


def _bands(quantiles: dict[float, np.ndarray]) -> list[tuple[float, float]]:
    """Symmetric level pairs (q, 1 - q), widest first."""
    levels = sorted(quantiles)
    pairs = []
    for low in levels:
        high = round(1.0 - low, 10)
        if low < 0.5 and any(abs(high - level) < 1e-9 for level in levels):
            pairs.append((low, min(levels, key=lambda level: abs(level - high))))
    return sorted(pairs, key=lambda pair: pair[0])


def plot_backtest(
    frame: Any,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    forecast_col: str = "forecast",
    max_series: int = 4,
    title: str | None = None,
    width: float = 10.0,
) -> Any:
    """The windows of a backtest frame (``XLSTMForecaster.cross_validation``): per series, the true
    values (black), each window's forecast (orange) and its widest interval band, if any (shaded),
    with a dotted line at each cutoff. Returns a matplotlib Figure (Agg, never shown)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    table = frame.to_pandas() if hasattr(frame, "to_pandas") else frame
    ids = list(dict.fromkeys(table[id_col]))[:max_series]
    if not ids:
        raise ValueError("plot_backtest: the backtest frame has no rows")
    lows = sorted((c for c in table.columns if str(c).startswith(f"{forecast_col}-lo-")),
                  key=lambda c: float(str(c).rsplit("-", 1)[1]))
    figure = Figure(figsize=(width, 2.6 * len(ids)))
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(ids), 1, squeeze=False)[:, 0]
    for ax, series_id in zip(axes, ids, strict=True):
        part = table[table[id_col] == series_id].sort_values(time_col)
        truth = part.drop_duplicates(time_col)
        ax.plot(truth[time_col], truth[target_col], color="black", linewidth=1.0, label="actual")
        for k, (cutoff, window) in enumerate(part.groupby("cutoff", sort=True)):
            ax.plot(window[time_col], window[forecast_col], color="tab:orange", linewidth=1.2,
                    label="forecast" if k == 0 else None)
            if lows:
                widest = lows[-1]
                high = widest.replace("-lo-", "-hi-")
                ax.fill_between(window[time_col], window[widest], window[high], color="tab:orange", alpha=0.2,
                                label=f"{widest.rsplit('-', 1)[1]}% interval" if k == 0 else None)
            ax.axvline(cutoff, color="grey", linestyle=":", linewidth=0.8)
        ax.set_title(str(series_id))
        ax.legend(loc="upper left", fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
