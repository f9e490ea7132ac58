"""An empty sequence (T = 0) has one behaviour in every form and backend of both cells.

No outputs, h (B, H, 0, Dv) for the mLSTM and (B, 0, H, Dh) for the sLSTM, and the final state is
the state after processing nothing: the given initial state (a copy, values unchanged) or the
empty memory (zeros, m = -inf). A backward through such a call works: the inputs get (empty or
zero) gradients and the gradient of the returned state passes through to the initial state.
"""

from __future__ import annotations

import importlib.util

import pytest
import torch

from xlstm_ts import ops

B, H, DQK, DV = 2, 3, 5, 3
DTYPE = torch.float64
MLSTM_FORMS = ("auto", "parallel", "chunkwise", "recurrent")


def _triton_device() -> str | None:
    """Where backend="triton" can run here, or None (the test then skips with the reason)."""
    if importlib.util.find_spec("triton") is None:
        return None
    try:
        from xlstm_ts_kernels._utils import kernels_interpreted
        from xlstm_ts_kernels.mlstm.chunkwise_fwd import mlstm_chunkwise__parallel_fwd_H_kernel
    except ImportError:
        return None
    if kernels_interpreted(mlstm_chunkwise__parallel_fwd_H_kernel):
        return "cpu"
    return "cuda" if torch.cuda.is_available() else None


@pytest.fixture(params=["torch", "triton"])
def backend(request, monkeypatch) -> tuple[str, str]:
    """(backend, device); "triton" skips unless the kernels run here (interpreted on CPU or on a GPU)."""
    if request.param == "torch":
        return "torch", "cpu"
    device = _triton_device()
    if device is None:
        pytest.skip("backend='triton' cannot run here: triton missing, or compiled kernels and no GPU")
    if device == "cpu":
        monkeypatch.setenv("TRITON_INTERPRET", "1")
    return "triton", device


def _leaf(shape, device, gen, offset=0.0) -> torch.Tensor:
    return (torch.randn(*shape, generator=gen, dtype=DTYPE) + offset).to(device).requires_grad_(True)


def _assert_empty_grad(x: torch.Tensor, name: str) -> None:
    assert x.grad is not None, f"{name} got no gradient"
    assert x.grad.shape == x.shape and x.grad.numel() == 0, f"d{name}: {tuple(x.grad.shape)}"


def _assert_zero_or_no_grad(x: torch.Tensor, name: str) -> None:
    """Inputs that a step would use (sLSTM r, b) but that nothing touched: no gradient or a zero one."""
    if x.grad is not None:
        assert x.grad.shape == x.shape, f"d{name}: {tuple(x.grad.shape)}"
        assert not x.grad.any(), f"d{name} is not zero"


def _assert_state(returned, expected, names: str) -> None:
    for name, a, b in zip(names, returned, expected):
        assert a.shape == b.shape and a.dtype == b.dtype, f"{name}: {tuple(a.shape)} {a.dtype}"
        assert torch.equal(a.detach(), b.detach()), f"{name} changed over an empty sequence"


@pytest.mark.parametrize("with_state", [False, True], ids=["empty-memory", "initial-state"])
@pytest.mark.parametrize("form", MLSTM_FORMS)
def test_mlstm_empty_sequence(form: str, backend: tuple[str, str], with_state: bool) -> None:
    backend_name, device = backend
    gen = torch.Generator().manual_seed(0)
    q, k = (_leaf((B, H, 0, DQK), device, gen) for _ in range(2))
    v = _leaf((B, H, 0, DV), device, gen)
    i, f = (_leaf((B, H, 0), device, gen) for _ in range(2))
    init = None
    if with_state:
        init = (_leaf((B, H, DQK, DV), device, gen), _leaf((B, H, DQK), device, gen), _leaf((B, H), device, gen))

    h, state = ops.mlstm(q, k, v, i, f, initial_state=init, return_state=True, form=form, backend=backend_name)

    assert h.shape == (B, H, 0, DV) and h.dtype == DTYPE
    assert isinstance(state, ops.MLSTMState)
    if with_state:
        _assert_state(state, init, "Cnm")
        for name, a, b in zip("Cnm", state, init):
            assert a.data_ptr() != b.data_ptr(), f"returned {name} aliases the initial state"
    else:
        empty = (torch.zeros(B, H, DQK, DV, dtype=DTYPE), torch.zeros(B, H, DQK, dtype=DTYPE),
                 torch.full((B, H), float("-inf"), dtype=DTYPE))  # fmt: skip
        _assert_state(state, [x.to(device) for x in empty], "Cnm")

    wC, wn, wm = (torch.randn(x.shape, generator=gen, dtype=DTYPE).to(device) for x in state)
    loss = h.sum() + (state.C * wC).sum() + (state.n * wn).sum()
    if with_state:  # m = -inf in the empty memory
        loss = loss + (state.m * wm).sum()
    loss.backward()
    for name, x in zip("qkvif", (q, k, v, i, f)):
        _assert_empty_grad(x, name)
    if with_state:
        for name, x, w in zip("Cnm", init, (wC, wn, wm)):
            assert x.grad is not None and torch.equal(x.grad, w), f"d{name}0 is not the final state's gradient"


