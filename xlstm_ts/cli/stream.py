"""The ``stream`` subcommand: feed rows to a saved ``XLSTMForecaster`` as they arrive (stdin or a
file) and print a forecast each time a series advances."""

from __future__ import annotations

import argparse
from typing import Any


def add_stream_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``xlstm-ts stream MODEL_DIR --input FILE|-``."""
    stream = subparsers.add_parser("stream", help="update a saved XLSTMForecaster row by row and print forecasts")
    stream.add_argument("model_dir", help="a directory written by XLSTMForecaster.save()")
    stream.add_argument("--input", required=True, help="CSV file of new rows, or - for stdin")
    stream.set_defaults(handler=cmd_stream)
    return stream


def cmd_stream(args: argparse.Namespace) -> int:
    """``xlstm-ts stream``: not implemented yet."""
    raise NotImplementedError("xlstm-ts stream is not implemented yet")
