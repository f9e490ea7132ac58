"""mLSTM step kernel (streaming inference) vs the PyTorch reference."""

from __future__ import annotations

import pytest
import torch

from kernel_test_utils import DEVICE, GRAD_TOL, OUT_TOL, assert_close, grads, leaf, skip_unless_runnable
from xlstm_ts.ops.reference.mlstm_chunkwise import mlstm_chunkwise_torch
from xlstm_ts.ops.reference.mlstm_recurrent import mlstm_step_torch
from xlstm_ts.ops.state import MLSTMState
from xlstm_ts_kernels import mlstm_step

skip_unless_runnable()
pytestmark = pytest.mark.interpreter


def rand(gen, *shape, shift=0.0):
    return (torch.randn(*shape, generator=gen) + shift).to(DEVICE)


@pytest.mark.parametrize("DK,DV", [(16, 16), (32, 16), (24, 40)])
@pytest.mark.parametrize("with_state", [False, True], ids=["empty", "state"])
def test_step_matches_reference(DK, DV, with_state):
    gen = torch.Generator().manual_seed(DK + DV)
    B, H = 2, 2
    q, k = rand(gen, B, H, DK), rand(gen, B, H, DK)
    v = rand(gen, B, H, DV)
    i, f = rand(gen, B, H), rand(gen, B, H, shift=2.0)
    state = MLSTMState(rand(gen, B, H, DK, DV), rand(gen, B, H, DK), rand(gen, B, H)) if with_state else None
    with torch.no_grad():
        h, new = mlstm_step(q, k, v, i, f, state)
    h_r, new_r = mlstm_step_torch(q, k, v, i, f, state)
    assert_close(h, h_r, OUT_TOL, "h")
    for name, a, b in zip("Cnm", new, new_r):
        assert a.shape == b.shape
        assert_close(a, b, OUT_TOL, name)


def test_streaming_equals_sequence():
    """Feeding a sequence step by step through the kernel == the chunkwise reference over it."""
    gen = torch.Generator().manual_seed(1)
    B, H, T, D = 1, 2, 9, 16
    q, k, v = (rand(gen, B, H, T, D) for _ in range(3))
    i, f = rand(gen, B, H, T), rand(gen, B, H, T, shift=2.0)
    state, outs = None, []
    with torch.no_grad():
        for t in range(T):
            h, state = mlstm_step(q[:, :, t], k[:, :, t], v[:, :, t], i[:, :, t], f[:, :, t], state)
            outs.append(h)
    h_r, final_r = mlstm_chunkwise_torch(q, k, v, i, f, chunk_size=16)
    assert_close(torch.stack(outs, dim=2), h_r, OUT_TOL, "h")
    for name, a, b in zip("Cnm", state, final_r):
        assert_close(a, b, OUT_TOL, name)


def test_step_with_autograd_is_differentiable():
    """With grad enabled the step runs the differentiable chunkwise kernels (T = 1)."""
    gen = torch.Generator().manual_seed(2)
    B, H, D = 1, 2, 16
    base = [rand(gen, B, H, D), rand(gen, B, H, D), rand(gen, B, H, D), rand(gen, B, H), rand(gen, B, H, shift=2.0)]
    base_state = [rand(gen, B, H, D, D), rand(gen, B, H, D), rand(gen, B, H)]
    xs, st = [leaf(x) for x in base], [leaf(s) for s in base_state]
    xs_r, st_r = [leaf(x) for x in base], [leaf(s) for s in base_state]
    h, new = mlstm_step(*xs, MLSTMState(*st))
    h_r, new_r = mlstm_step_torch(*xs_r, MLSTMState(*st_r))
    assert_close(h, h_r, OUT_TOL, "h")
    cots = [torch.randn(o.shape, generator=gen).to(DEVICE) for o in (h_r, *new_r)]
    for g, g_r in zip(grads([h, *new], xs + st, cots), grads([h_r, *new_r], xs_r + st_r, cots)):
        assert_close(g, g_r, GRAD_TOL, "grad")
