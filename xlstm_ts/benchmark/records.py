"""Result records of the benchmark: one small JSON per finished run, kept in the repository.

A run directory (`runs/benchmark/<cell>/`) holds the model weights and is not committed; the
record (`experiments/results/<Dataset>_<horizon>_seed<S>.json`, and `<model>/<Dataset>_<horizon>.json`
for each untrained reference forecast of :data:`REFERENCE_MODELS`) holds the metrics and the exact config that produced
them, so `docs/results.md` can be regenerated and audited on any checkout.

A record counts for the table only while its `config_sha256` equals the hash of the config that
the repository holds now (the YAML's own values plus the `--set` overrides, without the seed and
the data folder): a number in the table always reproduces with the config beside it.

Records are the benchmark's resume point, so they are written atomically (:func:`write_text_atomic`:
a hidden temporary file in the same folder, fsynced, then renamed over the record): a process
killed at any moment leaves either no record or a complete one, never a truncated file that a
restart would trust or choke on. A killed write can leave a hidden ``.<name>.json.<random>.tmp``
behind, which nothing reads (it does not match ``*.json``).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Literal

import yaml

RECORDS_DIR = "experiments/results"
"""Default folder of the records (committed)."""
REFERENCE_MODELS: tuple[str, ...] = ("naive", "theta", "ets")
"""The untrained reference forecasts run on every row of the table, in column order; the records of
each sit in the sub-folder named after it (`<records>/naive/`, `<records>/theta/`, `<records>/ets/`)."""
REFERENCE_SUBDIR = "naive"
"""Sub-folder of the records with the naive forecast of every row (the first reference)."""
RECORD_METRICS = (
    "test_mse", "test_mae", "test_mse_original", "test_mae_original", "val_mse",
    "best_epoch", "epochs", "diverged_epoch", "train_seconds", "n_parameters", "test_windows", "test_drop_last",
    "data_sha256", "data_modified", "ensemble", "members",
)
"""The metrics copied from a run's metrics.json into its record."""

Provenance = Literal["run", "recovered"]


def config_values(config_file: Path, overrides: list[str] | None = None) -> dict[str, Any]:
    """The YAML config's own values with `overrides` applied (no defaults filled in)."""
    from xlstm_ts.pipeline.run_config import apply_overrides

    values = yaml.safe_load(config_file.read_text()) or {}
    return apply_overrides(values, overrides or [])


def config_hash(values: dict[str, Any]) -> str:
    """sha256 of the config without what does not change the experiment (seed, data folder)."""
    stripped = json.loads(json.dumps(values))
    stripped.get("train", {}).pop("seed", None)
    stripped.get("data", {}).pop("data_dir", None)
    canonical = json.dumps(stripped, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit checked out when this was first called (the benchmark calls it at start, so
    every record of the process names the code it runs, even if the checkout moves meanwhile)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def make_record(
    metrics: dict[str, Any],
    values: dict[str, Any],
    provenance: Provenance = "run",
    note: str | None = None,
) -> dict[str, Any]:
    """A record from a run's metrics.json and the config values it ran with."""
    from xlstm_ts import __version__

    record: dict[str, Any] = {
        key: metrics[key] for key in ("dataset", "horizon", "seed", "lookback", "model") if key in metrics
    }
    record.update({key: metrics[key] for key in RECORD_METRICS if key in metrics})
    clean = json.loads(json.dumps(values))
    clean.get("data", {}).pop("data_dir", None)
    record.update(
        config=clean,
        config_sha256=config_hash(values),
        provenance=provenance,
        xlstm_ts_version=__version__,
        git_commit=git_commit(),
        written=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    )
    if note:
        record["note"] = note
    return record


def reference_dir(records_dir: Path, model: str = REFERENCE_SUBDIR) -> Path:
    """`<records>/<model>/`: the folder of the reference forecast `model`'s records."""
    return records_dir / model


def record_path(records_dir: Path, name: str, reference: bool | str = False) -> Path:
    """`<records>/<name>.json`, or a reference forecast's `<records>/<model>/<name>.json`.

    `reference` names the reference model (one of :data:`REFERENCE_MODELS`); True means the naive
    forecast, as before there were several.
    """
    if not reference:
        return records_dir / f"{name}.json"
    return reference_dir(records_dir, REFERENCE_SUBDIR if reference is True else reference) / f"{name}.json"


class RecordError(ValueError):
    """A record file that is not a JSON object (edited by hand, or written by an older version
    that did not write atomically); the message names the file."""


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers (and a restart after a kill) see the old file or the
    new one, never a part: a temporary file in the same folder, flushed and fsynced, then
    `os.replace`d over `path` (and the folder fsynced, so the rename survives a power loss)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give the mode open() would
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


def _umask() -> int:
    """The process's umask, read without changing it (os.umask would, for every thread)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _fsync_dir(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot fsync a folder
    finally:
        os.close(descriptor)


def write_record(path: Path, record: dict[str, Any]) -> None:
    """Write `record` to `path` atomically (see :func:`write_text_atomic`)."""
    write_text_atomic(path, json.dumps(record, indent=2, sort_keys=False) + "\n")


def _load(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text())
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise RecordError(f"{path} is not a valid record ({err}); delete it to run its cell again") from None
    if not isinstance(record, dict):
        raise RecordError(f"{path} is not a valid record (not a JSON object); delete it to run its cell again")
    return record


def read_record(path: Path) -> dict[str, Any] | None:
    """The record at `path`, or None if there is none (RecordError if the file is not a record)."""
    if not path.is_file():
        return None
    return _load(path)


def is_current(record: dict[str, Any] | None, values: dict[str, Any]) -> bool:
    """Whether `record` was produced by exactly these config values."""
    return record is not None and record.get("config_sha256") == config_hash(values)


def load_records(folder: Path) -> list[dict[str, Any]]:
    """Every record directly in `folder` (not its sub-folders), sorted by file name."""
    return [_load(path) for path in sorted(folder.glob("*.json")) if path.is_file()]
