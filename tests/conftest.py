"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

# Triton decides at import whether it interprets; `import lightning` imports triton, so the kernel
# tests need the switch before any test module is collected. Only on machines without CUDA.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

_REQUIRED = ("ETTh1.csv", "ETTh2.csv", "ETTm1.csv", "weather.csv", "exchange_rate.csv", "national_illness.csv")


def _find_shared_datasets() -> Path | None:
    candidates = [Path(__file__).resolve().parents[1].parent / "shared" / "datasets"]
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


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> None:
    """Tests use tiny tensors: one thread is faster, and idle OpenMP threads spin on a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
