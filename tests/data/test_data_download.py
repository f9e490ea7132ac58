"""Search order, hash checks and atomic downloads of resolve_dataset_path."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from xlstm_ts.data import download, hashing
from xlstm_ts.data.download import (
    DatasetIntegrityError,
    DatasetIntegrityWarning,
    DatasetNotFoundError,
    default_cache_dir,
    resolve_dataset_path,
)
from xlstm_ts.data.registry import DatasetSpec, get_spec

CANONICAL = b"date,a,OT\n2020-01-01 00:00:00,1.0,2.0\n"


def toy_spec(content: bytes = CANONICAL) -> DatasetSpec:
    return dataclasses.replace(
        get_spec("ILI"),
        name="Toy",
        file_name="toy.csv",
        folder="toy",
        urls=("https://example.invalid/a/toy.csv", "https://example.invalid/b/toy.csv"),
        sha256=hashlib.sha256(content).hexdigest(),
        n_bytes=len(content),
    )


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


class FakeResponse(io.BytesIO):
    def __init__(self, payload: bytes, fail_after: int | None = None) -> None:
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}
        self.fail_after = fail_after

    def read(self, size: int | None = -1) -> bytes:
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise ConnectionResetError("connection dropped")
        chunk_size = size if size is not None and size > 0 else -1
        if self.fail_after is not None:
            chunk_size = min(chunk_size if chunk_size > 0 else 1 << 30, self.fail_after - self.tell() or 1)
        return super().read(chunk_size)


def serve(monkeypatch: pytest.MonkeyPatch, payload: bytes, fail_after: int | None = None) -> list[str]:
    """Make urllib.request.urlopen serve ``payload``; returns the list of requested URLs."""
    calls: list[str] = []

    def fake_urlopen(request: urllib.request.Request, timeout: float | None = None) -> FakeResponse:
        calls.append(request.full_url)
        return FakeResponse(payload, fail_after)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    return calls


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture(autouse=True)
def _fresh_mismatch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(download, "_warned_mismatches", set())


# ----------------------------------------------------------------- hashing
def test_file_sha256_matches_hashlib_and_is_cached_per_mtime_and_size(tmp_path: Path) -> None:
    path = write(tmp_path / "f.bin", b"x" * 3_000_000)
    hashing.clear_hash_cache()
    assert hashing.file_sha256(path) == hashlib.sha256(b"x" * 3_000_000).hexdigest()
    assert hashing.file_sha256(path) == hashlib.sha256(b"x" * 3_000_000).hexdigest()
    info = hashing._sha256_of.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    write(path, b"y" * 10)
    os.utime(path, ns=(1, 1))
    assert hashing.file_sha256(path) == hashlib.sha256(b"y" * 10).hexdigest()


# ----------------------------------------------------------------- search order
def test_default_cache_dir_respects_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "xlstm-ts"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "xlstm-ts"


def test_data_dir_beats_env_beats_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec = toy_spec()
    explicit = write(tmp_path / "explicit" / "toy.csv", CANONICAL)
    env = write(tmp_path / "env" / "toy.csv", CANONICAL)
    cached = write(default_cache_dir() / "toy.csv", CANONICAL)
    monkeypatch.setenv("XLSTM_TS_DATA", str(env.parent))

    assert resolve_dataset_path(spec, explicit.parent, download=False) == explicit
    assert resolve_dataset_path(spec, None, download=False) == env
    assert resolve_dataset_path(spec, tmp_path / "empty", download=False) == env  # falls through
    monkeypatch.delenv("XLSTM_TS_DATA")
    assert resolve_dataset_path(spec, None, download=False) == cached


def test_time_series_library_layout_and_file_argument(tmp_path: Path) -> None:
    spec = toy_spec()
    nested = write(tmp_path / "dataset" / "toy" / "toy.csv", CANONICAL)
    assert resolve_dataset_path(spec, tmp_path / "dataset", download=False) == nested
    renamed = write(tmp_path / "renamed.csv", CANONICAL)
    assert resolve_dataset_path(spec, renamed, download=False) == renamed


def test_local_hash_mismatch_is_refused_with_both_hashes_and_the_fixes(tmp_path: Path) -> None:
    spec = toy_spec()
    content = CANONICAL + b"2020-01-01 01:00:00,1.0,2.0\n"
    path = write(tmp_path / "toy.csv", content)
    with pytest.raises(DatasetIntegrityError) as info:
        resolve_dataset_path(spec, tmp_path, download=False)
    message = str(info.value)
    assert str(path) in message
    assert hashlib.sha256(content).hexdigest() in message and spec.sha256 in message
    assert "--allow-modified-data" in message and "allow_modified_data=True" in message
    assert "--data-dir" in message and "XLSTM_TS_DATA" in message
    assert f"delete (or move away) {path}" in message and str(default_cache_dir() / "toy.csv") in message
    assert "may be the wrong one" not in message  # the toy spec counts as checked against its file
    with pytest.raises(DatasetIntegrityError):  # refused every time, not once
        resolve_dataset_path(spec, tmp_path, download=False)
    assert resolve_dataset_path(spec, tmp_path, download=False, verify=False) == path  # listing only


def test_local_hash_mismatch_with_allow_modified_warns_and_returns_the_file(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    spec = toy_spec()
    path = write(tmp_path / "toy.csv", CANONICAL + b"2020-01-01 01:00:00,1.0,2.0\n")
    with pytest.warns(DatasetIntegrityWarning, match="does not match the canonical toy.csv"):
        assert resolve_dataset_path(spec, tmp_path, download=False, allow_modified=True) == path
    recwarn.clear()
    assert resolve_dataset_path(spec, tmp_path, download=False, allow_modified=True) == path  # once per content
    assert resolve_dataset_path(spec, tmp_path, download=False, verify=False) == path
    assert not [w for w in recwarn if issubclass(w.category, DatasetIntegrityWarning)]
    write(path, CANONICAL + b"2020-01-01 02:00:00,1.0,2.0\n")
    with pytest.warns(DatasetIntegrityWarning):  # new content, new warning
        found = download.locate_dataset(spec, tmp_path, download=False, allow_modified=True)
    assert found == (path, hashlib.sha256(path.read_bytes()).hexdigest(), True)


def test_local_match_raises_no_warning(tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    path = write(tmp_path / "toy.csv", CANONICAL)
    resolve_dataset_path(toy_spec(), tmp_path, download=False)
    assert download.locate_dataset(toy_spec(), tmp_path, download=False) == (path, toy_spec().sha256, False)
    assert not [w for w in recwarn if issubclass(w.category, DatasetIntegrityWarning)]


# ----------------------------------------------------------------- downloads
def test_download_into_cache_is_verified_and_reused(monkeypatch: pytest.MonkeyPatch, shared_data_dir: Path) -> None:
    monkeypatch.delenv("XLSTM_TS_DATA", raising=False)
    spec = get_spec("ILI")
    payload = (shared_data_dir / spec.file_name).read_bytes()
    calls = serve(monkeypatch, payload)

    path = resolve_dataset_path(spec, None, download=True, progress=False)
    assert path == default_cache_dir() / "national_illness.csv"
    assert path.read_bytes() == payload
    assert calls == [spec.urls[0]]
    assert files_under(default_cache_dir()) == [path]  # no temporary file left

    assert resolve_dataset_path(spec, None, download=True, progress=False) == path
    assert len(calls) == 1  # served from the cache the second time


def test_corrupted_download_raises_and_leaves_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XLSTM_TS_DATA", raising=False)
    spec = toy_spec()
    calls = serve(monkeypatch, CANONICAL.replace(b"1.0", b"9.0"))
    with pytest.raises(DatasetIntegrityError, match="sha256"):
        resolve_dataset_path(spec, None, download=True, progress=False)
    assert calls == list(spec.urls)  # every mirror was tried
    assert files_under(default_cache_dir()) == []


def test_interrupted_download_leaves_no_partial_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XLSTM_TS_DATA", raising=False)
    serve(monkeypatch, CANONICAL, fail_after=10)
    with pytest.raises(DatasetNotFoundError, match="connection dropped"):
        resolve_dataset_path(toy_spec(), None, download=True, progress=False)
    assert files_under(default_cache_dir()) == []


def test_second_mirror_used_when_first_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XLSTM_TS_DATA", raising=False)
    spec = toy_spec()

    def flaky(request: urllib.request.Request, timeout: float | None = None) -> FakeResponse:
        if "/a/" in request.full_url:
            raise urllib.error.HTTPError(request.full_url, 404, "Not Found", {}, None)  # type: ignore[arg-type]
        return FakeResponse(CANONICAL)

    monkeypatch.setattr(urllib.request, "urlopen", flaky)
    assert resolve_dataset_path(spec, None, progress=False).read_bytes() == CANONICAL


@pytest.mark.parametrize("download", [False, True])
def test_offline_missing_file_error_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, download: bool) -> None:
    monkeypatch.delenv("XLSTM_TS_DATA", raising=False)
    calls: list[str] = []

    def offline(request: urllib.request.Request, timeout: float | None = None) -> None:
        calls.append(request.full_url)
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    spec = get_spec("Electricity")
    with pytest.raises(DatasetNotFoundError) as info:
        resolve_dataset_path(spec, tmp_path, download=download, progress=False)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "electricity.csv" in message
    assert "XLSTM_TS_DATA" in message and "--data-dir" in message
    assert str(tmp_path / "electricity.csv") in message and str(default_cache_dir()) in message
    assert ("no network" in message) == download
    assert len(calls) == (1 if download else 0)
    assert files_under(default_cache_dir()) == []


def test_corrupted_download_of_an_unverified_spec_says_the_hash_may_be_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XLSTM_TS_DATA", raising=False)
    spec = dataclasses.replace(toy_spec(), checked_against_file=False)
    serve(monkeypatch, CANONICAL.replace(b"1.0", b"9.0"))
    with pytest.raises(DatasetIntegrityError, match="may be the wrong one") as info:
        resolve_dataset_path(spec, None, download=True, progress=False)
    assert "--allow-modified-data" in str(info.value)
    assert files_under(default_cache_dir()) == []
