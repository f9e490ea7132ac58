"""The ``backtest`` subcommand: a rolling-origin backtest of a saved ``XLSTMForecaster``'s settings
on a file (:meth:`XLSTMForecaster.cross_validation`), written as CSV, summarized, optionally drawn."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from xlstm_ts.cli.files import read_table


def add_backtest_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``xlstm-ts backtest MODEL_DIR --data FILE [--n-windows N] [--step-size S] [--refit]
    [--output CSV] [--plot PNG]``."""
    backtest = subparsers.add_parser(
        "backtest",
        help="rolling-origin backtest of a saved XLSTMForecaster's settings on a CSV/parquet file",
        description="Retrain the saved model's settings on the history before the first window (or before every "
                    "window with --refit) and forecast each window: one row per series x cutoff x step.",
    )
    backtest.add_argument("model_dir", help="a directory written by XLSTMForecaster.save()")
    backtest.add_argument("--data", required=True, help="CSV or parquet file in the form the model was fitted on")
    backtest.add_argument("--n-windows", type=int, default=3, help="windows per series (default 3)")
    backtest.add_argument("--step-size", type=int, help="steps between window starts (default: the horizon)")
    backtest.add_argument("--refit", action="store_true", help="retrain before every window")
    backtest.add_argument("--output", help="CSV to write (default: print a summary only)")
    backtest.add_argument("--plot", help="PNG of the windows of the first series")
    backtest.set_defaults(handler=cmd_backtest)
    return backtest


def cmd_backtest(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from xlstm_ts.forecaster import XLSTMForecaster

    model = XLSTMForecaster.load(args.model_dir)
    frame = read_table(args.data)
    if model.time_col in frame.columns and model.layout_.time_kind == "datetime":
        frame[model.time_col] = pd.to_datetime(frame[model.time_col], errors="raise")
    result = model.cross_validation(frame, n_windows=args.n_windows, step_size=args.step_size, refit=args.refit)
    error = (result[model.target_col] - result["forecast"]).to_numpy()
    print(f"backtest of {args.model_dir} on {args.data}: {result['cutoff'].nunique()} cutoff(s), "
          f"{result[model.id_col].nunique()} series, {len(result)} forecast steps")
    print(f"  MAE {np.mean(np.abs(error)):.6g}  MSE {np.mean(error ** 2):.6g}")
    for column in (c for c in result.columns if str(c).startswith("forecast-lo-")):
        high = column.replace("-lo-", "-hi-")
        inside = (result[model.target_col] >= result[column]) & (result[model.target_col] <= result[high])
        print(f"  {column.rsplit('-', 1)[1]}% interval covers {inside.mean():.1%} of the steps")
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        result.to_csv(args.output, index=False)
        print(f"  written to {args.output}")
    if args.plot:
        from xlstm_ts.plotting import plot_backtest

        figure = plot_backtest(result, id_col=model.id_col, time_col=model.time_col, target_col=model.target_col,
                               title=f"backtest: {Path(args.data).name}")
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(args.plot, dpi=110)
        print(f"  plot: {args.plot}")
    return 0
