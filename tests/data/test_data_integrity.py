"""A benchmark file that differs from the registry is refused unless modified data is allowed,
and the data module says which bytes it used (the hash that fit_run records in metrics.json)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from xlstm_ts.data.config import DataConfig
from xlstm_ts.data.datamodule import ForecastDataModule
from xlstm_ts.data.download import DatasetIntegrityError, DatasetIntegrityWarning, default_cache_dir
from xlstm_ts.data.quality import DataQualityWarning
from xlstm_ts.data.registry import dataset_names, get_spec

pytestmark = pytest.mark.filterwarnings(f"ignore::{DataQualityWarning.__module__}.{DataQualityWarning.__name__}")

ILI = get_spec("ILI")


def one_byte_changed(source: Path, folder: Path) -> Path:
    """A copy of ILI with one digit of the last row changed (same size, same shape)."""
    data = bytearray(source.read_bytes())
    position = data.rindex(b"1")
    data[position] = ord("2")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ILI.file_name
    path.write_bytes(bytes(data))
    return path


def truncated(source: Path, folder: Path) -> Path:
    """A copy of ILI without its last 100 rows."""
    lines = source.read_bytes().split(b"\r\n")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ILI.file_name
    path.write_bytes(b"\r\n".join(lines[:-101] + [b""]))
    return path


def ili_module(data_dir: Path, **changes: object) -> ForecastDataModule:
    config = DataConfig(dataset="ILI", data_dir=str(data_dir), lookback=104, horizon=24, download=False, **changes)  # type: ignore[arg-type]
    return ForecastDataModule(config)


@pytest.mark.parametrize("make_copy", [one_byte_changed, truncated], ids=["one-byte", "truncated"])
def test_modified_file_is_refused_by_setup(shared_data_dir: Path, tmp_path: Path, make_copy) -> None:
    path = make_copy(shared_data_dir / ILI.file_name, tmp_path / "copy")
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    assert actual != ILI.sha256
    for call in ("setup", "prepare_data"):
        module = ili_module(path.parent)
        with pytest.raises(DatasetIntegrityError) as info:
            getattr(module, call)()
        message = str(info.value)
        assert str(path) in message
        assert actual in message and ILI.sha256 in message
        assert "--allow-modified-data" in message
        assert str(default_cache_dir() / ILI.file_name) in message  # where the canonical file would go
        with pytest.raises(RuntimeError):
            module.data_file  # noqa: B018


@pytest.mark.parametrize("make_copy", [one_byte_changed, truncated], ids=["one-byte", "truncated"])
def test_modified_file_is_used_when_allowed_and_reported(shared_data_dir: Path, tmp_path: Path, make_copy) -> None:
    path = make_copy(shared_data_dir / ILI.file_name, tmp_path / "copy")
    module = ili_module(path.parent, allow_modified_data=True)
    with pytest.warns(DatasetIntegrityWarning, match="does not match the canonical national_illness.csv"):
        module.setup()
    assert module.data_file.path == path
    assert module.data_file.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert module.data_file.modified is True
    assert len(module.dataset("test")) > 0


def test_canonical_file_reports_the_registry_hash(shared_data_dir: Path) -> None:
    module = ili_module(shared_data_dir)
    module.prepare_data()
    assert module.data_file == (shared_data_dir / ILI.file_name, ILI.sha256, False)
    module.setup()
    assert module.data_file == (shared_data_dir / ILI.file_name, ILI.sha256, False)


def test_allow_modified_data_must_be_a_bool() -> None:
    assert DataConfig(dataset="ILI").allow_modified_data is False
    with pytest.raises(ValueError, match="allow_modified_data must be true or false"):
        DataConfig(dataset="ILI", allow_modified_data="yes")  # type: ignore[arg-type]


def test_only_electricity_and_traffic_are_unverified() -> None:
    unverified = [name for name in dataset_names() if not get_spec(name).checked_against_file]
    assert unverified == ["Electricity", "Traffic"]


def test_unverified_spec_mismatch_is_refused_and_says_the_hash_may_be_wrong(tmp_path: Path) -> None:
    spec = get_spec("Electricity")
    (tmp_path / spec.file_name).write_text("date,OT\n2016-07-01 00:00:00,1\n")
    module = ForecastDataModule(DataConfig(dataset="Electricity", data_dir=str(tmp_path), download=False))
    with pytest.raises(DatasetIntegrityError) as info:
        module.prepare_data()
    message = str(info.value)
    assert "never been checked against the file" in message and "may be the wrong one" in message
    assert "--allow-modified-data" in message and spec.sha256 in message
