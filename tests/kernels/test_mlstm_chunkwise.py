"""mLSTM chunkwise Triton kernels vs the PyTorch reference (fp32, small odd shapes)."""

from __future__ import annotations

import pytest
import torch

from kernel_test_utils import DEVICE, GRAD_TOL, OUT_TOL, assert_close, grads, leaf, skip_unless_runnable
from xlstm_ts.ops.reference.mlstm_chunkwise import mlstm_chunkwise_torch
from xlstm_ts.ops.state import MLSTMState
from xlstm_ts_kernels import mlstm, mlstm_chunkwise

skip_unless_runnable()
pytestmark = pytest.mark.interpreter


def make_inputs(B, H, T, DK, DV, *, init: bool, seed: int = 0, gate_scale: float = 1.0):
    gen = torch.Generator().manual_seed(seed)

    def rnd(*shape, scale=1.0, shift=0.0):
        return (torch.randn(*shape, generator=gen) * scale + shift).to(DEVICE)

    q, k = rnd(B, H, T, DK), rnd(B, H, T, DK)
    v = rnd(B, H, T, DV)
    i = rnd(B, H, T, scale=gate_scale)
    f = rnd(B, H, T, scale=gate_scale, shift=2.0)
    state = None
    if init:
        state = MLSTMState(rnd(B, H, DK, DV, scale=0.5), rnd(B, H, DK, scale=0.5), rnd(B, H))
    return (q, k, v, i, f), state


def check_against_reference(inputs, state, chunk_size, *, cot_h=True, cot_state=True, seed=1, **kernel_kw):
    """Outputs, final state and all gradients (random cotangents) of kernel vs reference."""
    xs = [leaf(x) for x in inputs]
    st = MLSTMState(*(leaf(s) for s in state)) if state is not None else None
    h, final = mlstm_chunkwise(*xs, st, chunk_size=chunk_size, **kernel_kw)
    xs_r = [leaf(x) for x in inputs]
    st_r = MLSTMState(*(leaf(s) for s in state)) if state is not None else None
    h_r, final_r = mlstm_chunkwise_torch(*xs_r, st_r, chunk_size=chunk_size)

    assert h.shape == h_r.shape and h.dtype == h_r.dtype
    assert_close(h, h_r, OUT_TOL, "h")
    for name, a, b in zip("Cnm", final, final_r):
        assert a.shape == b.shape
        assert_close(a, b, OUT_TOL, f"final {name}")

    gen = torch.Generator().manual_seed(seed)
    outs, outs_r = [h, *final], [h_r, *final_r]
    cots = [torch.randn(o.shape, generator=gen).to(DEVICE) for o in outs_r]
    if not cot_h:
        cots[0] = None
    if not cot_state:
        cots[1:] = [None] * 3
    params = xs + (list(st) if st is not None else [])
    params_r = xs_r + (list(st_r) if st_r is not None else [])
    names = ["q", "k", "v", "i", "f", "C0", "n0", "m0"]
    for name, g, g_r in zip(names, grads(outs, params, cots), grads(outs_r, params_r, cots)):
        if g_r is None:
            assert g is None or g.abs().max() == 0, name
            continue
        assert_close(g, g_r, GRAD_TOL, f"d{name}")


@pytest.mark.parametrize("init", [False, True], ids=["no_init", "init"])
@pytest.mark.parametrize("chunk_size", [16, 32])
@pytest.mark.parametrize("head_dim", [16, 32])
@pytest.mark.parametrize("T", [1, 17, 100])
def test_matches_reference(T, head_dim, chunk_size, init):
    inputs, state = make_inputs(1, 2, T, head_dim, head_dim, init=init, seed=T + head_dim)
    check_against_reference(inputs, state, chunk_size)


