"""Fixtures of the data-layer tests: an isolated, offline environment (shared_data_dir is in tests/conftest.py)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache_and_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the user cache at a temporary folder and make any un-mocked download fail fast."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))

    def offline(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError("network access is disabled in the tests")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
