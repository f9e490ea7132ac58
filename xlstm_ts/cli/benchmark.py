"""The ``benchmark`` subcommand: run experiments/configs over datasets x horizons x seeds, resuming,
and rewrite docs/results.md (the work is in :mod:`xlstm_ts.benchmark`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from xlstm_ts.benchmark.records import RECORDS_DIR, REFERENCE_MODELS
from xlstm_ts.benchmark.runner import TABLE_DATASETS, TABLE_HORIZONS
from xlstm_ts.cli.common import CLIError, add_allow_modified_data, add_data_dir, with_allow_modified_data


def add_benchmark_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``benchmark`` on ``subparsers`` (from ``add_subparsers``)."""
    bench = subparsers.add_parser(
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
    bench.add_argument("--no-references", action="store_true",
                       help="skip the reference forecasts (naive, Theta and ETS columns); they need no training")
    bench.add_argument("--no-naive", action="store_true",
                       help="skip the naive (repeat the last value) reference forecast")
    bench.add_argument("--no-theta", action="store_true",
                       help="skip the Theta reference forecast (the standard Theta method per lookback window)")
    bench.add_argument("--no-ets", action="store_true",
                       help="skip the ETS reference forecast (damped-trend exponential smoothing per lookback window)")
    bench.add_argument("--redo-recovered", action="store_true",
                       help="run again the cells whose record was recovered (metrics only, no run files)")
    bench.add_argument("--dry-run", action="store_true",
                       help="list the runs and whether they are done, rewrite the table; train nothing")
    add_data_dir(bench)
    add_allow_modified_data(
        bench, every_run="part of the config hash: records of modified data never count for the canonical config; "
                         "no references; use other --records/--output/--results-md",
    )
    bench.set_defaults(handler=cmd_benchmark)
    return bench


def _csv_ints(text: str, flag: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as err:
        raise CLIError(f"{flag} expects comma-separated integers, got {text!r}") from err


def cmd_benchmark(args: argparse.Namespace) -> int:
    """``xlstm-ts benchmark``: run the cells not done yet, rewriting the table after each."""
    from xlstm_ts.benchmark import cell_status, git_commit, load_published, plan_cells, run_cell, run_reference_cell

    git_commit()  # pinned now: the code this process runs, whatever is checked out later

    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    cells = plan_cells(datasets, _csv_ints(args.horizons, "--horizons"), _csv_ints(args.seeds, "--seeds"))
    configs, output, records = Path(args.configs), Path(args.output), Path(args.records)
    published = load_published(Path(args.published))
    overrides = with_allow_modified_data(args)  # --allow-modified-data is part of every cell's config (and hash)
    references = _reference_models(args)
    try:
        rows = sorted({(cell.dataset, cell.horizon) for cell in cells})
        for model in references:
            print(f"reference forecast {model} (no training) on the same windows: {len(rows)} row(s)", flush=True)
            for dataset, horizon in rows:
                run_reference_cell(dataset, horizon, configs, output, records, args.data_dir, model=model)
        for number, cell in enumerate(cells, start=1):
            status = cell_status(cell, configs, records, overrides)
            state = {"done": "done", "stale": "stale record (config changed): to run", "to run": "to run"}[status.state]
            if status.state == "done" and (status.record or {}).get("provenance") == "recovered":
                state = "done (recovered record" + ("): to run again" if args.redo_recovered else ")")
            print(f"[{number}/{len(cells)}] {cell.name}: {state}", flush=True)
            if args.dry_run:
                continue
            record = run_cell(cell, configs, output, records, args.data_dir, overrides, args.redo_recovered)
            print(f"    test MSE {record['test_mse']:.4f}  MAE {record['test_mae']:.4f}  "
                  f"({record.get('train_seconds', 0):.0f} s)", flush=True)
            _write_table(args, records, published, cells)
    except FileNotFoundError as err:
        raise CLIError(str(err)) from err
    _write_table(args, records, published, cells)
    print(f"results table: {args.results_md}")
    return 0


def _reference_models(args: argparse.Namespace) -> list[str]:
    """The reference forecasts to run before the cells: REFERENCE_MODELS less those skipped."""
    if args.dry_run or args.no_references:
        return []
    skipped = {"naive": args.no_naive, "theta": args.no_theta, "ets": args.no_ets}
    models = [model for model in REFERENCE_MODELS if not skipped.get(model, False)]
    if models and args.allow_modified_data:
        # A reference runs the YAML's data settings without overrides: it would refuse the modified
        # file, and a record of it could not be told apart from one of canonical data.
        print("reference forecasts skipped: they take no --set/--allow-modified-data overrides", flush=True)
        return []
    return models


def _write_table(args: argparse.Namespace, records: Path, published: dict | None, cells: list) -> None:
    """docs/results.md from every current record, with a row for each planned cell not run yet."""
    from xlstm_ts.benchmark import write_results_table

    write_results_table(args.results_md, records, args.configs, with_allow_modified_data(args), published, cells)
