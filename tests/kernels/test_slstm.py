"""Fused sLSTM Triton kernels vs the PyTorch reference (fp32, small odd shapes)."""

from __future__ import annotations

import pytest
import torch

from kernel_test_utils import DEVICE, GRAD_TOL, OUT_TOL, assert_close, grads, leaf, skip_unless_runnable
from xlstm_ts.ops.reference.slstm_recurrent import slstm_recurrent_torch, slstm_step_torch
from xlstm_ts.ops.state import SLSTMState
from xlstm_ts_kernels import slstm, slstm_step

skip_unless_runnable()
pytestmark = pytest.mark.interpreter


def make_inputs(B, T, H, DH, *, init: bool, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)

    def rnd(*shape, scale=1.0, shift=0.0):
        return (torch.randn(*shape, generator=gen) * scale + shift).to(DEVICE)

    wx = rnd(B, T, 4, H, DH)
    r = rnd(4, H, DH, DH, scale=DH**-0.5)
    b = rnd(4, H, DH, scale=0.5)
    state = None
    if init:
        n0 = (torch.rand(B, H, DH, generator=gen) + 0.5).to(DEVICE)
        state = SLSTMState(rnd(B, H, DH, scale=0.5), rnd(B, H, DH), n0, rnd(B, H, DH))
    return (wx, r, b), state


def check_against_reference(inputs, state, *, cot_h=True, cot_state=True, seed=1):
    xs = [leaf(x) for x in inputs]
    st = SLSTMState(*(leaf(s) for s in state)) if state is not None else None
    h, final = slstm(*xs, initial_state=st)
    xs_r = [leaf(x) for x in inputs]
    st_r = SLSTMState(*(leaf(s) for s in state)) if state is not None else None
    h_r, final_r = slstm_recurrent_torch(*xs_r, st_r)

    assert h.shape == h_r.shape and h.dtype == h_r.dtype
    assert_close(h, h_r, OUT_TOL, "h")
    for name, a, b in zip("hcnm", final, final_r):
        assert_close(a, b, OUT_TOL, f"final {name}")

    gen = torch.Generator().manual_seed(seed)
    cots = [torch.randn(o.shape, generator=gen).to(DEVICE) for o in (h_r, *final_r)]
    if not cot_h:
        cots[0] = None
    if not cot_state:
        cots[1:] = [None] * 4
    params = xs + (list(st) if st is not None else [])
    params_r = xs_r + (list(st_r) if st_r is not None else [])
    names = ["wx", "r", "b", "h0", "c0", "n0", "m0"]
    for name, g, g_r in zip(names, grads([h, *final], params, cots), grads([h_r, *final_r], params_r, cots)):
        assert_close(g, g_r, GRAD_TOL, f"d{name}")


@pytest.mark.parametrize("init", [False, True], ids=["no_init", "init"])
@pytest.mark.parametrize("head_dim", [16, 32])
@pytest.mark.parametrize("T", [1, 17, 100])
def test_matches_reference(T, head_dim, init):
    # the interpreter runs the in-kernel time loop in Python: one (batch, head) program at T = 100
    B = 1 if T > 50 else 2
    inputs, state = make_inputs(B, T, 1, head_dim, init=init, seed=T + head_dim)
    check_against_reference(inputs, state)


def test_head_dim_not_a_power_of_two():
    inputs, state = make_inputs(1, 9, 3, 24, init=True, seed=2)
    check_against_reference(inputs, state)


@pytest.mark.parametrize("which", ["only_h", "only_state"])
def test_partial_cotangents(which):
    inputs, state = make_inputs(1, 7, 2, 16, init=True, seed=3)
    check_against_reference(inputs, state, cot_h=which == "only_h", cot_state=which == "only_state")


def test_state_passing_equals_whole_sequence():
    T, cut = 20, 9
    inputs, state = make_inputs(1, T, 2, 16, init=True, seed=4)
    xs, st = [leaf(x) for x in inputs], SLSTMState(*(leaf(s) for s in state))
    h, final = slstm(*xs, initial_state=st)
    xs2, st2 = [leaf(x) for x in inputs], SLSTMState(*(leaf(s) for s in state))
    wx2, r2, b2 = xs2
    h_a, mid = slstm(wx2[:, :cut], r2, b2, initial_state=st2)
    h_b, final2 = slstm(wx2[:, cut:], r2, b2, initial_state=mid)
    h2 = torch.cat([h_a, h_b], dim=1)
    assert_close(h2, h, OUT_TOL, "h")
    for name, a, b in zip("hcnm", final2, final):
        assert_close(a, b, OUT_TOL, f"final {name}")
    gen = torch.Generator().manual_seed(5)
    cots = [torch.randn(o.shape, generator=gen).to(DEVICE) for o in (h, *final)]
    g1 = grads([h, *final], xs + list(st), cots)
    g2 = grads([h2, *final2], xs2 + list(st2), cots)
    for name, a, b in zip(["wx", "r", "b", "h0", "c0", "n0", "m0"], g2, g1):
        assert_close(a, b, GRAD_TOL, f"d{name}")


@pytest.mark.parametrize("with_state", [False, True], ids=["empty", "state"])
def test_step_matches_reference(with_state):
    (wx, r, b), state = make_inputs(2, 1, 2, 16, init=with_state, seed=6)
    wx_t = wx[:, 0]
    with torch.no_grad():
        h, new = slstm_step(wx_t, r, b, state)
    h_r, new_r = slstm_step_torch(wx_t, r, b, state)
    assert_close(h, h_r, OUT_TOL, "h")
    for name, a, b_ in zip("hcnm", new, new_r):
        assert_close(a, b_, OUT_TOL, name)
