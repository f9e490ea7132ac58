"""GPU-only checks of the compiled kernels: bf16, long sequences, speed against the reference.

Skipped without CUDA (and under TRITON_INTERPRET=1). Run with
``.venv/bin/python -m pytest tests/kernels -q -m gpu``.
"""

from __future__ import annotations

import time

import pytest
import torch

from kernel_test_utils import HAS_CUDA, INTERPRETED, rel_err
from xlstm_ts.ops.reference.mlstm_chunkwise import mlstm_chunkwise_torch
from xlstm_ts.ops.reference.slstm_recurrent import slstm_recurrent_torch
from xlstm_ts.ops.state import MLSTMState, SLSTMState
from xlstm_ts_kernels import mlstm, mlstm_step, slstm

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA device"),
    pytest.mark.skipif(INTERPRETED, reason="TRITON_INTERPRET=1: the kernels are interpreted, not compiled"),
]

BF16_OUT_TOL = 2e-2
BF16_GRAD_TOL = 5e-2


def _mlstm_inputs(B, H, T, DK, DV, dtype, seed=0, init=True):
    gen = torch.Generator(device="cuda").manual_seed(seed)

    def rnd(*shape, shift=0.0):
        return (torch.randn(*shape, generator=gen, device="cuda") + shift).to(dtype)

    xs = [rnd(B, H, T, DK), rnd(B, H, T, DK), rnd(B, H, T, DV), rnd(B, H, T), rnd(B, H, T, shift=3.0)]
    state = MLSTMState(rnd(B, H, DK, DV), rnd(B, H, DK), rnd(B, H)) if init else None
    return xs, state


def _timed(fn, warmup=2, reps=5) -> float:
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / reps


@pytest.mark.parametrize("T,D", [(4096, 64), (3001, 128)])
def test_mlstm_bf16_long_sequence_matches_fp32_reference(T, D):
    xs, state = _mlstm_inputs(2, 4, T, D, D, torch.bfloat16)
    xs = [x.requires_grad_() for x in xs]
    st = MLSTMState(*(s.requires_grad_() for s in state))
    h, final = mlstm(*xs, initial_state=st, chunk_size=64)
    assert h.dtype == torch.bfloat16
    ref_in = [x.detach().float().requires_grad_() for x in xs]
    ref_st = MLSTMState(*(s.detach().float().requires_grad_() for s in st))
    h_r, final_r = mlstm_chunkwise_torch(*ref_in, ref_st, chunk_size=64)
    assert rel_err(h, h_r) < BF16_OUT_TOL
    for a, b in zip(final, final_r):
        assert rel_err(a, b) < BF16_OUT_TOL
    cots = [torch.randn_like(o) for o in (h_r, *final_r)]
    torch.autograd.backward([h, *final], [c.to(o.dtype) for c, o in zip(cots, (h, *final))])
    torch.autograd.backward([h_r, *final_r], cots)
    for name, a, b in zip(["q", "k", "v", "i", "f", "C0", "n0", "m0"], [*xs, *st], [*ref_in, *ref_st]):
        assert rel_err(a.grad, b.grad) < BF16_GRAD_TOL, name


def test_mlstm_fp32_long_sequence_is_accurate():
    xs, state = _mlstm_inputs(1, 2, 8192, 64, 64, torch.float32)
    h, final = mlstm(*xs, initial_state=state, chunk_size=64)
    h_r, final_r = mlstm_chunkwise_torch(*xs, state, chunk_size=64)
    assert rel_err(h, h_r) < 1e-3
    for a, b in zip(final, final_r):
        assert rel_err(a, b) < 1e-3


def test_mlstm_step_bf16_matches_reference():
    xs, state = _mlstm_inputs(8, 8, 1, 128, 128, torch.bfloat16)
    h, new = mlstm_step(*(x[:, :, 0] for x in xs), state)
    h_r, new_r = mlstm_chunkwise_torch(*(x.float() for x in xs), MLSTMState(*(s.float() for s in state)))
    assert rel_err(h, h_r[:, :, 0]) < BF16_OUT_TOL
    assert rel_err(new.C, new_r.C) < BF16_OUT_TOL


