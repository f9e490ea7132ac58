"""Draw the last test window of a saved run directory as a PNG (``xlstm-ts plot``).

The drawing itself is :func:`xlstm_ts.plotting.plot_forecast`; this module opens the run with
:func:`~xlstm_ts.pipeline.run_dir.open_run` and turns its last test window into a panel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from xlstm_ts.data.loading import load_frame
from xlstm_ts.pipeline.phase import PhaseWindows, network_cycle_length
from xlstm_ts.pipeline.run_dir import open_run
from xlstm_ts.plotting import ForecastPanel, plot_forecast


def plot_run(
    run_dir: str | Path,
    output_png: str | Path,
    *,
    data_dir: str | None = None,
    channel: str | None = None,
    allow_modified_data: bool = False,
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
        allow_modified_data: use a benchmark file that differs from the registry (``--allow-modified-data``).
    Returns:
        The PNG path.
    Raises:
        RunDirectoryError: ``run_dir`` has no config.yaml.
        ValueError: ``channel`` is not an output of the run.
        DatasetIntegrityError: the benchmark file differs from the registry and modified data is not allowed.
    """
    run = open_run(run_dir)
    config, network, description = run.config, run.network, run.description
    data = run.data(data_dir, allow_modified_data=allow_modified_data)
    dataset = data.dataset("test")
    x, y = dataset[len(dataset) - 1]
    cycle = network_cycle_length(network)
    x_in = PhaseWindows(dataset, cycle)[len(dataset) - 1][0] if cycle > 0 else x  # + the phase channel
    with torch.no_grad():
        prediction = network(x_in[None]).double().numpy()[0]  # open_run puts it on CPU
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
    frame = load_frame(data.config, data.data_file.path)  # the file the windows came from
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
        [panel], title=f"{run.path.name}: lookback {config.data.lookback}, horizon {config.data.horizon}"
    )
    output_png = Path(output_png)
    output_png.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output_png, dpi=120)
    return output_png
