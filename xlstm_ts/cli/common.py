"""What the subcommand modules share: the user-facing error, the exit codes, the --data-dir flag."""

from __future__ import annotations

import argparse

EXIT_USAGE = 2
"""Exit code of a user error (bad flags, missing files, bad input)."""
EXIT_INTERRUPTED = 130
"""Exit code of an interrupted sweep (Ctrl-C or SIGTERM)."""


class CLIError(Exception):
    """A user-facing error: printed without a traceback, exit code 2."""


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    """The --data-dir flag of every subcommand that reads the benchmark CSVs."""
    parser.add_argument(
        "--data-dir", help="folder with the benchmark CSVs (searched before $XLSTM_TS_DATA and the cache)"
    )
