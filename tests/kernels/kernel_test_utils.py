"""Helpers shared by the kernel tests (imported after conftest.py has set up the interpreter)."""

from __future__ import annotations

import pytest
import torch

triton = pytest.importorskip("triton", reason="triton is not installed: the Triton kernels cannot be tested")

import xlstm_ts_kernels  # noqa: E402
from xlstm_ts_kernels._utils import kernels_interpreted  # noqa: E402
from xlstm_ts_kernels.mlstm.chunkwise_fwd import mlstm_chunkwise__parallel_fwd_H_kernel  # noqa: E402

INTERPRETED = kernels_interpreted(mlstm_chunkwise__parallel_fwd_H_kernel)
HAS_CUDA = torch.cuda.is_available()
# the small fp32 tests: CPU through the interpreter, or the GPU when the kernels are compiled
DEVICE = "cpu" if INTERPRETED or not HAS_CUDA else "cuda"

OUT_TOL = 1e-3
GRAD_TOL = 5e-3


def skip_unless_runnable() -> None:
    """Module-level skip when the kernels can run neither interpreted nor on a GPU."""
    if DEVICE == "cpu" and not INTERPRETED:
        pytest.skip(
            "the Triton kernels were imported in compiled mode and there is no GPU: set "
            "TRITON_INTERPRET=1 before triton is imported (e.g. `TRITON_INTERPRET=1 pytest tests/kernels`)",
            allow_module_level=True,
        )


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    """||a - b|| / ||b|| in fp64, with ||b|| floored at an RMS of 1e-4.

    The floor matters for gradients that are zero in exact arithmetic (e.g. of f when T = 1): the
    fp32 reference then holds the round-off of cancelling terms of size ~10 (~1e-7 each) and a
    kernel an exact 0, which is agreement. (The reference's exactness is tested in fp64.)
    """
    a, b = a.detach().double(), b.detach().double()
    assert a.shape == b.shape, (a.shape, b.shape)
    assert torch.isfinite(a).all(), "non-finite values"
    den = max(float(b.norm()), 1e-4 * b.numel() ** 0.5)
    return float((a - b).norm()) / den


def assert_close(actual, expected, tol: float, what: str) -> None:
    err = rel_err(actual, expected)
    assert err < tol, f"{what}: relative error {err:.2e} >= {tol:.0e}"


def leaf(x: torch.Tensor) -> torch.Tensor:
    return x.detach().clone().requires_grad_(True)


def grads(outputs, inputs, cotangents):
    """Gradients of sum(<out, cot>) w.r.t. inputs (None where an input gets no gradient)."""
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if c is not None]
    return torch.autograd.grad([o for o, _ in pairs], inputs, [c for _, c in pairs], allow_unused=True)


__all__ = [
    "DEVICE", "GRAD_TOL", "HAS_CUDA", "INTERPRETED", "OUT_TOL", "assert_close", "grads", "leaf", "rel_err",
    "skip_unless_runnable", "xlstm_ts_kernels",
]
