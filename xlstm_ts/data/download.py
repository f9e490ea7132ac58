"""Locate a benchmark file on disk, or download it into the user cache.

Search order of :func:`resolve_dataset_path`:

1. the ``data_dir`` argument (a folder, or the file itself),
2. the folder in ``$XLSTM_TS_DATA``,
3. the user cache ``$XDG_CACHE_HOME/xlstm-ts`` (default ``~/.cache/xlstm-ts``),
4. a download into that cache (when ``download=True``).

In each folder both ``<dir>/<file_name>`` and the Time-Series-Library layout
``<dir>/<folder>/<file_name>`` are tried. The first local file found is hashed: one whose SHA-256
differs from the registry is refused with a :class:`DatasetIntegrityError` (a benchmark never runs
on altered data by accident), unless ``allow_modified=True`` (``DataConfig.allow_modified_data``,
``--allow-modified-data``), which uses it after a :class:`DatasetIntegrityWarning`. A download whose
SHA-256 differs raises :class:`DatasetIntegrityError` and leaves no file behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from typing import NamedTuple

from tqdm.auto import tqdm

from xlstm_ts.data.hashing import file_sha256
from xlstm_ts.data.registry import DatasetSpec

ENV_DATA_DIR = "XLSTM_TS_DATA"
"""Environment variable naming a folder that holds the benchmark CSV files."""

_USER_AGENT = "xlstm-ts-data/0.1 (+https://pypi.org/project/xlstm-ts/)"
_CHUNK = 1 << 20
_warned_mismatches: set[tuple[str, str]] = set()


class DatasetNotFoundError(FileNotFoundError):
    """No local copy of a dataset file was found and it could not be downloaded."""


ALLOW_MODIFIED_FLAG = "--allow-modified-data"
"""Command-line flag that lets a run use a local file whose SHA-256 differs from the registry."""


class DatasetIntegrityError(ValueError):
    """A file does not have the SHA-256 recorded in the registry: a download (always refused), or a
    local copy used without ``allow_modified`` (the message names the file, both hashes and the fixes)."""


class DatasetIntegrityWarning(UserWarning):
    """A local file that differs from the registry is used because ``allow_modified`` was given."""


class DatasetFile(NamedTuple):
    """The benchmark file a load resolved to, as :func:`locate_dataset` checked it."""

    path: Path
    """Where the file is."""
    sha256: str
    """SHA-256 of its bytes when it was checked (the registry hash for a verified download)."""
    modified: bool
    """True when ``sha256`` differs from the registry (only possible with ``allow_modified=True``)."""


def default_cache_dir() -> Path:
    """The user cache folder: ``$XDG_CACHE_HOME/xlstm-ts``, else ``~/.cache/xlstm-ts``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "xlstm-ts"


def candidate_paths(spec: DatasetSpec, directory: str | Path) -> tuple[Path, ...]:
    """Paths where ``spec``'s file may lie inside ``directory`` (flat, then Time-Series-Library layout)."""
    root = Path(directory).expanduser()
    return (root / spec.file_name, root / spec.folder / spec.file_name)


def resolve_dataset_path(
    spec: DatasetSpec,
    data_dir: str | Path | None = None,
    download: bool = True,
    *,
    verify: bool = True,
    allow_modified: bool = False,
    progress: bool = True,
) -> Path:
    """Return the path of ``spec``'s CSV file, downloading it into the user cache if needed.

    Args:
        spec: dataset to locate.
        data_dir: folder holding the file (or the file itself); searched first.
        download: allow a download into the user cache when no local copy exists.
        verify: check the SHA-256 of the local file found (``False``: return the first file found,
            unchecked, as ``xlstm-ts datasets`` does to list them). Downloads are always verified.
        allow_modified: use a local file whose SHA-256 differs from the registry (with a
            :class:`DatasetIntegrityWarning`) instead of refusing it.
        progress: show a tqdm progress bar while downloading.

    Raises:
        DatasetNotFoundError: no local copy and no download (disabled or failed). The message names
            the file, every place searched and how to provide the file.
        DatasetIntegrityError: the local file found differs from the registry (``verify`` and not
            ``allow_modified``), or a download completed but its SHA-256 differs from the registry.
    """
    if not verify:
        return _find(spec, data_dir, download, progress=progress)[0]
    return locate_dataset(spec, data_dir, download, allow_modified=allow_modified, progress=progress).path


