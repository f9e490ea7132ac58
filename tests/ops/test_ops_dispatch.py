"""Backend selection: explicit choices, the environment override, loud errors."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from xlstm_ts.ops import BackendUnavailableError, mlstm
from xlstm_ts.ops.dispatch import resolve_backend


def test_auto_is_torch_on_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XLSTM_TS_BACKEND", raising=False)
    assert resolve_backend("auto", torch.zeros(1)) == "torch"


def test_env_overrides_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLSTM_TS_BACKEND", "torch")
    assert resolve_backend("auto", torch.zeros(1)) == "torch"
    monkeypatch.setenv("XLSTM_TS_BACKEND", "tpu")
    with pytest.raises(ValueError, match="XLSTM_TS_BACKEND"):
        resolve_backend("auto", torch.zeros(1))


def test_unknown_backend_raises() -> None:
    with pytest.raises(ValueError, match="unknown backend 'jax'"):
        resolve_backend("jax", torch.zeros(1))


def test_triton_on_cpu_without_interpreter_says_how_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    q = torch.zeros(1, 1, 4, 16)
    i = torch.zeros(1, 1, 4)
    with pytest.raises(BackendUnavailableError, match="backend='torch'"):
        mlstm(q, q, q, i, i, backend="triton")


@pytest.mark.skipif(importlib.util.find_spec("triton") is not None, reason="triton is installed")
def test_triton_missing_names_the_fix() -> None:
    with pytest.raises(BackendUnavailableError, match="pip install triton"):
        resolve_backend("triton", torch.zeros(1))
