"""Host-side helpers shared by the kernel wrappers (no @triton.jit code here).

Interpreter note: Triton decides *when a module is imported* whether ``@triton.jit`` builds a
compiled ``JITFunction`` or an ``InterpretedFunction``; this includes ``tl.sum``/``tl.cumsum``
and friends, which are themselves jitted inside ``triton.language`` at ``import triton``.
``TRITON_INTERPRET=1`` must therefore be in the environment before triton is imported, and
setting it later cannot switch an already imported kernel. :func:`check_launchable` checks this
at call time and says what to do instead of failing deep inside Triton.
"""

from __future__ import annotations

import os

import torch
import triton


def interpreter_requested() -> bool:
    """TRITON_INTERPRET is set (read at call time)."""
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


def kernels_interpreted(kernel) -> bool:
    """Whether `kernel` was built by Triton's interpreter (env var set before the import)."""
    try:
        from triton.runtime.interpreter import InterpretedFunction
    except ImportError:  # pragma: no cover - very old triton
        return False
    return isinstance(kernel, InterpretedFunction)


def check_launchable(kernel, *tensors: torch.Tensor | None) -> None:
    """Raise a clear RuntimeError if `kernel` cannot run on `tensors` here.

    CUDA tensors run compiled kernels (or interpreted ones, slowly, under TRITON_INTERPRET=1);
    CPU tensors need the interpreter, active since before triton was imported.
    """
    devices = {t.device.type for t in tensors if t is not None}
    interpreted = kernels_interpreted(kernel)
    if interpreted:
        return
    if interpreter_requested():
        raise RuntimeError(
            "TRITON_INTERPRET=1 is set but the xlstm_ts_kernels kernels were compiled for the GPU: "
            "the variable must be set before `triton` is first imported (export it in the shell, "
            "or set os.environ before importing torch/triton)."
        )
    if devices - {"cuda"}:
        raise RuntimeError(
            f"the Triton kernels need CUDA tensors (got {sorted(devices)}); on CPU run them "
            "through Triton's interpreter by exporting TRITON_INTERPRET=1 before triton is imported."
        )


def next_pow2(n: int) -> int:
    return int(triton.next_power_of_2(max(int(n), 1)))


def dot_precision(dtype: torch.dtype) -> str:
    """`input_precision` for tl.dot on fp32 data: follow torch's own TF32 switch."""
    if dtype == torch.float32 and not torch.backends.cuda.matmul.allow_tf32:
        return "ieee"
    return "tf32"
