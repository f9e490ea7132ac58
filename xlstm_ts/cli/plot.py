"""The ``plot`` subcommand: the last test window of a run directory as a PNG
(drawn by :func:`xlstm_ts.pipeline.plots.plot_run`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from xlstm_ts.cli.common import add_allow_modified_data, add_data_dir


def add_plot_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``xlstm-ts plot RUN_DIR [--output PNG] [--data-dir DIR] [--allow-modified-data] [--channel NAME]``.

    ``subparsers`` is the object returned by ``parser.add_subparsers()``; the handler is
    :func:`cmd_plot` (set as ``handler``, as the other subcommands do).
    """
    plot = subparsers.add_parser("plot", help="draw the last test window of a run directory as a PNG")
    plot.add_argument("run_dir", help="a directory written by `xlstm-ts fit`")
    plot.add_argument("--output", help="PNG file to write (default: RUN_DIR/last_test_window.png)")
    add_data_dir(plot)
    add_allow_modified_data(plot)
    plot.add_argument("--channel", help="output channel to draw (default: the run's target)")
    plot.set_defaults(handler=cmd_plot)
    return plot


def cmd_plot(args: argparse.Namespace) -> int:
    """``xlstm-ts plot``: write the PNG and print its path."""
    from xlstm_ts.pipeline.plots import plot_run

    output = Path(args.output) if args.output else Path(args.run_dir) / "last_test_window.png"
    path = plot_run(args.run_dir, output, data_dir=args.data_dir, channel=args.channel,
                    allow_modified_data=args.allow_modified_data)
    print(f"wrote {path}")
    return 0
