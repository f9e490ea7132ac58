"""Backend selection for the cell ops: "auto" | "torch" | "triton".

"auto" takes Triton for CUDA tensors when the kernels import, else the PyTorch reference.
`XLSTM_TS_BACKEND` (torch|triton) overrides "auto". A backend asked for explicitly that cannot
run raises :class:`BackendUnavailableError` saying why and how to fix it. Triton is only ever
imported here, lazily, never at module import.
"""

from __future__ import annotations

import functools
import os
from types import ModuleType
from typing import Literal

import torch

Backend = Literal["auto", "torch", "triton"]
BACKENDS: tuple[str, ...] = ("auto", "torch", "triton")
ENV_VAR = "XLSTM_TS_BACKEND"


class BackendUnavailableError(RuntimeError):
    """The requested backend cannot run here; the message says why and what to do."""


@functools.cache
def _import_kernels() -> tuple[ModuleType | None, str]:
    """Import the Triton kernel package once; return (module or None, reason it failed)."""
    try:
        import triton  # noqa: F401
    except ImportError as err:
        return None, f"triton is not installed ({err}); install it with `pip install triton`"
    try:
        import xlstm_ts_kernels
    except ImportError as err:
        return None, f"the Triton kernels could not be imported ({err})"
    return xlstm_ts_kernels, ""


def triton_kernels() -> ModuleType:
    """The `xlstm_ts_kernels` package, or BackendUnavailableError with the reason."""
    module, reason = _import_kernels()
    if module is None:
        raise BackendUnavailableError(
            f"backend='triton' is unavailable: {reason}. Use backend='torch' (the PyTorch "
            f"reference, works everywhere) or set {ENV_VAR}=torch."
        )
    return module


def _interpreter_on() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


def resolve_backend(backend: str, *tensors: torch.Tensor) -> Literal["torch", "triton"]:
    """Pick the backend that runs `tensors`.

    Raises:
        ValueError: unknown backend name.
        BackendUnavailableError: "triton" asked for but it cannot run these tensors.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    if backend == "auto":
        env = os.environ.get(ENV_VAR, "").strip().lower()
        if env:
            if env not in ("torch", "triton"):
                raise ValueError(f"{ENV_VAR}={env!r} is not a backend; use 'torch' or 'triton'")
            backend = env
    on_cuda = bool(tensors) and all(t.is_cuda for t in tensors)
    if backend == "auto":
        if on_cuda and _import_kernels()[0] is not None:
            return "triton"
        return "torch"
    if backend == "triton":
        triton_kernels()
        if not on_cuda and not _interpreter_on():
            raise BackendUnavailableError(
                "backend='triton' needs CUDA tensors; on CPU set TRITON_INTERPRET=1 to run the "
                "kernels through Triton's interpreter (slow, for tests), or use backend='torch'."
            )
        return "triton"
    return "torch"
