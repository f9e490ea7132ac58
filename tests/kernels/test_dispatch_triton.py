"""xlstm_ts.ops with backend="triton" runs these kernels (interpreted on CPU) and matches "torch"."""

from __future__ import annotations

import pytest
import torch

from kernel_test_utils import DEVICE, GRAD_TOL, OUT_TOL, assert_close, leaf, skip_unless_runnable, xlstm_ts_kernels
from xlstm_ts import ops

skip_unless_runnable()
pytestmark = pytest.mark.interpreter


@pytest.fixture
def calls(monkeypatch):
    """Count the calls that reach the kernel package's entry points through the dispatch."""
    counter: dict[str, int] = {}
    for name in ("mlstm", "mlstm_step", "slstm", "slstm_step"):
        original = getattr(xlstm_ts_kernels, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            counter[_name] = counter.get(_name, 0) + 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(xlstm_ts_kernels, name, spy)
    if DEVICE == "cpu":
        monkeypatch.setenv("TRITON_INTERPRET", "1")
    return counter


def mlstm_inputs(T=21, D=16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(1, 2, T, D, generator=gen).to(DEVICE) for _ in range(3))
    i = torch.randn(1, 2, T, generator=gen).to(DEVICE)
    f = (torch.randn(1, 2, T, generator=gen) + 2).to(DEVICE)
    return q, k, v, i, f


@pytest.mark.parametrize("form", ["auto", "parallel", "chunkwise", "recurrent"])
def test_mlstm_backend_triton_matches_torch(calls, form):
    inputs = mlstm_inputs()
    xs = [leaf(x) for x in inputs]
    h, state = ops.mlstm(*xs, form=form, backend="triton", chunk_size=16, return_state=True)
    xs_r = [leaf(x) for x in inputs]
    h_r, state_r = ops.mlstm(*xs_r, form=form, backend="torch", chunk_size=16, return_state=True)
    assert calls == {"mlstm": 1}
    assert_close(h, h_r, OUT_TOL, "h")
    for name, a, b in zip("Cnm", state, state_r):
        assert_close(a, b, OUT_TOL, name)
    (h * h_r.detach()).sum().backward()
    (h_r * h_r.detach()).sum().backward()
    for name, a, b in zip("qkvif", xs, xs_r):
        assert_close(a.grad, b.grad, GRAD_TOL, f"d{name}")


def test_mlstm_without_return_state_and_with_initial_state(calls):
    q, k, v, i, f = mlstm_inputs(T=9, seed=1)
    _, state = ops.mlstm(q, k, v, i, f, backend="torch", return_state=True)
    h = ops.mlstm(q, k, v, i, f, initial_state=tuple(state), backend="triton")
    h_r = ops.mlstm(q, k, v, i, f, initial_state=state, backend="torch")
    assert isinstance(h, torch.Tensor)
    assert_close(h, h_r, OUT_TOL, "h")


def test_mlstm_step_backend_triton(calls):
    q, k, v, i, f = (x[:, :, 0] for x in mlstm_inputs(T=1, seed=2))
    h, state = ops.mlstm_step(q, k, v, i, f, None, backend="triton")
    h, state = ops.mlstm_step(q, k, v, i, f, state, backend="triton")
    h_r, state_r = ops.mlstm_step(q, k, v, i, f, None, backend="torch")
    h_r, state_r = ops.mlstm_step(q, k, v, i, f, state_r, backend="torch")
    assert calls == {"mlstm_step": 2}
    assert_close(h, h_r, OUT_TOL, "h")
    for name, a, b in zip("Cnm", state, state_r):
        assert_close(a, b, OUT_TOL, name)


def test_slstm_and_step_backend_triton(calls):
    gen = torch.Generator().manual_seed(3)
    B, T, H, D = 1, 6, 2, 16
    wx = torch.randn(B, T, 4, H, D, generator=gen).to(DEVICE)
    r = (torch.randn(4, H, D, D, generator=gen) / 4).to(DEVICE)
    b = torch.randn(4, H, D, generator=gen).to(DEVICE)
    h, state = ops.slstm(wx, r, b, backend="triton", return_state=True)
    h_r, state_r = ops.slstm(wx, r, b, backend="torch", return_state=True)
    assert_close(h, h_r, OUT_TOL, "h")
    h1, state1 = ops.slstm_step(wx[:, 0], r, b, state, backend="triton")
    h1_r, state1_r = ops.slstm_step(wx[:, 0], r, b, state_r, backend="torch")
    assert calls == {"slstm": 1, "slstm_step": 1}
    assert_close(h1, h1_r, OUT_TOL, "h step")
    for name, a, b_ in zip("hcnm", state1, state1_r):
        assert_close(a, b_, OUT_TOL, name)
