"""Figures: XLSTMForecaster.plot, plot_forecast, plot_run and the `plot` subcommand."""

from __future__ import annotations

import argparse

import matplotlib
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure


def test_plot_returns_a_figure_with_bands(tiny, wide, tmp_path) -> None:
    backend = matplotlib.get_backend()
    model = tiny(quantiles=[0.1, 0.5, 0.9]).fit(wide)
    figure = model.plot()
    assert isinstance(figure, Figure)
    axes = figure.get_axes()
    assert [ax.get_title() for ax in axes] == ["a", "b"]
    bands = [c for c in axes[0].collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1  # the 80 % interval q0.1-q0.9
    labels = [line.get_label() for line in axes[0].get_lines()]
    assert "history" in labels and "forecast" in labels
    figure.savefig(tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 1000
    assert matplotlib.get_backend() == backend  # no pyplot, no backend switch


def test_plot_with_actuals_and_series_choice(tiny, long) -> None:
    model = tiny().fit(long)
    context = long.groupby("unique_id").head(100)
    forecast = model.predict(context)
    figure = model.plot(long, forecast, series=["b"], history=30)
    (ax,) = figure.get_axes()
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert len(lines["history"].get_xdata()) == 30
    assert len(lines["actual"].get_xdata()) == 20  # rows 100..119 of series b
    with pytest.raises(ValueError, match=r"no forecast or history for \['zzz'\]"):
        model.plot(long, forecast, series=["zzz"])


def test_plot_numpy_model(tiny, wide) -> None:
    model = tiny().fit(wide[["a", "b"]].to_numpy())
    assert len(model.plot(max_series=1).get_axes()) == 1


def test_plot_run_and_cli(etth1_path, tmp_path) -> None:
    from xlstm_ts.data.config import DataConfig
    from xlstm_ts.cli.plot import add_plot_parser
    from xlstm_ts.pipeline.fit import build_run
    from xlstm_ts.pipeline.plots import plot_run
    from xlstm_ts.pipeline.run_config import RunConfig
    from xlstm_ts.pipeline.run_dir import write_run
    from xlstm_ts.training.config import TrainConfig

    config = RunConfig(
        data=DataConfig(dataset="ETTh1", data_dir=str(etth1_path.parent), lookback=48, horizon=12, download=False),
        model="xlstm",
        network={"embedding_dim": 16, "num_blocks": 1, "patch_len": 8, "patch_stride": 4},
        train=TrainConfig(max_epochs=1),
    )
    data, network = build_run(config)  # an untrained network is enough to draw
    run_dir = tmp_path / "run"
    write_run(run_dir, config, network.eval(), data, {"test_mse": 0.0})
    png = plot_run(run_dir, tmp_path / "out" / "window.png")
    assert png.is_file() and png.stat().st_size > 1000

    parser = argparse.ArgumentParser(prog="xlstm-ts")
    add_plot_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["plot", str(run_dir), "--output", str(tmp_path / "cli.png"), "--channel", "HUFL"])
    assert args.handler(args) == 0
    assert (tmp_path / "cli.png").is_file()
    args = parser.parse_args(["plot", str(run_dir), "--channel", "nope"])
    with pytest.raises(ValueError, match=r"channel 'nope' is not an output of this run"):
        args.handler(args)
    with pytest.raises(FileNotFoundError, match="has no config.yaml"):
        plot_run(tmp_path, tmp_path / "x.png")


def test_plot_forecast_needs_panels() -> None:
    from xlstm_ts.plotting import ForecastPanel, plot_forecast

    with pytest.raises(ValueError, match="nothing to plot"):
        plot_forecast([])
    panel = ForecastPanel(
        "x",
        np.arange(5),
        np.ones(5),
        np.arange(5, 8),
        np.ones(3),
        quantiles={0.05: np.zeros(3), 0.25: np.zeros(3), 0.75: np.ones(3), 0.95: np.ones(3)},
    )
    ax = plot_forecast([panel]).get_axes()[0]
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2
