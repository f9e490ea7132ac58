"""The `xlstm-ts` command line: fit, evaluate, predict, datasets (and more as they land).

Every subcommand is a small function `cmd_<name>(args) -> exit code`; `build_parser()` is the one
source of the CLI reference in the docs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from xlstm_ts.benchmark.records import RECORDS_DIR
from xlstm_ts.benchmark.runner import TABLE_DATASETS, TABLE_HORIZONS

EXIT_USAGE = 2


class CLIError(Exception):
    """A user-facing error: printed without a traceback, exit code 2."""


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", help="folder with the benchmark CSVs (searched before $XLSTM_TS_DATA and the cache)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xlstm-ts",
        description="Time-series forecasting with xLSTM: train on the standard benchmarks, evaluate, predict.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    fit = sub.add_parser("fit", help="train a forecaster on a benchmark and report test metrics")
    fit.add_argument("--dataset", help="benchmark name, e.g. ETTh1 (see `xlstm-ts datasets`)")
    fit.add_argument("--model", help="network: xlstm (default) or a baseline (naive, dlinear, patchtst, ...)")
    fit.add_argument("--horizon", type=int, help="forecast length (default 96; ILI 24)")
    fit.add_argument("--lookback", type=int, help="input window length (default: the dataset's, 336; ILI 104)")
    fit.add_argument("--config", help="YAML run config (sections model/data/network/train), e.g. from experiments/configs")
    fit.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a setting: section.field=value or a unique field name (repeatable)",
    )
    fit.add_argument("--max-epochs", type=int, help="upper bound on epochs")
    fit.add_argument("--seed", type=int, help="random seed")
    fit.add_argument("--output-dir", help="run directory (default runs/<dataset>-<horizon>-<timestamp>/)")
    _add_data_dir(fit)
    fit.add_argument("--accelerator", help="Lightning accelerator: cpu, gpu, auto")
    fit.add_argument("--devices", help="number of devices / processes (DDP: one per device)")
    fit.add_argument("--strategy", help="Lightning strategy, e.g. ddp")
    fit.add_argument("--no-progress", action="store_true", help="one line per epoch instead of a progress bar (for logs)")
    fit.add_argument("--quiet", action="store_true", help="no progress output, only the final table")
    fit.set_defaults(handler=cmd_fit)

    evaluate = sub.add_parser("evaluate", help="recompute the test metrics of a run directory from its saved model")
    evaluate.add_argument("run_dir", help="a directory written by `xlstm-ts fit`")
    _add_data_dir(evaluate)
    evaluate.set_defaults(handler=cmd_evaluate)

    predict = sub.add_parser("predict", help="forecast the horizon after the end of a CSV with a saved model")
    predict.add_argument("run_dir", help="a directory written by `xlstm-ts fit`")
    predict.add_argument("--input", required=True, help="CSV with a date column and the model's channels")
    predict.add_argument("--output", required=True, help="CSV to write: date + forecast columns")
    predict.set_defaults(handler=cmd_predict)

    bench = sub.add_parser(
        "benchmark", help="run the configs in experiments/configs over datasets x horizons x seeds (resumes)"
    )
    bench.add_argument("--datasets", default=",".join(TABLE_DATASETS), help="comma-separated benchmark names")
    bench.add_argument("--horizons", default=",".join(str(h) for h in TABLE_HORIZONS),
                       help="comma-separated horizons (ILI uses its own 24,36,48,60)")
    bench.add_argument("--seeds", default="2021", help="comma-separated seeds")
    bench.add_argument("--configs", default="experiments/configs", help="folder of <Dataset>_<horizon>.yaml configs")
    bench.add_argument("--output", default="runs/benchmark", help="folder of the run directories (model weights)")
    bench.add_argument("--records", default=RECORDS_DIR,
                       help="folder of the result records, one JSON per run (the resume point and the table's source)")
    bench.add_argument("--published", default="experiments/published.yaml", help="published numbers to compare with")
    bench.add_argument("--results-md", default="docs/results.md", help="the generated table")
    bench.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override for every run")
    bench.add_argument("--no-naive", action="store_true",
                       help="skip the naive (repeat the last value) column; it needs no training")
    bench.add_argument("--redo-recovered", action="store_true",
                       help="run again the cells whose record was recovered (metrics only, no run files)")
    bench.add_argument("--dry-run", action="store_true",
                       help="list the runs and whether they are done, rewrite the table; train nothing")
    _add_data_dir(bench)
    bench.set_defaults(handler=cmd_benchmark)

    from xlstm_ts.plotting import add_plot_parser
    from xlstm_ts.tuning import add_sweep_parsers

    add_sweep_parsers(sub)
    add_plot_parser(sub)

    datasets = sub.add_parser("datasets", help="list the benchmark registry and which files are available locally")
    _add_data_dir(datasets)
    datasets.set_defaults(handler=cmd_datasets)
    return parser


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
    from xlstm_ts.pipeline.fit import default_output_dir, fit_run

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
    from xlstm_ts.data.datamodule import ForecastDataModule
    from xlstm_ts.io import load_network
    from xlstm_ts.training.evaluate import error_metrics, predict_windows
    from xlstm_ts.pipeline.run_config import RunConfig

    run_dir = Path(args.run_dir)
    if not (run_dir / "config.yaml").is_file():
        raise CLIError(f"{run_dir} has no config.yaml: not a run directory written by `xlstm-ts fit`")
    config = RunConfig.from_yaml(run_dir / "config.yaml")
    network, description = load_network(run_dir)
    data_values = dict(config.to_dict()["data"])
    if args.data_dir:
        data_values["data_dir"] = args.data_dir
    from xlstm_ts.data.config import DataConfig

    data = ForecastDataModule(DataConfig(**data_values))
    data.prepare_data()
    data.setup("test")
    if description.get("scaler"):
        data.load_state_dict({"dataset": data.spec.name, "scaler": description["scaler"]})
    prediction, target = predict_windows(network, data.test_dataloader())
    metrics = error_metrics(prediction, target, data.scaler, description.get("output_channels"), prefix="test")
    saved_path = run_dir / "metrics.json"
    saved = json.loads(saved_path.read_text()) if saved_path.is_file() else {}
    print(f"{config.model} on {data.spec.name}, horizon {config.data.horizon}: recomputed from {run_dir}")
    for key, value in metrics.items():
        note = ""
        if key in saved and isinstance(value, float):
            note = "  (matches metrics.json)" if abs(saved[key] - value) <= 1e-6 * max(1.0, abs(value)) else f"  (metrics.json: {saved[key]:.6f})"
        print(f"  {key:<20} {value:.6f}{note}" if isinstance(value, float) else f"  {key:<20} {value}")
    return 0


# --------------------------------------------------------------------------- predict
def cmd_predict(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd
    import torch

    from xlstm_ts.data.scaling import StandardScaler
    from xlstm_ts.io import load_network

    network, description = load_network(args.run_dir)
    lookback, horizon = description["config"]["lookback"], description["config"]["horizon"]
    channels: list[str] = description["channel_names"]
    outputs: list[str] = description.get("output_names") or channels
    frame = pd.read_csv(args.input)
    date_column = "date" if "date" in frame.columns else frame.columns[0]
    dates = pd.to_datetime(frame[date_column], errors="coerce")
    if dates.isna().any():
        raise CLIError(f"{args.input}: column {date_column!r} has {int(dates.isna().sum())} unparseable dates")
    missing = [c for c in channels if c not in frame.columns]
    if missing:
        raise CLIError(f"{args.input} lacks the model's channels {missing}; it has {list(frame.columns)}")
    if len(frame) < lookback:
        raise CLIError(f"{args.input} has {len(frame)} rows; the model needs the last {lookback} (its lookback)")
    values = frame[channels].to_numpy(dtype=np.float64)[-lookback:]
    if not np.isfinite(values).all():
        raise CLIError(f"{args.input}: the last {lookback} rows contain NaN or infinite values")
    scaler = StandardScaler.from_state_dict(description["scaler"]) if description.get("scaler") else None
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
        raise CLIError(f"{args.input}: cannot infer the time step from the dates")
    freq = offset.freqstr
    future = pd.date_range(dates.iloc[-1] + offset, periods=horizon, freq=offset)
    result = pd.DataFrame(y, columns=outputs)
    result.insert(0, "date", future)
    result.to_csv(args.output, index=False)
    print(f"wrote {horizon} steps ({future[0]} .. {future[-1]}, step {freq}) to {args.output}")
    return 0


# --------------------------------------------------------------------------- benchmark
def _csv_ints(text: str, flag: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as err:
        raise CLIError(f"{flag} expects comma-separated integers, got {text!r}") from err


def cmd_benchmark(args: argparse.Namespace) -> int:
    from xlstm_ts.benchmark import cell_status, git_commit, load_published, plan_cells, run_cell, run_reference_cell

    git_commit()  # pinned now: the code this process runs, whatever is checked out later

    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    cells = plan_cells(datasets, _csv_ints(args.horizons, "--horizons"), _csv_ints(args.seeds, "--seeds"))
    configs, output, records = Path(args.configs), Path(args.output), Path(args.records)
    published = load_published(Path(args.published))
    try:
        if not args.dry_run and not args.no_naive:
            rows = sorted({(cell.dataset, cell.horizon) for cell in cells})
            print(f"naive forecast (repeat the last value) on the same windows: {len(rows)} row(s)", flush=True)
            for dataset, horizon in rows:
                run_reference_cell(dataset, horizon, configs, output, records, args.data_dir)
        for number, cell in enumerate(cells, start=1):
            status = cell_status(cell, configs, records, args.set)
            state = {"done": "done", "stale": "stale record (config changed): to run", "to run": "to run"}[status.state]
            if status.state == "done" and (status.record or {}).get("provenance") == "recovered":
                state = "done (recovered record" + ("): to run again" if args.redo_recovered else ")")
            print(f"[{number}/{len(cells)}] {cell.name}: {state}", flush=True)
            if args.dry_run:
                continue
            record = run_cell(cell, configs, output, records, args.data_dir, args.set, args.redo_recovered)
            print(f"    test MSE {record['test_mse']:.4f}  MAE {record['test_mae']:.4f}  "
                  f"({record.get('train_seconds', 0):.0f} s)", flush=True)
            _write_table(args, records, published, cells)
    except FileNotFoundError as err:
        raise CLIError(str(err)) from err
    _write_table(args, records, published, cells)
    print(f"results table: {args.results_md}")
    return 0


def _write_table(args: argparse.Namespace, records: Path, published: dict | None, cells: list) -> None:
    """docs/results.md from every current record, with a row for each planned cell not run yet."""
    from xlstm_ts.benchmark import write_results_table

    write_results_table(args.results_md, records, args.configs, args.set, published, cells)


# --------------------------------------------------------------------------- datasets
def cmd_datasets(args: argparse.Namespace) -> int:
    from xlstm_ts.data.download import DatasetNotFoundError, resolve_dataset_path
    from xlstm_ts.data.registry import REGISTRY

    print(f"{'name':<12} {'file':<22} {'rows':>7} {'ch':>4} {'freq':>6} {'split':<11} local copy")
    for spec in REGISTRY.values():
        try:
            where = str(resolve_dataset_path(spec, args.data_dir, download=False, verify=False, progress=False))
        except DatasetNotFoundError:
            where = "- (downloads on first use)"
        print(f"{spec.name:<12} {spec.file_name:<22} {spec.n_rows:>7} {spec.n_channels:>4} {spec.freq:>6} "
              f"{spec.split:<11} {where}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from xlstm_ts.cpu_memory import keep_freed_memory_unless_disabled

    keep_freed_memory_unless_disabled()
    try:
        return args.handler(args)
    except CLIError as err:
        print(f"xlstm-ts {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, FileNotFoundError) as err:
        print(f"xlstm-ts {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
