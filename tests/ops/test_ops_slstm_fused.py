"""The sLSTM fast path (one autograd Function, hand-written backward) against the plain autograd loop.

Forward and backward with random cotangents on every output (the final state included), fp64
and fp32, odd sizes, a given initial state, state passing, ties in the stabilizer's max.
"""

from __future__ import annotations

import pytest
import torch

from xlstm_ts import ops
from xlstm_ts.ops.reference.slstm_fused import slstm_fused_torch
from xlstm_ts.ops.reference.slstm_recurrent import slstm_recurrent_torch
from xlstm_ts.ops.state import SLSTMState


def make_case(B: int, T: int, H: int, Dh: int, dtype: torch.dtype, with_state: bool, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    wx = torch.randn(B, T, 4, H, Dh, generator=g, dtype=dtype)
    r = torch.randn(4, H, Dh, Dh, generator=g, dtype=dtype) / Dh**0.5
    b = torch.randn(4, H, Dh, generator=g, dtype=dtype)
    leaves = [wx, r, b]
    state = None
    if with_state:
        h0, c0 = (torch.randn(B, H, Dh, generator=g, dtype=dtype) for _ in range(2))
        n0 = torch.rand(B, H, Dh, generator=g, dtype=dtype) + 0.5
        m0 = torch.randn(B, H, Dh, generator=g, dtype=dtype)
        state = SLSTMState(h0, c0, n0, m0)
        leaves += list(state)
    for x in leaves:
        x.requires_grad_()
    cotangents = [torch.randn(B, T, H, Dh, generator=g, dtype=dtype)]
    cotangents += [torch.randn(B, H, Dh, generator=g, dtype=dtype) for _ in range(4)]
    return wx, r, b, state, leaves, cotangents


def run(fn, wx, r, b, state, leaves, cotangents):
    h, final = fn(wx, r, b, state)
    outputs = [h, *final]
    loss = sum((out * cot).sum() for out, cot in zip(outputs, cotangents))
    return [out.detach() for out in outputs], torch.autograd.grad(loss, leaves)


@pytest.mark.parametrize(
    ("B", "T", "H", "Dh", "with_state"),
    [(1, 1, 1, 1, False), (3, 7, 2, 5, False), (2, 13, 3, 4, True), (5, 42, 2, 8, True)],
)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_matches_autograd_loop(B: int, T: int, H: int, Dh: int, with_state: bool, dtype: torch.dtype) -> None:
    case = make_case(B, T, H, Dh, dtype, with_state)
    outs, grads = run(slstm_fused_torch, *case)
    outs_ref, grads_ref = run(slstm_recurrent_torch, *case)
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == torch.float64 else {"rtol": 2e-5, "atol": 2e-5}
    for name, a, ref in zip(("h", "h_T", "c_T", "n_T", "m_T"), outs, outs_ref):
        torch.testing.assert_close(a, ref, **tol, msg=f"output {name}")
    names = ("wx", "r", "b", "h0", "c0", "n0", "m0")
    for name, a, ref in zip(names, grads, grads_ref):
        torch.testing.assert_close(a, ref, **tol, msg=f"grad of {name}")


def test_state_passing_with_gradients() -> None:
    """Whole sequence == two slices with the state carried (and differentiated) across."""
    wx, r, b, _, _, cotangents = make_case(3, 20, 2, 3, torch.float64, with_state=False, seed=1)
    h_whole, final_whole = slstm_fused_torch(wx, r, b)
    loss_whole = (h_whole * cotangents[0]).sum() + (final_whole.c * cotangents[2]).sum()
    g_whole = torch.autograd.grad(loss_whole, [wx, r, b])

    h_a, state = slstm_fused_torch(wx[:, :9], r, b)
    h_b, final = slstm_fused_torch(wx[:, 9:], r, b, state)
    torch.testing.assert_close(torch.cat([h_a, h_b], 1), h_whole, rtol=1e-12, atol=1e-12)
    for a, ref in zip(final, final_whole):
        torch.testing.assert_close(a, ref, rtol=1e-12, atol=1e-12)
    loss = (torch.cat([h_a, h_b], 1) * cotangents[0]).sum() + (final.c * cotangents[2]).sum()
    for a, ref in zip(torch.autograd.grad(loss, [wx, r, b]), g_whole):
        torch.testing.assert_close(a, ref, rtol=1e-10, atol=1e-12)


def test_stabilizer_ties_split_as_autograd_does() -> None:
    """log sigmoid(f) + m == i exactly: torch.maximum gives each side half the gradient."""
    B, H, Dh = 2, 1, 3
    wx = torch.zeros(B, 2, 4, H, Dh, dtype=torch.float64)
    r = torch.zeros(4, H, Dh, Dh, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(4, H, Dh, dtype=torch.float64)
    # step 0: m_0 = i_0 = 0; step 1: i_1 = log sigmoid(0) + 0 = -log 2, a tie with A_1
    wx[:, 1, 0] = torch.nn.functional.logsigmoid(torch.tensor(0.0, dtype=torch.float64))
    wx.requires_grad_()
    b.requires_grad_()
    cotangents = [torch.ones(B, 2, H, Dh, dtype=torch.float64)] + [torch.ones(B, H, Dh, dtype=torch.float64)] * 4
    case = (wx, r, b, None, [wx, r, b], cotangents)
    _, grads = run(slstm_fused_torch, *case)
    _, grads_ref = run(slstm_recurrent_torch, *case)
    for a, ref in zip(grads, grads_ref):
        torch.testing.assert_close(a, ref, rtol=1e-12, atol=1e-14)


def test_dispatch_uses_fast_path_and_only_needed_grads() -> None:
    wx, r, b, _, _, _ = make_case(2, 5, 2, 3, torch.float64, with_state=False)
    h = ops.slstm(wx, r, b, backend="torch")
    assert h.grad_fn is not None and "SLSTMRecurrent" in type(h.grad_fn).__name__
    (grad_wx,) = torch.autograd.grad(h.sum(), [wx])  # r and b need grad but are not asked for
    torch.testing.assert_close(grad_wx, torch.autograd.grad(slstm_recurrent_torch(wx, r, b)[0].sum(), [wx])[0])
    with torch.no_grad():
        torch.testing.assert_close(ops.slstm(wx, r, b, backend="torch"), slstm_recurrent_torch(wx, r, b)[0])


def test_inputs_never_written() -> None:
    wx, r, b, state, leaves, cotangents = make_case(2, 6, 2, 3, torch.float64, with_state=True)
    before = [x.detach().clone() for x in leaves]
    run(slstm_fused_torch, wx, r, b, state, leaves, cotangents)
    for a, ref in zip(leaves, before):
        assert torch.equal(a, ref)


@pytest.mark.parametrize(("B", "T", "H", "Dh", "with_state"), [(2, 5, 2, 3, False), (3, 9, 1, 4, True)])
def test_under_cpu_bf16_autocast_the_recurrence_runs_in_fp32(B: int, T: int, H: int, Dh: int, with_state: bool) -> None:
    """precision="bf16-mixed": bf16 projections meet fp32 weights; the cell casts to fp32 and gives
    exactly what the fp32 cell gives on the same (bf16-rounded) inputs, gradients included."""
    wx, r, b, state, leaves, cotangents = make_case(B, T, H, Dh, torch.float32, with_state)
    wx_bf16 = wx.detach().to(torch.bfloat16).requires_grad_()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        h, final = slstm_fused_torch(wx_bf16, r, b, state)
    assert h.dtype == torch.float32 and all(x.dtype == torch.float32 for x in final)
    loss = sum((out * cot).sum() for out, cot in zip([h, *final], cotangents))
    grads = torch.autograd.grad(loss, [wx_bf16, *leaves[1:]])
    assert grads[0].dtype == torch.bfloat16
    wx_rounded = wx_bf16.detach().float().requires_grad_()
    outputs, expected = run(slstm_fused_torch, wx_rounded, r, b, state, [wx_rounded, *leaves[1:]], cotangents)
    for got, want in zip([h, *final], outputs):
        torch.testing.assert_close(got.detach(), want, rtol=0, atol=0)
    torch.testing.assert_close(grads[0], expected[0].to(torch.bfloat16))
    for got, want in zip(grads[1:], expected[1:]):
        torch.testing.assert_close(got, want, rtol=0, atol=0)
