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
    """``xlstm-ts datasets``: one line per registry entry, with its local copy (nothing is downloaded)."""
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
