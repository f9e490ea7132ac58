"""The ``sweep`` and ``sweep-report`` subcommands: Optuna sweeps of :mod:`xlstm_ts.tuning`.

:func:`add_sweep_parsers` registers both; :func:`settings_from_args` turns a parsed ``sweep``
command line into the :class:`~xlstm_ts.tuning.sweep.SweepSettings` that ``run_sweep`` takes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from xlstm_ts.cli.common import (
    EXIT_INTERRUPTED,
    CLIError,
    add_allow_modified_data,
    add_data_dir,
    with_allow_modified_data,
)
from xlstm_ts.cli.files import add_file_flags, refuse_file_flags


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def add_sweep_parsers(subparsers: Any) -> None:
    """Register ``sweep`` and ``sweep-report`` on ``subparsers`` (from ``add_subparsers``)."""
    sweep = subparsers.add_parser(
        "sweep",
        help="Optuna sweep: tune xLSTM (ratios, blocks, ...) or a baseline on validation; workers may share a storage",
        description=(
            "Tune a model's hyper-parameters on the validation MSE with Optuna (TPE sampler, median pruner "
            "on the per-epoch val_loss), then retrain the best config and test it. Start the same command "
            "in several processes or machines (same --storage and --study-name) to share the trials."
        ),
    )
    sweep.add_argument("--dataset", help="benchmark name, e.g. ETTh1 (see `xlstm-ts datasets`); or --data FILE")
    sweep.add_argument("--horizon", type=_positive_int, help="forecast length (default: the dataset's first, 96; ILI 24)")
    sweep.add_argument("--model", default="xlstm",
                       help="model to tune: xlstm (default), a baseline, or 'all' (every model, one study each)")
    sweep.add_argument("--baselines", default="",
                       help="comma-separated baselines (or 'all') tuned after --model with the same trial budget, "
                            "each in its own study NAME-<model>")
    sweep.add_argument("--trials", type=_positive_int, default=50,
                       help="trials per study, all workers together (default 50; models with nothing to search run 1)")
    sweep.add_argument("--storage",
                       help="journal file path (default <output-dir>/<study-name>.journal), sqlite:///FILE.db "
                            "(one process) or postgresql://USER:PASS@HOST:PORT/DB (many machines)")
    sweep.add_argument("--study-name",
                       help="study name (default <dataset>-h<horizon>[-<model>]); several models: NAME-<model>")
    sweep.add_argument("--max-epochs", type=_positive_int, help="upper bound on epochs of every trial")
    sweep.add_argument("--timeout", type=float, help="seconds after which this worker starts no new trial")
    sweep.add_argument("--seed", type=int, help="training seed of every trial and sampler seed (default 2021)")
    add_data_dir(sweep)
    add_allow_modified_data(sweep, every_run="give it its own --study-name")
    sweep.add_argument("--output-dir", default="sweeps",
                       help="where the default journal, best.yaml and the refit run go (default sweeps/)")
    sweep.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="fixed setting for every trial, not searched: section.field=value, a unique field name, "
                            "or MODEL.field=value for one model (repeatable), e.g. limit_train_batches=50")
    sweep.add_argument("--pruner", choices=("median", "none"), default="median",
                       help="median: stop a trial whose val_loss is worse than the median of earlier trials at the same epoch")
    sweep.add_argument("--pruner-startup-trials", type=int, default=5,
                       help="complete trials before the median pruner acts (default 5)")
    sweep.add_argument("--pruner-warmup-epochs", type=int, default=1,
                       help="epochs of every trial never pruned (default 1)")
    sweep.add_argument("--trial-budget", type=_positive_float, default=None, metavar="SECONDS",
                       help="prune a trial whose training is projected to take longer than this (timed over its "
                            "first batches; default: no limit)")
    sweep.add_argument("--threads", type=_positive_int, default=None,
                       help="torch CPU threads per trial (default: this machine's cores divided by the sweep "
                            "workers running trials on it at each trial's start)")
    sweep.add_argument("--heartbeat-interval", type=_positive_int, default=30,
                       help="seconds between a running trial's heartbeats (default 30)")
    sweep.add_argument("--grace-period", type=_positive_int, default=120,
                       help="a running trial without heartbeat for this long is failed (default 120 s); "
                            "on the same machine a dead worker's trial is failed at once")
    sweep.add_argument("--no-refit", action="store_true", help="do not retrain and test the best config at the end")
    sweep.add_argument("--force-refit", action="store_true",
                       help="refit the best config even if done (or claimed by a worker on another machine)")
    sweep.add_argument("--progress", action="store_true", help="show Lightning's progress bar in every trial")
    add_file_flags(sweep)
    sweep.set_defaults(handler=cmd_sweep)

    report = subparsers.add_parser(
        "sweep-report",
        help="print a sweep's comparison table (xLSTM vs baselines) and save its Optuna plots",
        description="Summarize the studies NAME and NAME-<model> of a storage: trials, best validation MSE, "
                    "test metrics of the refit best config; write report.txt/json, best YAMLs and PNG plots.",
    )
    report.add_argument("--study-name", required=True, help="the sweep's study name (as given to `xlstm-ts sweep`)")
    report.add_argument("--storage", help="storage URL (default <output-dir>/<study-name>.journal)")
    report.add_argument("--output-dir", default="sweeps", help="the sweep's output folder (default sweeps/)")
    report.add_argument("--report-dir", help="where to write the report and plots (default <output-dir>/<study-name>-report/)")
    report.add_argument("--no-plots", action="store_true", help="only the table")
    report.set_defaults(handler=cmd_sweep_report)


def _models(args: argparse.Namespace) -> tuple[str, ...]:
    from xlstm_ts.models.registry import MODELS

    if args.model == "all":
        return tuple(MODELS)
    names = [args.model]
    baselines = [b.strip() for b in (args.baselines or "").split(",") if b.strip()]
    if baselines == ["all"]:
        baselines = [m for m in MODELS if m != args.model]
    for name in baselines:
        if name not in names:
            names.append(name)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        from xlstm_ts.tuning.objective import SweepError

        raise SweepError(f"unknown model(s) {unknown}; valid: {sorted(MODELS)} or 'all'")
    return tuple(names)


def settings_from_args(args: argparse.Namespace) -> Any:
    """The :class:`SweepSettings` of a parsed ``sweep`` command line."""
    from xlstm_ts.tuning.sweep import SweepSettings

    return SweepSettings(
        dataset=args.dataset,
        horizon=args.horizon,
        models=_models(args),
        trials=args.trials,
        study_name=args.study_name,
        storage=args.storage,
        output_dir=args.output_dir,
        max_epochs=args.max_epochs,
        timeout=args.timeout,
        seed=args.seed,
        data_dir=args.data_dir,
        overrides=tuple(with_allow_modified_data(args)),
        pruner=args.pruner,
        pruner_startup_trials=args.pruner_startup_trials,
        pruner_warmup_epochs=args.pruner_warmup_epochs,
        trial_budget=args.trial_budget,
        heartbeat_interval=args.heartbeat_interval,
        grace_period=args.grace_period,
        refit=not args.no_refit,
        force_refit=args.force_refit,
        progress=args.progress,
        threads=args.threads,
    )


def cmd_sweep(args: argparse.Namespace) -> int:
    """``xlstm-ts sweep``: run this worker's share of the trials, refit, print the comparison.

    Ctrl-C or SIGTERM marks the running trial failed and exits with EXIT_INTERRUPTED (130).
    """
    import optuna

    from xlstm_ts.tuning.report import format_report
    from xlstm_ts.tuning.storage import open_storage
    from xlstm_ts.tuning.sweep import install_sigterm, run_sweep

    if args.data:
        from xlstm_ts.cli.file_sweep import cmd_sweep_file

        return cmd_sweep_file(args)
    if not args.dataset:
        raise CLIError("give --dataset NAME (a benchmark) or --data FILE --target COL (your own file)")
    refuse_file_flags(args)
    settings = settings_from_args(args)
    undo = install_sigterm()
    try:
        outcomes = run_sweep(settings)
    except KeyboardInterrupt as err:
        print(f"\nxlstm-ts sweep: {err or 'interrupted'}; the running trial is marked failed. "
              f"Run the same command again to continue the study.", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        undo()
    storage, _ = open_storage(settings.storage_url(), heartbeat_interval=settings.heartbeat_interval,
                              grace_period=settings.grace_period)
    studies = [optuna.load_study(study_name=o.study_name, storage=storage) for o in outcomes]
    if studies:
        text, _ = format_report(studies)
        print(f"\nsweep {settings.group_name()} ({settings.dataset}, horizon {settings.horizon}):")
        print(text)
    for outcome in outcomes:
        if outcome.best_yaml is not None:
            print(f"best {outcome.model} config: {outcome.best_yaml}  (xlstm-ts fit --config {outcome.best_yaml})")
    print(f"plots and full report: xlstm-ts sweep-report --study-name {settings.group_name()}"
          + (f" --storage {args.storage}" if args.storage else f" --output-dir {settings.output_dir}"))
    return 0


def cmd_sweep_report(args: argparse.Namespace) -> int:
    """``xlstm-ts sweep-report``: print the comparison table, write the report and the plots."""
    from xlstm_ts.tuning.objective import SweepError
    from xlstm_ts.tuning.report import write_report
    from xlstm_ts.tuning.storage import open_storage, parse_storage_url

    url = args.storage or str(Path(args.output_dir) / f"{args.study_name}.journal")
    spec = parse_storage_url(url)
    if spec.kind == "journal" and spec.path is not None and not spec.path.is_file():
        hint = "" if args.storage else " (the default for this --study-name and --output-dir)"
        raise SweepError(f"no journal file {spec.path}{hint}: give the sweep's --storage URL or --output-dir")
    storage, spec = open_storage(url)
    out_dir = Path(args.report_dir) if args.report_dir else Path(args.output_dir) / f"{args.study_name}-report"
    text, written = write_report(storage, args.study_name, out_dir, plots=not args.no_plots, display=spec.display)
    print(text)
    print(f"\nwritten to {out_dir}: " + ", ".join(p.name for p in written))
    return 0
