"""The ``datasets`` subcommand: list the benchmark registry and where each file is found locally."""

from __future__ import annotations

import argparse
from typing import Any

from xlstm_ts.cli.common import add_data_dir


def add_datasets_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``datasets`` on ``subparsers`` (from ``add_subparsers``)."""
    datasets = subparsers.add_parser("datasets", help="list the benchmark registry and which files are available locally")
    add_data_dir(datasets)
    datasets.set_defaults(handler=cmd_datasets)
    return datasets


def cmd_datasets(args: argparse.Namespace) -> int:
    """``xlstm-ts datasets``: one line per registry entry, with its local copy and whether that copy
    is the canonical file (nothing is downloaded; a differing copy is listed, not refused)."""
    from xlstm_ts.data.download import DatasetNotFoundError, resolve_dataset_path
    from xlstm_ts.data.hashing import file_sha256
    from xlstm_ts.data.registry import REGISTRY

    print(f"{'name':<12} {'file':<22} {'rows':>7} {'ch':>4} {'freq':>6} {'split':<11} {'sha256':<9} local copy")
    unverified = []
    for spec in REGISTRY.values():
        name = spec.name if spec.checked_against_file else f"{spec.name}*"
        if not spec.checked_against_file:
            unverified.append(spec.name)
        try:
            path = resolve_dataset_path(spec, args.data_dir, download=False, verify=False, progress=False)
        except DatasetNotFoundError:
            where, check = "- (downloads on first use)", "-"
        else:
            where = str(path)
            check = "matches" if file_sha256(path) == spec.sha256 else "DIFFERS"
        print(f"{name:<12} {spec.file_name:<22} {spec.n_rows:>7} {spec.n_channels:>4} {spec.freq:>6} "
              f"{spec.split:<11} {check:<9} {where}")
    if unverified:
        print(f"* {', '.join(unverified)}: the registry's sha256 and size come from second-hand notes and were "
              "never checked against the file (unverified).")
    print("A copy that DIFFERS from the registry is refused by fit/evaluate/plot/benchmark/sweep unless "
          "--allow-modified-data is given.")
    return 0