def test_slstm_bf16_matches_fp32_reference():
    gen = torch.Generator(device="cuda").manual_seed(1)
    B, T, H, D = 4, 512, 4, 64
    wx = torch.randn(B, T, 4, H, D, generator=gen, device="cuda").bfloat16().requires_grad_()
    r = (torch.randn(4, H, D, D, generator=gen, device="cuda") / D**0.5).bfloat16().requires_grad_()
    b = torch.randn(4, H, D, generator=gen, device="cuda").bfloat16().requires_grad_()
    h, final = slstm(wx, r, b)
    ref = [x.detach().float().requires_grad_() for x in (wx, r, b)]
    h_r, final_r = slstm_recurrent_torch(*ref)
    assert rel_err(h, h_r) < BF16_OUT_TOL
    for a, b_ in zip(final, final_r):
        assert rel_err(a, b_) < BF16_OUT_TOL
    cot = torch.randn_like(h_r)
    h.backward(cot.bfloat16())
    h_r.backward(cot)
    for name, a, b_ in zip(("wx", "r", "b"), (wx, r, b), ref):
        assert rel_err(a.grad, b_.grad) < BF16_GRAD_TOL, name


def test_slstm_state_passing_on_gpu():
    gen = torch.Generator(device="cuda").manual_seed(2)
    B, T, H, D = 2, 300, 2, 32
    wx = torch.randn(B, T, 4, H, D, generator=gen, device="cuda")
    r = torch.randn(4, H, D, D, generator=gen, device="cuda") / D**0.5
    b = torch.randn(4, H, D, generator=gen, device="cuda")
    h, final = slstm(wx, r, b)
    h1, mid = slstm(wx[:, :100], r, b)
    h2, final2 = slstm(wx[:, 100:], r, b, initial_state=SLSTMState(*mid))
    assert rel_err(torch.cat([h1, h2], 1), h) < 1e-5
    assert rel_err(final2.c, final.c) < 1e-5


def test_mlstm_kernels_beat_the_reference():
    xs, state = _mlstm_inputs(4, 8, 8192, 64, 64, torch.bfloat16)
    xs = [x.requires_grad_() for x in xs]

    def run(fn):
        def step():
            h, _ = fn()
            h.backward(torch.ones_like(h))
        return step

    t_triton = _timed(run(lambda: mlstm(*xs, initial_state=state, chunk_size=64)))
    t_torch = _timed(run(lambda: mlstm_chunkwise_torch(*xs, state, chunk_size=64)), warmup=1, reps=2)
    assert t_triton < t_torch, f"triton {t_triton * 1e3:.1f} ms vs torch {t_torch * 1e3:.1f} ms"


def test_slstm_kernel_beats_the_reference():
    B, T, H, D = 8, 1024, 4, 64
    wx = torch.randn(B, T, 4, H, D, device="cuda", dtype=torch.bfloat16)
    r = torch.randn(4, H, D, D, device="cuda", dtype=torch.bfloat16) / D**0.5
    b = torch.zeros(4, H, D, device="cuda", dtype=torch.bfloat16)
    with torch.no_grad():
        t_triton = _timed(lambda: slstm(wx, r, b))
        t_torch = _timed(lambda: slstm_recurrent_torch(wx, r, b), warmup=1, reps=2)
    assert t_triton < t_torch, f"triton {t_triton * 1e3:.1f} ms vs torch {t_torch * 1e3:.1f} ms"


def test_mlstm_memory_is_linear_in_T():
    """Peak memory of forward + backward grows ~linearly with T (no T x T buffer)."""
    peaks = []
    for T in (4096, 16384):
        xs, _ = _mlstm_inputs(1, 4, T, 64, 64, torch.bfloat16, init=False)
        xs = [x.requires_grad_() for x in xs]
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        h, _ = mlstm(*xs, chunk_size=64)
        h.backward(torch.ones_like(h))
        torch.cuda.synchronize()
        peaks.append(torch.cuda.max_memory_allocated() - base)
    assert peaks[1] < 6 * peaks[0], peaks
