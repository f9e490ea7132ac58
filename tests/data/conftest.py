"""Fixtures of the data-layer tests: the shared benchmark folder and an isolated, offline environment."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

_REQUIRED = ("ETTh1.csv", "ETTm1.csv", "weather.csv", "exchange_rate.csv", "national_illness.csv")


def _find_shared_datasets() -> Path | None:
    candidates = [Path(__file__).resolve().parents[2].parent / "shared" / "datasets"]
    if os.environ.get("XLSTM_TS_DATA"):
        candidates.append(Path(os.environ["XLSTM_TS_DATA"]))
    for folder in candidates:
        if all((folder / name).is_file() for name in _REQUIRED):
            return folder
    return None


_SHARED = _find_shared_datasets()


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """Folder with the real benchmark CSVs (../shared/datasets next to the repo, else $XLSTM_TS_DATA)."""
    if _SHARED is None:
        pytest.skip(
            "benchmark CSVs not found: expected ../shared/datasets next to the repository root or "
            f"XLSTM_TS_DATA pointing at a folder with {', '.join(_REQUIRED)}"
        )
    return _SHARED


@pytest.fixture(autouse=True)
def _isolated_cache_and_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the user cache at a temporary folder and make any un-mocked download fail fast."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))

    def offline(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError("network access is disabled in the tests")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
