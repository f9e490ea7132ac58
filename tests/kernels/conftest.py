"""Test setup for the Triton kernels.

Triton picks compiled vs interpreted kernels when modules are *imported* (its own tl.sum & co.
included), so TRITON_INTERPRET=1 must be in the environment before triton is first imported.
Without CUDA we set it here, as early as pytest lets us; the documented way to run is still

    TRITON_INTERPRET=1 .venv/bin/python -m pytest tests/kernels -q -m interpreter

which also works when something collected earlier (e.g. lightning) already imported triton.
With CUDA and no TRITON_INTERPRET, the small "interpreter" tests run compiled on the GPU and
the "gpu" tests run too.
"""

from __future__ import annotations

import importlib.util
import os
import sys

if importlib.util.find_spec("triton") is not None and "triton" not in sys.modules:
    import torch

    if not torch.cuda.is_available():
        os.environ.setdefault("TRITON_INTERPRET", "1")