def test_tiled_head_dims_and_strided_inputs():
    """Dqk != Dv, neither a power of two, several head-dim tiles per program, non-contiguous q/k/v."""
    B, H, T, DK, DV = 2, 1, 37, 24, 40
    (q, k, v, i, f), state = make_inputs(B, H, T, DK, DV, init=True, seed=3)
    qk = torch.stack([q, k], dim=-1).transpose(1, 2).contiguous().transpose(1, 2)  # (B, H, T, DK, 2) strided
    v_wide = torch.cat([v, v], dim=-1)[..., :DV]  # last-dim stride 1, T stride 2*DV
    inputs = (qk[..., 0], qk[..., 1], v_wide, i, f)
    assert not inputs[0].is_contiguous() and not inputs[2].is_contiguous()
    check_against_reference(inputs, state, 16, block_k=16, block_v=16)


def test_chunk_size_need_not_be_a_power_of_two():
    inputs, state = make_inputs(1, 2, 45, 16, 16, init=True, seed=4)
    check_against_reference(inputs, state, 20)


def test_large_gates_stay_stable():
    """Input gates up to ~+-15 and saturated forget gates: the stabilizer keeps everything finite."""
    inputs, state = make_inputs(1, 2, 50, 16, 16, init=True, seed=5, gate_scale=6.0)
    check_against_reference(inputs, state, 16)


@pytest.mark.parametrize("which", ["only_h", "only_state"])
def test_partial_cotangents(which):
    inputs, state = make_inputs(1, 2, 33, 16, 16, init=True, seed=6)
    check_against_reference(inputs, state, 16, cot_h=which == "only_h", cot_state=which == "only_state")


def test_state_passing_equals_whole_sequence():
    """Two slices with the state carried through the kernels == one pass, forward and backward."""
    T, cut = 50, 23
    inputs, state = make_inputs(1, 2, T, 16, 32, init=True, seed=7)
    xs = [leaf(x) for x in inputs]
    st = MLSTMState(*(leaf(s) for s in state))
    h, final = mlstm(*xs, initial_state=st, chunk_size=16)

    xs2 = [leaf(x) for x in inputs]
    st2 = MLSTMState(*(leaf(s) for s in state))
    h_a, mid = mlstm(*(x[:, :, :cut] for x in xs2), initial_state=st2, chunk_size=16)
    h_b, final2 = mlstm(*(x[:, :, cut:] for x in xs2), initial_state=mid, chunk_size=16)
    h2 = torch.cat([h_a, h_b], dim=2)
    assert_close(h2, h, OUT_TOL, "h")
    for name, a, b in zip("Cnm", final2, final):
        assert_close(a, b, OUT_TOL, f"final {name}")

    gen = torch.Generator().manual_seed(8)
    cots = [torch.randn(o.shape, generator=gen).to(DEVICE) for o in (h, *final)]
    g1 = grads([h, *final], xs + list(st), cots)
    g2 = grads([h2, *final2], xs2 + list(st2), cots)
    for name, a, b in zip(["q", "k", "v", "i", "f", "C0", "n0", "m0"], g2, g1):
        assert_close(a, b, GRAD_TOL, f"d{name}")


@pytest.mark.parametrize("form", ["auto", "parallel", "chunkwise", "recurrent"])
def test_every_form_runs_the_kernels(form):
    inputs, state = make_inputs(1, 1, 20, 16, 16, init=False, seed=9)
    h, final = mlstm(*inputs, initial_state=state, form=form, chunk_size=16)
    h_r, final_r = mlstm_chunkwise_torch(*inputs, state, chunk_size=16)
    assert_close(h, h_r, OUT_TOL, "h")
    assert_close(final.C, final_r.C, OUT_TOL, "C")


def test_unknown_form_is_rejected():
    inputs, _ = make_inputs(1, 1, 4, 16, 16, init=False)
    with pytest.raises(ValueError, match="form"):
        mlstm(*inputs, form="quadratic")


def test_closed_input_gates_match_reference():
    """Input gates near -150 put m below -88, where an uncapped exp(-m) floor overflows fp32."""
    (q, k, v, i, f), state = make_inputs(1, 2, 40, 16, 16, init=True, seed=5, gate_scale=30.0)
    i = i - 150.0
    state = MLSTMState(state.C, state.n, state.m - 200.0)
    check_against_reference((q, k, v, i, f), state, 16)
