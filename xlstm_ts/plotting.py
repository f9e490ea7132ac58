"""Forecast plots with matplotlib's Agg canvas (never a window, no pyplot global state).

* :func:`plot_forecast`: history, forecast and quantile bands of one or more series -> Figure.
* :func:`plot_run`: the last test window of a benchmark run directory (written by ``xlstm-ts fit``)
  -> PNG file.
* :func:`add_plot_parser`: registers ``xlstm-ts plot RUN_DIR [--output PNG]`` on the CLI.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
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


# --------------------------------------------------------------------------- run directories
def plot_run(
    run_dir: str | Path, output_png: str | Path, *, data_dir: str | None = None, channel: str | None = None
) -> Path:
    """Draw the last test window of a benchmark run directory and save it as a PNG.

    The run directory is one written by ``xlstm-ts fit`` (config.yaml, model.json,
    model.safetensors): the saved network forecasts the last test window of its dataset (the data
    re-read and scaled with the saved training statistics, as ``xlstm-ts evaluate`` does), and the
    lookback, the actual values and the forecast are drawn in the data's units.

    Args:
        run_dir: the run directory.
        output_png: where to write the PNG (parent folders are created).
        data_dir: folder of the benchmark CSVs, if not where the run found them.
        channel: output channel to draw (default: the run's target if it is an output, else the last).
    Returns:
        The PNG path.
    """
    import torch

    from xlstm_ts.data.config import DataConfig
    from xlstm_ts.data.datamodule import ForecastDataModule
    from xlstm_ts.data.loading import load_frame
    from xlstm_ts.io import load_network
    from xlstm_ts.pipeline.run_config import RunConfig

    run_dir = Path(run_dir)
    if not (run_dir / "config.yaml").is_file():
        raise FileNotFoundError(f"{run_dir} has no config.yaml: not a run directory written by `xlstm-ts fit`")
    config = RunConfig.from_yaml(run_dir / "config.yaml")
    network, description = load_network(run_dir)
    data_values = dict(config.to_dict()["data"])
    if data_dir:
        data_values["data_dir"] = str(data_dir)
    data_config = DataConfig(**data_values)
    data = ForecastDataModule(data_config)
    data.prepare_data()
    data.setup("test")
    if description.get("scaler"):
        data.load_state_dict({"dataset": data.spec.name, "scaler": description["scaler"]})
    dataset = data.dataset("test")
    x, y = dataset[len(dataset) - 1]
    with torch.no_grad():
        prediction = network(x[None]).double().numpy()[0]  # load_network puts it on CPU
    outputs: list[str] = list(description.get("output_names") or data.output_names)
    inputs: list[str] = list(description.get("channel_names") or data.channel_names)
    if channel is None:
        channel = config.data.target if config.data.target in outputs else outputs[-1]
    if channel not in outputs:
        raise ValueError(f"channel {channel!r} is not an output of this run; outputs are {outputs}")
    out_index = outputs.index(channel)
    in_index = inputs.index(channel)
    scaler = data.scaler
    all_columns = list(data.state_dict().get("columns") or inputs)
    column = all_columns.index(channel)

    def unscale(values: np.ndarray) -> np.ndarray:
        if scaler is None:
            return values
        return scaler.inverse_transform(values[:, None], [column])[:, 0]

    history = unscale(x[:, in_index].double().numpy())
    actual = unscale(y[:, out_index].double().numpy())
    forecast = unscale(prediction[:, out_index])
    frame = load_frame(data_config)
    x_rows, y_rows = dataset.window_rows(len(dataset) - 1)
    history_time, forecast_time = frame.index[list(x_rows)], frame.index[list(y_rows)]
    mse = float(np.mean((forecast - actual) ** 2))
    mae = float(np.mean(np.abs(forecast - actual)))
    panel = ForecastPanel(
        title=(
            f"{config.model} on {data.spec.name}, {channel}: last test window "
            f"(MSE {mse:.4g}, MAE {mae:.4g}, data units)"
        ),
        history_time=history_time,
        history=history,
        forecast_time=forecast_time,
        forecast=forecast,
        actual_time=forecast_time,
        actual=actual,
    )
    figure = plot_forecast(
        [panel], title=f"{run_dir.name}: lookback {config.data.lookback}, horizon {config.data.horizon}"
    )
    output_png = Path(output_png)
    output_png.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output_png, dpi=120)
    return output_png


# --------------------------------------------------------------------------- CLI
def add_plot_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``xlstm-ts plot RUN_DIR [--output PNG] [--data-dir DIR] [--channel NAME]``.

    ``subparsers`` is the object returned by ``parser.add_subparsers()``; the handler is
    :func:`cmd_plot` (set as ``handler``, as the other subcommands do).
    """
    plot = subparsers.add_parser("plot", help="draw the last test window of a run directory as a PNG")
    plot.add_argument("run_dir", help="a directory written by `xlstm-ts fit`")
    plot.add_argument("--output", help="PNG file to write (default: RUN_DIR/last_test_window.png)")
    plot.add_argument(
        "--data-dir", help="folder with the benchmark CSVs (searched before $XLSTM_TS_DATA and the cache)"
    )
    plot.add_argument("--channel", help="output channel to draw (default: the run's target)")
    plot.set_defaults(handler=cmd_plot)
    return plot


def cmd_plot(args: argparse.Namespace) -> int:
    """``xlstm-ts plot``: write the PNG and print its path."""
    output = Path(args.output) if args.output else Path(args.run_dir) / "last_test_window.png"
    path = plot_run(args.run_dir, output, data_dir=args.data_dir, channel=args.channel)
    print(f"wrote {path}")
    return 0
