"""The real-series panel of ``experiments/forecaster_panel.py``: its series, their loading and cutting, the
held-out last horizon and the MASE scale (the in-sample seasonal-naive MAE).

:data:`PANEL` is the reported panel (a test set: no choice of the estimator is tuned on it).
:data:`DEV_PANEL` holds other columns and steps of the same files, each at two forecast origins
(the last horizon, and the horizon before it with the data after it dropped): the estimator's
model-selection rules are developed on it, and only then measured once on :data:`PANEL`.

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
    offset: int = 0  # rows dropped from the end before cutting (an earlier forecast origin)


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

_DEV = (
    PanelSeries("ETTm2-OT hourly", "ETTm2.csv", "OT", "h", 3000, 24, 24),
    PanelSeries("ETTh1-HUFL daily", "ETTh1.csv", "HUFL", "D", 725, 14, 7),
    PanelSeries("ETTh2-MUFL hourly", "ETTh2.csv", "MUFL", None, 2000, 24, 24),
    PanelSeries("Weather-rh 2-hourly", "weather.csv", "rh (%)", "2h", 3000, 12, 12),
    PanelSeries("Weather-p daily", "weather.csv", "p (mbar)", "D", 366, 14, 7),
    PanelSeries("Exchange-5 weekly", "exchange_rate.csv", "5", "W", 1000, 8, 52),
    PanelSeries("Exchange-1 monthly", "exchange_rate.csv", "1", "MS", 170, 12, 12),
    PanelSeries("ILI age 0-4 weekly", "national_illness.csv", "AGE 0-4", None, 966, 13, 52),
    PanelSeries("ILI providers monthly", "national_illness.csv", "NUM. OF PROVIDERS", "MS", 160, 12, 12),
    PanelSeries("ETTm1-OT 2-hourly", "ETTm1.csv", "OT", "2h", 3000, 12, 12),
)
DEV_PANEL = tuple(
    PanelSeries(f"{spec.name} @-{k * spec.horizon}", spec.file, spec.column, spec.rule, spec.rows, spec.horizon,
                spec.season, k * spec.horizon)
    for spec in _DEV
    for k in (0, 1)
)
"""The development panel: :data:`_DEV` at two origins each."""


def load(spec: PanelSeries) -> pd.DataFrame:
    frame = pd.read_csv(DATA / spec.file)
    frame["date"] = pd.to_datetime(frame["date"], format="mixed")
    series = frame.set_index("date")[spec.column].astype(float)
    if spec.rule is not None:
        series = series.resample(spec.rule).mean().dropna()
    if spec.offset:
        series = series.iloc[: -spec.offset]
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
