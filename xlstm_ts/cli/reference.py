"""The CLI reference page (docs/cli.md), generated from the argument parser so it cannot drift.

    python -m xlstm_ts.cli.reference docs/cli.md    # rewrite the page
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

WIDTH = "100"


def render_cli_reference() -> str:
    """Markdown with the help text of `xlstm-ts` and of every subcommand."""
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH  # argparse wraps to the terminal width
    try:
        from xlstm_ts.cli import build_parser

        parser = build_parser()
        parts = [
            "# Command-line reference",
            "",
            "Generated from the argument parser by `python -m xlstm_ts.cli.reference docs/cli.md`;",
            "a test fails when this page and the parser disagree.",
            "",
            "```text",
            parser.format_help().rstrip(),
            "```",
        ]
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        for name, sub in subparsers.choices.items():
            parts += ["", f"## `xlstm-ts {name}`", "", "```text", sub.format_help().rstrip(), "```"]
        return "\n".join(parts) + "\n"
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous


def main(argv: list[str] | None = None) -> int:
    """Write the page to the path given (argv[0]), or to stdout without one."""
    args = sys.argv[1:] if argv is None else argv
    text = render_cli_reference()
    if args:
        Path(args[0]).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
