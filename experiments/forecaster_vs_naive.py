"""XLSTMForecaster against the naive and seasonal-naive forecasts on single benchmark series.

    XLSTM_TS_DATA=../shared/datasets python experiments/forecaster_vs_naive.py

For each series: fit on the first `train` rows with the estimator's defaults, then forecast
`windows` consecutive blocks of `horizon` steps after them, each from all rows before it (never
trained on), and compare MAE / MSE / MASE with the two naive forecasts.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from xlstm_ts import XLSTMForecaster, metrics

CASES = [
    # file, column, seasonal period, horizon, training rows, evaluated windows
    ("weather.csv", "T (degC)", 144, 144, 4320, 30),  # (weather OT holds -9999 codes from row 7244)
    ("exchange_rate.csv", "OT", 5, 10, 2000, 60),
    ("national_illness.csv", "OT", 52, 12, 726, 20),
]


def main() -> None:
    folder = Path(os.environ.get("XLSTM_TS_DATA", "../shared/datasets"))
    for file, column, season, horizon, train_rows, windows in CASES:
        frame = pd.read_csv(folder / file)
        frame["date"] = pd.to_datetime(frame["date"], format="mixed")
        frame = frame.drop_duplicates("date")[["date", column]].iloc[: train_rows + horizon * windows]
        frame = frame.set_index("date").asfreq(pd.infer_freq(frame["date"].iloc[:100])).interpolate().reset_index()
        y = frame[column].to_numpy()
        cuts = [len(y) - horizon * w for w in range(windows, 0, -1)]
        actual = np.stack([y[c : c + horizon] for c in cuts])
        naive = np.stack([np.repeat(y[c - 1], horizon) for c in cuts])
        seasonal = np.stack([metrics.seasonal_naive_forecast(y[:c], horizon, season) for c in cuts])
        model = XLSTMForecaster(horizon=horizon, random_state=0, verbose=0).fit(frame.iloc[:train_rows])
        scores = model.evaluate(frame, n_windows=windows)
        print(f"{file}:{column} (h={horizon}, season={season}, train {train_rows} rows, {windows} windows)")
        print(f"  xLSTM           MAE {scores['mae']:.4f}  MSE {scores['mse']:.4f}  MASE {scores['mase']:.3f}")
        for name, forecast in (("naive", naive), ("seasonal naive", seasonal)):
            print(f"  {name:<15} MAE {metrics.mae(actual, forecast):.4f}  MSE {metrics.mse(actual, forecast):.4f}")


if __name__ == "__main__":
    main()