def locate_dataset(
    spec: DatasetSpec,
    data_dir: str | Path | None = None,
    download: bool = True,
    *,
    allow_modified: bool = False,
    progress: bool = True,
) -> DatasetFile:
    """Find (or download) ``spec``'s file as :func:`resolve_dataset_path` does and check it.

    Returns:
        The path, the SHA-256 of the file and whether it differs from the registry.

    Raises:
        DatasetNotFoundError: as :func:`resolve_dataset_path`.
        DatasetIntegrityError: the local file differs from the registry and ``allow_modified`` is
            false, or a download had the wrong SHA-256.
    """
    path, downloaded = _find(spec, data_dir, download, progress=progress)
    if downloaded:  # hashed while streaming: only the canonical bytes are ever moved into place
        return DatasetFile(path, spec.sha256, False)
    actual = file_sha256(path)
    if actual == spec.sha256:
        return DatasetFile(path, actual, False)
    if not allow_modified:
        raise DatasetIntegrityError(_modified_message(spec, path, actual))
    _warn_modified(spec, path, actual)
    return DatasetFile(path, actual, True)


def _find(spec: DatasetSpec, data_dir: str | Path | None, download: bool, *, progress: bool) -> tuple[Path, bool]:
    """The first existing file on the search path, else a download: ``(path, downloaded)``."""
    cache = default_cache_dir()
    searched: list[tuple[Path, str]] = []
    places: list[tuple[Path, str]] = []
    if data_dir is not None:
        explicit = Path(data_dir).expanduser()
        if explicit.is_file():
            places.append((explicit, "data_dir argument"))
        else:
            places.extend((p, "data_dir argument") for p in candidate_paths(spec, explicit))
    env_dir = os.environ.get(ENV_DATA_DIR)
    if env_dir:
        places.extend((p, f"${ENV_DATA_DIR}") for p in candidate_paths(spec, env_dir))
    places.extend((p, "user cache") for p in candidate_paths(spec, cache))

    for path, origin in places:
        searched.append((path, origin))
        if path.is_file():
            return path, False

    errors: list[str] = []
    if download:
        try:
            return download_dataset(spec, cache, progress=progress), True
        except DatasetNotFoundError as exc:
            errors.append(str(exc))
    raise DatasetNotFoundError(_not_found_message(spec, searched, cache, download, errors))


def check_local_file(spec: DatasetSpec, path: Path, *, allow_modified: bool = False) -> bool:
    """Compare ``path``'s SHA-256 with the registry. Returns ``True`` if it matches.

    A mismatch raises :class:`DatasetIntegrityError`; with ``allow_modified`` it emits a
    :class:`DatasetIntegrityWarning` instead (once per process for a given file content) and
    returns ``False``.
    """
    actual = file_sha256(path)
    if actual == spec.sha256:
        return True
    if not allow_modified:
        raise DatasetIntegrityError(_modified_message(spec, path, actual))
    _warn_modified(spec, path, actual)
    return False


def _warn_modified(spec: DatasetSpec, path: Path, actual: str) -> None:
    key = (str(path.resolve()), actual)
    if key in _warned_mismatches:
        return
    _warned_mismatches.add(key)
    warnings.warn(
        f"{path} does not match the canonical {spec.file_name} (sha256 {actual}, expected {spec.sha256}); "
        "it is used as given because modified data was allowed, but results may not be comparable with "
        "published numbers (metrics.json records data_modified: true and this sha256)",
        DatasetIntegrityWarning,
        stacklevel=3,
    )


