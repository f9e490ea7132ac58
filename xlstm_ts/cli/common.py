"""What the subcommand modules share: the user-facing error, the exit codes, the --data-dir and
--allow-modified-data flags."""

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


ALLOW_MODIFIED_OVERRIDE = "data.allow_modified_data=true"
"""The ``--set`` item that ``--allow-modified-data`` stands for in ``benchmark`` and ``sweep``."""


def add_allow_modified_data(parser: argparse.ArgumentParser, *, every_run: str = "") -> None:
    """The --allow-modified-data flag of every subcommand that reads the benchmark CSVs.

    ``every_run``: for ``benchmark`` and ``sweep``, where the flag stands for
    ``--set data.allow_modified_data=true`` on every run (see :func:`with_allow_modified_data`),
    what that means there; appended to the help.
    """
    scope = f" for every run, as --set data.allow_modified_data=true ({every_run})" if every_run else ""
    parser.add_argument(
        "--allow-modified-data", action="store_true",
        help="use a local benchmark CSV whose sha256 differs from the registry (refused otherwise)" + scope
             + "; metrics.json records data_modified and data_sha256",
    )


def with_allow_modified_data(args: argparse.Namespace) -> list[str]:
    """``args.set`` plus :data:`ALLOW_MODIFIED_OVERRIDE` when ``--allow-modified-data`` was given."""
    overrides = list(args.set)
    if getattr(args, "allow_modified_data", False):
        overrides.append(ALLOW_MODIFIED_OVERRIDE)
    return overrides
