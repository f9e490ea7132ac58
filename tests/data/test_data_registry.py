"""Registry contents, look-up rules and the committed manifest."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from xlstm_ts.data import registry
from xlstm_ts.data.registry import DatasetSpec, dataset_names, get_spec, render_manifest

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = REPO_ROOT / "datasets" / "manifest.json"


def test_all_benchmarks_registered() -> None:
    assert dataset_names() == (
        "ETTh1",
        "ETTh2",
        "ETTm1",
        "ETTm2",
        "Weather",
        "Electricity",
        "Traffic",
        "Exchange",
        "ILI",
    )


@pytest.mark.parametrize("name", ["etth1", "ETTH1", " ETTh1 ", "EttH1"])
def test_lookup_is_case_insensitive(name: str) -> None:
    assert get_spec(name).file_name == "ETTh1.csv"


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="unknown dataset 'solar'") as info:
        get_spec("solar")
    for name in dataset_names():
        assert name in str(info.value)


@pytest.mark.parametrize(
    ("name", "freq", "split", "period", "rows", "cols"),
    [
        ("ETTh1", "h", "ett_hourly", 24, 17420, 8),
        ("ETTh2", "h", "ett_hourly", 24, 17420, 8),
        ("ETTm1", "15min", "ett_minute", 96, 69680, 8),
        ("ETTm2", "15min", "ett_minute", 96, 69680, 8),
        ("Weather", "10min", "ratio", 144, 52696, 22),
        ("Electricity", "h", "ratio", 24, 26304, 322),
        ("Traffic", "h", "ratio", 24, 17544, 863),
        ("Exchange", "D", "ratio", 5, 7588, 9),
        ("ILI", "W", "ratio", 52, 966, 8),
    ],
)
def test_spec_fields(name: str, freq: str, split: str, period: int, rows: int, cols: int) -> None:
    spec = get_spec(name)
    assert (spec.freq, spec.split, spec.seasonal_period) == (freq, split, period)
    assert (spec.n_rows, spec.n_columns) == (rows, cols)
    assert spec.target == "OT"
    assert spec.n_channels == cols - 1
    assert all(url.startswith("https://") and url.endswith("/" + spec.file_name) for url in spec.urls)
    if name == "ILI":
        assert (spec.default_lookback, spec.horizons) == (104, (24, 36, 48, 60))
    else:
        assert (spec.default_lookback, spec.horizons) == (336, (96, 192, 336, 720))


def test_ett_urls_point_at_the_official_repository() -> None:
    assert get_spec("ETTh1").urls[0] == "https://raw.githubusercontent.com/zhouhaoyi/ETDataset/main/ETT-small/ETTh1.csv"
    assert get_spec("weather").urls[0].startswith("https://huggingface.co/datasets/thuml/Time-Series-Library/")


def test_full_hashes_agree_with_the_truncated_values_in_sources_md() -> None:
    electricity, traffic = get_spec("Electricity"), get_spec("Traffic")
    assert electricity.sha256.startswith("7e45845d") and electricity.sha256.endswith("a497ad")
    assert traffic.sha256.startswith("cb06463d") and traffic.sha256.endswith("ab0b16")
    assert (electricity.n_bytes, traffic.n_bytes) == (95_581_762, 136_478_119)


@pytest.mark.parametrize("name", ["ETTh1", "ETTh2", "ETTm1", "ETTm2", "Weather", "Exchange", "ILI"])
def test_registry_hash_and_size_match_the_shared_files(shared_data_dir: Path, name: str) -> None:
    spec = get_spec(name)
    data = (shared_data_dir / spec.file_name).read_bytes()
    assert len(data) == spec.n_bytes
    assert hashlib.sha256(data).hexdigest() == spec.sha256


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sha256", "7e45845d…a497ad"),
        ("freq", "H"),
        ("split", "random"),
        ("urls", ()),
        ("horizons", (0,)),
        ("n_rows", 0),
    ],
)
def test_spec_validation(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(get_spec("ETTh1"), **{field: value})


def test_spec_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_spec("ETTh1").n_rows = 1  # type: ignore[misc]


def test_committed_manifest_equals_registry() -> None:
    assert MANIFEST.is_file(), "run: python -m xlstm_ts.data.registry --write-manifest datasets/manifest.json"
    assert MANIFEST.read_text(encoding="utf-8") == render_manifest(), (
        "datasets/manifest.json is stale; regenerate with python -m xlstm_ts.data.registry --write-manifest "
        "datasets/manifest.json"
    )


def test_manifest_cli_write_and_check(tmp_path: Path) -> None:
    out = tmp_path / "manifest.json"
    assert registry.main(["--write-manifest", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render_manifest()
    assert registry.main(["--check-manifest", str(out)]) == 0
    out.write_text(out.read_text(encoding="utf-8").replace("17420", "17421"), encoding="utf-8")
    assert registry.main(["--check-manifest", str(out)]) == 1


def test_manifest_round_trips_into_specs() -> None:
    for entry in registry.manifest()["datasets"]:  # type: ignore[union-attr]
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()}
        assert DatasetSpec(**fields) == get_spec(fields["name"])
