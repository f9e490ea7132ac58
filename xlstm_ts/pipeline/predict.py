"""Forecast the horizon after the end of a frame with a saved run's network (``xlstm-ts predict``).

The frame has a date column and the run's input channels; the last ``lookback`` rows are scaled
with the run's saved training statistics, forecast, unscaled, and dated one step after another
(the benchmark's frequency, else the most common step of the frame's dates).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from xlstm_ts.pipeline.run_dir import OpenedRun, open_run


def predict_run(run: OpenedRun | str | Path, frame: pd.DataFrame, *, source: str = "input") -> pd.DataFrame:
    """The forecast of the ``horizon`` steps after the last row of ``frame``.

    Args:
        run: an opened run or a run directory written by ``xlstm-ts fit``.
        frame: a ``date`` column (else the first column holds the dates) and the model's channels.
        source: how error messages name the frame (the CLI passes the CSV path).
    Returns:
        A frame with ``date`` (the future timestamps) and one column per output channel, in the
        data's units; ``attrs["freq"]`` is the step used (an offset string such as ``"h"``).
    Raises:
        ValueError: unparseable dates, missing channels, fewer rows than the lookback, NaN or
            infinite values in the last ``lookback`` rows, or no way to infer the time step.
    """
    if not isinstance(run, OpenedRun):
        run = open_run(run)
    network, description = run.network, run.description
    lookback, horizon = description["config"]["lookback"], description["config"]["horizon"]
    channels: list[str] = description["channel_names"]
    outputs: list[str] = description.get("output_names") or channels
    date_column = "date" if "date" in frame.columns else frame.columns[0]
    dates = pd.to_datetime(frame[date_column], errors="coerce")
    if dates.isna().any():
        raise ValueError(f"{source}: column {date_column!r} has {int(dates.isna().sum())} unparseable dates")
    missing = [c for c in channels if c not in frame.columns]
    if missing:
        raise ValueError(f"{source} lacks the model's channels {missing}; it has {list(frame.columns)}")
    if len(frame) < lookback:
        raise ValueError(f"{source} has {len(frame)} rows; the model needs the last {lookback} (its lookback)")
    values = frame[channels].to_numpy(dtype=np.float64)[-lookback:]
    if not np.isfinite(values).all():
        raise ValueError(f"{source}: the last {lookback} rows contain NaN or infinite values")
    scaler = run.scaler
    x = scaler.transform(values) if scaler is not None else values
    with torch.no_grad():
        y = network(torch.as_tensor(x, dtype=torch.float32)[None]).double().numpy()[0]  # (H, C_out)
    if scaler is not None:
        y = scaler.inverse_transform(y, description.get("output_channels"))
    steps = dates.diff().dropna()
    if description.get("freq"):  # the benchmark's own step
        offset = pd.tseries.frequencies.to_offset(description["freq"])
    elif len(steps):
        offset = pd.tseries.frequencies.to_offset(steps.mode().iloc[0])
    else:
        raise ValueError(f"{source}: cannot infer the time step from the dates")
    future = pd.date_range(dates.iloc[-1] + offset, periods=horizon, freq=offset)
    result = pd.DataFrame(y, columns=outputs)
    result.insert(0, "date", future)
    result.attrs["freq"] = offset.freqstr
    return result