def _modified_message(spec: DatasetSpec, path: Path, actual: str) -> str:
    size = path.stat().st_size
    sizes = (f"{size:,} bytes, the canonical file has {spec.n_bytes:,}" if size != spec.n_bytes
             else f"{size:,} bytes, the same size as the canonical file")
    cache = default_cache_dir()
    lines = [
        f"{path} is not the canonical {spec.file_name} ({spec.name}): refusing to use altered benchmark data.",
        f"  sha256 of the file: {actual}",
        f"  expected sha256:    {spec.sha256} (registry)",
        f"  size: {sizes}",
    ]
    if not spec.checked_against_file:
        lines.append(
            f"Note: the registry's sha256 and size for {spec.name} come from second-hand notes and have never "
            "been checked against the file, so the expected hash may be the wrong one. If you trust this file, "
            f"use it with {ALLOW_MODIFIED_FLAG}."
        )
    lines += [
        "Fix it in one of these ways:",
        f"  - delete (or move away) {path}: the search then goes on, and with no other copy the canonical "
        f"file is downloaded into the cache {cache / spec.file_name} (from {spec.urls[0]})",
        f"  - point --data-dir DIR (data_dir=DIR) or ${ENV_DATA_DIR}=DIR at a folder holding the canonical "
        f"{spec.file_name}",
        f"  - to use this file anyway, pass {ALLOW_MODIFIED_FLAG} (DataConfig(allow_modified_data=True), "
        "--set data.allow_modified_data=true); the run records data_modified: true and the file's sha256 "
        "in metrics.json",
    ]
    return "\n".join(lines)


def download_dataset(spec: DatasetSpec, dest_dir: str | Path, *, progress: bool = True, timeout: float = 60.0) -> Path:
    """Download ``spec``'s file into ``dest_dir``, verify its SHA-256 and move it into place atomically.

    The bytes are streamed into a temporary file in ``dest_dir`` which is renamed with
    :func:`os.replace` only after the hash matched; on any failure the temporary file is removed.
    URLs are tried in order.

    Raises:
        DatasetIntegrityError: a download completed with the wrong SHA-256 (no URL gave the right bytes).
        DatasetNotFoundError: no URL could be fetched.
    """
    dest = Path(dest_dir).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / spec.file_name
    failures: list[str] = []
    integrity_failures: list[str] = []
    for url in spec.urls:
        try:
            _fetch_verified(spec, url, target, progress=progress, timeout=timeout)
            return target
        except DatasetIntegrityError as exc:
            integrity_failures.append(str(exc))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            failures.append(f"{url}: {exc}")
    if integrity_failures:
        message = "; ".join(integrity_failures)
        if not spec.checked_against_file:
            message += (
                f". Note: the registry's sha256 for {spec.name} comes from second-hand notes and has never been "
                "checked against the file, so the expected hash may be the wrong one; to use a copy you trust, "
                f"save it in a folder DIR and pass --data-dir DIR {ALLOW_MODIFIED_FLAG}"
            )
        raise DatasetIntegrityError(message)
    raise DatasetNotFoundError(f"could not download {spec.file_name}: " + "; ".join(failures))


def _fetch_verified(spec: DatasetSpec, url: str, target: Path, *, progress: bool, timeout: float) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.file_name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
            total = int(length) if length and str(length).isdigit() else spec.n_bytes
            with tqdm(total=total, unit="B", unit_scale=True, desc=spec.file_name, disable=not progress) as bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != spec.sha256:
            raise DatasetIntegrityError(
                f"download of {spec.file_name} from {url} has sha256 {actual}, expected {spec.sha256}; file discarded"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _not_found_message(
    spec: DatasetSpec, searched: list[tuple[Path, str]], cache: Path, download: bool, errors: list[str]
) -> str:
    lines = [f"dataset file {spec.file_name!r} ({spec.name}) was not found.", "Looked in:"]
    lines += [f"  - {path} ({origin})" for path, origin in searched]
    if not os.environ.get(ENV_DATA_DIR):
        lines.append(f"  (${ENV_DATA_DIR} is not set)")
    if not download:
        lines.append("Download was disabled.")
    for error in errors:
        lines.append(f"Download failed: {error}")
    lines += [
        "Provide it in one of these ways:",
        f"  - pass --data-dir DIR (data_dir=DIR) where DIR contains {spec.file_name}",
        f"  - set the environment variable {ENV_DATA_DIR}=DIR",
        f"  - copy {spec.file_name} into the cache folder {cache}",
        f"Canonical source: {spec.urls[0]} (sha256 {spec.sha256}).",
    ]
    return "\n".join(lines)
