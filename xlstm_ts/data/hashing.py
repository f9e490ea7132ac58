"""SHA-256 of data files, memoised per (path, mtime, size) so repeated loads hash a file once."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

_CHUNK = 1 << 20


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of the file at ``path``.

    The result is cached in memory under the resolved path, its modification time (ns) and its
    size, so a file that is rewritten is hashed again while an unchanged one is hashed once.
    """
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return _sha256_of(str(resolved), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=128)
def _sha256_of(path: str, mtime_ns: int, size: int) -> str:
    # mtime_ns and size are part of the cache key only.
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def clear_hash_cache() -> None:
    """Forget all memoised hashes."""
    _sha256_of.cache_clear()
