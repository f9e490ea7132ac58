"""The real-series panel of ``experiments/forecaster_panel.py``: its series, their loading and cutting, the
held-out last horizon and the MASE scale (the in-sample seasonal-naive MAE).

Only numpy and pandas: ``experiments/forecaster_panel_peers.py`` imports it in an environment without xlstm_ts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(os.environ.get("XLSTM_TS_DATA", "../shared/datasets"))


@dataclass(frozen=True)
class PanelSeries:
    name: str
    file: str
    column: str
    rule: str | None  # pandas resample rule (mean), None: as is
    rows: int  # kept rows (the last ones)
    horizon: int
    season: int


PANEL = (
    PanelSeries("ETTh1-OT hourly", "ETTh1.csv", "OT", None, 2000, 24, 24),
    PanelSeries("ETTh2-OT daily", "ETTh2.csv", "OT", "D", 725, 14, 7),
    PanelSeries("ETTm1-HUFL half-hourly", "ETTm1.csv", "HUFL", "30min", 5000, 48, 336),
    PanelSeries("Weather-T daily", "weather.csv", "T (degC)", "D", 366, 14, 7),
    PanelSeries("Exchange-0 weekly", "exchange_rate.csv", "0", "W", 1000, 8, 52),
    PanelSeries("Exchange-3 monthly", "exchange_rate.csv", "3", "MS", 170, 12, 12),
    PanelSeries("ILI weighted weekly", "national_illness.csv", "% WEIGHTED ILI", None, 966, 13, 52),
    PanelSeries("ILI total monthly", "national_illness.csv", "ILITOTAL", "MS", 160, 12, 12),
    PanelSeries("ETTh2-HULL weekly", "ETTh2.csv", "HULL", "W", 104, 8, 52),
)


def load(spec: PanelSeries) -> pd.DataFrame:
    frame = pd.read_csv(DATA / spec.file)
    frame["date"] = pd.to_datetime(frame["date"], format="mixed")
    series = frame.set_index("date")[spec.column].astype(float)
    if spec.rule is not None:
        series = series.resample(spec.rule).mean().dropna()
    series = series.iloc[-spec.rows :]
    return pd.DataFrame({"ds": series.index, "y": series.to_numpy()})


def holdout(spec: PanelSeries) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, int, float]:
    """The loaded frame, its training part (all but the last horizon), the held-out values, the season used
    for the scale (1 where the training part is not longer than one season) and the MASE scale."""
    frame = load(spec)
    train, test = frame.iloc[: -spec.horizon], frame["y"].to_numpy()[-spec.horizon :]
    y = train["y"].to_numpy()
    m = spec.season if len(y) > spec.season else 1
    scale = float(np.mean(np.abs(y[m:] - y[:-m])))
    return frame, train, test, m, scale
