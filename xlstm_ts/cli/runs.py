"""The ``fit``, ``evaluate`` and ``predict`` subcommands: one run directory each.

Benchmark runs (``--dataset``): the work is in :mod:`xlstm_ts.pipeline`
(:func:`~xlstm_ts.pipeline.fit.fit_run`, :func:`~xlstm_ts.pipeline.evaluate.evaluate_run`,
:func:`~xlstm_ts.pipeline.predict.predict_run`). Runs on the user's own file (``--data``): an
``XLSTMForecaster``, in :mod:`xlstm_ts.cli.files`. The handlers turn flags into arguments, read
and write the files, and print.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from xlstm_ts.cli.common import CLIError, add_allow_modified_data, add_data_dir
from xlstm_ts.cli.files import (
    add_file_flags,
    cmd_evaluate_file,
    cmd_fit_file,
    cmd_predict_file,
    is_file_run,
    refuse_file_flags,
    wants_file_run,
)


def add_run_parsers(subparsers: Any) -> None:
    """Register ``fit``, ``evaluate`` and ``predict`` on ``subparsers`` (from ``add_subparsers``)."""
    fit = subparsers.add_parser(
        "fit", help="train a forecaster on a benchmark (--dataset) or on your own CSV/parquet file (--data)"
    )
    fit.add_argument("--dataset", help="benchmark name, e.g. ETTh1 (see `xlstm-ts datasets`)")
    fit.add_argument("--model", help="network: xlstm (default) or a baseline (naive, dlinear, patchtst, ...)")
    fit.add_argument("--horizon", type=int, help="forecast length (default 96; ILI 24; your file: 24)")
    fit.add_argument("--lookback", type=int,
                     help="input window length (default: the dataset's, 336; ILI 104; your file: from its season)")
    fit.add_argument("--config", help="YAML run config (sections model/data/network/train), e.g. from experiments/configs; "
                                      "or a file run's config.yaml (kind: file) to rerun it")
    fit.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a setting: section.field=value or a unique field name (repeatable); with --data an "
             "XLSTMForecaster parameter, e.g. embedding_dim=32",
    )
    fit.add_argument("--max-epochs", type=int, help="upper bound on epochs")
    fit.add_argument("--seed", type=int, help="random seed")
    fit.add_argument("--output-dir", help="run directory (default runs/<dataset>-<horizon>-<timestamp>/)")
    add_data_dir(fit)
    add_allow_modified_data(fit)
    fit.add_argument("--accelerator", help="Lightning accelerator: cpu, gpu, auto")
    fit.add_argument("--devices", help="number of devices / processes (DDP: one per device)")
    fit.add_argument("--strategy", help="Lightning strategy, e.g. ddp")
    fit.add_argument("--no-progress", action="store_true", help="one line per epoch instead of a progress bar (for logs)")
    fit.add_argument("--quiet", action="store_true", help="no progress output, only the final table")
    add_file_flags(fit)
    fit.set_defaults(handler=cmd_fit)

    evaluate = subparsers.add_parser(
        "evaluate", help="recompute the test metrics of a run directory from its saved model (a file run: on --data FILE)"
    )
    evaluate.add_argument("run_dir", help="a directory written by `xlstm-ts fit`")
    evaluate.add_argument("--data", metavar="FILE",
                          help="a file run: CSV/parquet whose last windows are scored (rows after the fit data)")
    evaluate.add_argument("--n-windows", type=int, default=1,
                          help="a file run: windows of horizon steps scored per series (default 1)")
    add_data_dir(evaluate)
    add_allow_modified_data(evaluate)
    evaluate.set_defaults(handler=cmd_evaluate)

    predict = subparsers.add_parser("predict", help="forecast the horizon after the end of a CSV with a saved model")
    predict.add_argument("run_dir", help="a directory written by `xlstm-ts fit`")
    predict.add_argument("--input", required=True,
                         help="CSV with a date column and the model's channels (a file run: CSV/parquet like the fit file)")
    predict.add_argument("--output", required=True, help="CSV (or .parquet for a file run) to write: time + forecast columns")
    predict.add_argument("--future", metavar="FILE",
                         help="a file run with future covariates: their values for the horizon after each series' end")
    predict.set_defaults(handler=cmd_predict)


# --------------------------------------------------------------------------- fit
def run_config_from_args(args: argparse.Namespace) -> Any:
    """Merge --config, the dedicated flags and --set overrides into a RunConfig."""
    from xlstm_ts.data.registry import get_spec
    from xlstm_ts.pipeline.run_config import RunConfig, apply_overrides

    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise CLIError(f"--config {path}: file not found")
        values = RunConfig.from_yaml(path).to_dict()
    else:
        values = {"model": "xlstm", "data": {}, "network": {}, "train": {}}
    if args.model:
        values["model"] = args.model
    data = values.setdefault("data", {})
    if args.dataset:
        data["dataset"] = args.dataset
    if not data.get("dataset"):
        raise CLIError("give --dataset NAME (see `xlstm-ts datasets`) or a --config with data.dataset")
    spec = get_spec(data["dataset"])
    if not args.config:
        data["lookback"] = spec.default_lookback
        data["horizon"] = spec.horizons[0]
    for flag, key in (("horizon", "horizon"), ("lookback", "lookback"), ("data_dir", "data_dir")):
        if getattr(args, flag) is not None:
            data[key] = getattr(args, flag)
    if getattr(args, "allow_modified_data", False):
        data["allow_modified_data"] = True
    train = values.setdefault("train", {})
    for flag in ("max_epochs", "seed", "accelerator", "strategy"):
        if getattr(args, flag) is not None:
            train[flag] = getattr(args, flag)
    if args.devices is not None:
        train["devices"] = int(args.devices) if args.devices.isdigit() else args.devices
    if values.get("network"):
        values["network"] = {k: v for k, v in values["network"].items() if k not in ("lookback", "horizon")}
    values = apply_overrides(values, args.set)
    return RunConfig.from_dict(values)


def format_metrics_table(metrics: dict[str, Any]) -> str:
    """The short table printed after a run."""
    rows = [
        ("test MSE (scaled)", metrics.get("test_mse")),
        ("test MAE (scaled)", metrics.get("test_mae")),
        ("test MSE (original units)", metrics.get("test_mse_original")),
        ("test MAE (original units)", metrics.get("test_mae_original")),
        ("validation MSE", metrics.get("val_mse")),
        ("test windows", metrics.get("test_windows")),
        ("epochs (best)", f"{metrics.get('epochs')} "
                          f"({'untrained weights' if metrics.get('best_epoch') == -1 else metrics.get('best_epoch')})"),
        ("train seconds", metrics.get("train_seconds")),
        ("parameters", metrics.get("n_parameters")),
    ]
    width = max(len(name) for name, _ in rows)
    lines = []
    for name, value in rows:
        if value is None:
            continue
        text = f"{value:.4f}" if isinstance(value, float) and name != "train seconds" else str(value)
        lines.append(f"  {name:<{width}}  {text}")
    return "\n".join(lines)


def cmd_fit(args: argparse.Namespace) -> int:
    """``xlstm-ts fit``: train, write the run directory, print the metrics table."""
    if wants_file_run(args):
        return cmd_fit_file(args)
    refuse_file_flags(args)
    from xlstm_ts.pipeline.fit import fit_run
    from xlstm_ts.pipeline.run_dir import default_output_dir

    config = run_config_from_args(args)
    output_dir = Path(args.output_dir) if args.output_dir else default_output_dir(config)
    result = fit_run(config, output_dir, progress=not (args.quiet or args.no_progress), quiet=args.quiet)
    if result is None:  # a non-zero DDP rank
        return 0
    print(f"\n{config.model} on {result.metrics['dataset']}, horizon {config.data.horizon}, "
          f"lookback {config.data.lookback}: every test window")
    print(format_metrics_table(result.metrics))
    print(f"  written to {output_dir}")
    return 0


# --------------------------------------------------------------------------- evaluate
def cmd_evaluate(args: argparse.Namespace) -> int:
    """``xlstm-ts evaluate``: the recomputed test metrics beside those in metrics.json."""
    if is_file_run(args.run_dir):
        return cmd_evaluate_file(args)
    if args.data:
        raise CLIError(f"--data is for runs on your own file; {args.run_dir} is a benchmark run (scored on its test split)")
    from xlstm_ts.data.registry import get_spec
    from xlstm_ts.pipeline.evaluate import evaluate_run

    run, metrics = evaluate_run(args.run_dir, args.data_dir, allow_modified_data=args.allow_modified_data)
    config, saved = run.config, run.metrics
    print(f"{config.model} on {get_spec(config.data.dataset).name}, horizon {config.data.horizon}: "
          f"recomputed from {run.path}")
    for key, value in metrics.items():
        note = ""
        if key in saved and isinstance(value, float):
            note = "  (matches metrics.json)" if abs(saved[key] - value) <= 1e-6 * max(1.0, abs(value)) else f"  (metrics.json: {saved[key]:.6f})"
        print(f"  {key:<20} {value:.6f}{note}" if isinstance(value, float) else f"  {key:<20} {value}")
    return 0


# --------------------------------------------------------------------------- predict
def cmd_predict(args: argparse.Namespace) -> int:
    """``xlstm-ts predict``: read the CSV, forecast the next horizon, write the CSV."""
    import pandas as pd

    from xlstm_ts.pipeline.predict import predict_run
    from xlstm_ts.pipeline.run_dir import open_run

    if is_file_run(args.run_dir):
        return cmd_predict_file(args)
    if args.future:
        raise CLIError(f"--future is for runs on your own file with future covariates; {args.run_dir} is a benchmark run")
    run = open_run(args.run_dir)
    if not Path(args.input).is_file():
        raise CLIError(f"--input {args.input}: no such file; give the CSV with a date column and the model's channels")
    try:
        frame = pd.read_csv(args.input)
    except (ValueError, OSError) as err:  # empty file, parser errors, undecodable bytes, unreadable
        raise CLIError(
            f"--input {args.input}: cannot read it as a CSV ({type(err).__name__}: {err}); give a comma-separated "
            f"file with a header row (date and the model's channels)"
        ) from None
    forecast = predict_run(run, frame, source=str(args.input))
    try:
        forecast.to_csv(args.output, index=False)
    except OSError as err:
        raise CLIError(f"--output {args.output}: cannot write it ({err}); give a writable path") from None
    dates = forecast["date"]
    print(f"wrote {len(forecast)} steps ({dates.iloc[0]} .. {dates.iloc[-1]}, step {forecast.attrs['freq']}) "
          f"to {args.output}")
    return 0