@pytest.mark.parametrize("form", MLSTM_FORMS)
def test_mlstm_empty_sequence_without_state(form: str, backend: tuple[str, str]) -> None:
    backend_name, device = backend
    q = torch.zeros(B, H, 0, DQK, dtype=DTYPE, device=device, requires_grad=True)
    v = torch.zeros(B, H, 0, DV, dtype=DTYPE, device=device, requires_grad=True)
    i = torch.zeros(B, H, 0, dtype=DTYPE, device=device, requires_grad=True)
    h = ops.mlstm(q, q, v, i, i, form=form, backend=backend_name)
    assert h.shape == (B, H, 0, DV)
    h.sum().backward()
    for name, x in zip("qvi", (q, v, i)):
        _assert_empty_grad(x, name)


@pytest.mark.parametrize("with_state", [False, True], ids=["empty-memory", "initial-state"])
def test_slstm_empty_sequence(backend: tuple[str, str], with_state: bool) -> None:
    backend_name, device = backend
    gen = torch.Generator().manual_seed(1)
    Dh = DQK
    wx = _leaf((B, 0, 4, H, Dh), device, gen)
    r = _leaf((4, H, Dh, Dh), device, gen)
    b = _leaf((4, H, Dh), device, gen)
    init = tuple(_leaf((B, H, Dh), device, gen) for _ in range(4)) if with_state else None

    h, state = ops.slstm(wx, r, b, initial_state=init, return_state=True, backend=backend_name)

    assert h.shape == (B, 0, H, Dh) and h.dtype == DTYPE
    assert isinstance(state, ops.SLSTMState)
    if with_state:
        _assert_state(state, init, "hcnm")
        for name, a, b_ in zip("hcnm", state, init):
            assert a.data_ptr() != b_.data_ptr(), f"returned {name} aliases the initial state"
    else:
        zeros = torch.zeros(B, H, Dh, dtype=DTYPE, device=device)
        _assert_state(state, (zeros, zeros, zeros, torch.full_like(zeros, float("-inf"))), "hcnm")

    weights = [torch.randn(x.shape, generator=gen, dtype=DTYPE).to(device) for x in state]
    used = state if with_state else state[:3]  # m = -inf in the empty memory
    loss = h.sum() + sum((x * w).sum() for x, w in zip(used, weights))
    loss.backward()
    _assert_empty_grad(wx, "wx")
    _assert_zero_or_no_grad(r, "r")
    _assert_zero_or_no_grad(b, "b")
    if with_state:
        for name, x, w in zip("hcnm", init, weights):
            assert x.grad is not None and torch.equal(x.grad, w), f"d{name}0 is not the final state's gradient"


def test_slstm_empty_sequence_without_state(backend: tuple[str, str]) -> None:
    backend_name, device = backend
    wx = torch.zeros(B, 0, 4, H, DQK, dtype=DTYPE, device=device, requires_grad=True)
    r = torch.zeros(4, H, DQK, DQK, dtype=DTYPE, device=device)
    b = torch.zeros(4, H, DQK, dtype=DTYPE, device=device)
    h = ops.slstm(wx, r, b, backend=backend_name)
    assert h.shape == (B, 0, H, DQK)
    h.sum().backward()
    _assert_empty_grad(wx, "wx")
