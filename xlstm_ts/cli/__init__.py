"""The `xlstm-ts` command line: one parser, one :func:`main`.

Layout (one module per group of subcommands; each has an ``add_*_parser(s)(subparsers)`` function
that registers its subcommands, and a handler ``cmd_<name>(args) -> exit code`` per subcommand,
set as ``handler``):

* :mod:`.runs`: ``fit``, ``evaluate``, ``predict`` (one run directory; the work is in
  :mod:`xlstm_ts.pipeline`);
* :mod:`.benchmark`: ``benchmark`` (the table of experiments/configs, resumable);
* :mod:`.sweep`: ``sweep``, ``sweep-report`` (Optuna, :mod:`xlstm_ts.tuning`);
* :mod:`.plot`: ``plot`` (the last test window of a run directory);
* :mod:`.backtest`: ``backtest`` (rolling-origin backtest of a saved ``XLSTMForecaster`` on a file);
* :mod:`.stream`: ``stream`` (a saved ``XLSTMForecaster`` updated row by row, forecasts printed);
* :mod:`.datasets`: ``datasets`` (the registry and the local copies);
* :mod:`.common`: :class:`CLIError`, the exit codes, the --data-dir flag;
* :mod:`.reference`: docs/cli.md generated from :func:`build_parser`
  (``python -m xlstm_ts.cli.reference docs/cli.md``).

``python -m xlstm_ts.cli`` and the ``xlstm-ts`` entry point both run :func:`main`. Handlers import
what they need when they run, so building the parser stays fast (no torch import).
"""

from __future__ import annotations

import argparse
import sys

from xlstm_ts.cli.backtest import add_backtest_parser
from xlstm_ts.cli.benchmark import add_benchmark_parser
from xlstm_ts.cli.common import EXIT_INTERRUPTED, EXIT_USAGE, CLIError
from xlstm_ts.cli.datasets import add_datasets_parser
from xlstm_ts.cli.plot import add_plot_parser
from xlstm_ts.cli.runs import add_run_parsers, format_metrics_table, run_config_from_args
from xlstm_ts.cli.stream import add_stream_parser
from xlstm_ts.cli.sweep import add_sweep_parsers

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "CLIError",
    "build_parser",
    "format_metrics_table",
    "main",
    "run_config_from_args",
]


def build_parser() -> argparse.ArgumentParser:
    """The `xlstm-ts` parser with every subcommand (the one source of docs/cli.md)."""
    parser = argparse.ArgumentParser(
        prog="xlstm-ts",
        description="Time-series forecasting with xLSTM: train on the standard benchmarks, evaluate, predict.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_run_parsers(sub)
    add_benchmark_parser(sub)
    add_sweep_parsers(sub)
    add_plot_parser(sub)
    add_backtest_parser(sub)
    add_stream_parser(sub)
    add_datasets_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; user errors (CLIError, ValueError, FileNotFoundError) exit with 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from xlstm_ts.cpu_memory import keep_freed_memory_unless_disabled

    keep_freed_memory_unless_disabled()
    try:
        return args.handler(args)
    except (CLIError, ValueError, FileNotFoundError) as err:
        print(f"xlstm-ts {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
