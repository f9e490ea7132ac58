"""Launch code for the mLSTM kernels: tiling choices, strides, grids and the autograd.Function.

Public entry points (called by :mod:`xlstm_ts.ops.dispatch`):

* :func:`mlstm` -- the cell over a sequence; every ``form`` runs the chunkwise kernels.
* :func:`mlstm_step` -- one step (streaming inference) with the step kernel; when a gradient is
  needed it runs the differentiable chunkwise path on a length-1 sequence instead.
* :func:`mlstm_chunkwise` -- same as :func:`mlstm` with tile sizes exposed (tests, tuning).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import triton

from xlstm_ts.ops.reference.mlstm_recurrent import mlstm_empty_sequence
from xlstm_ts.ops.state import MLSTMState

from .._utils import check_launchable, dot_precision, next_pow2
from .chunkwise_bwd import (
    mlstm_chunkwise__bwd_dgates_kernel,
    mlstm_chunkwise__bwd_dnorm_kernel,
    mlstm_chunkwise__parallel_bwd_dqkv_kernel,
    mlstm_chunkwise__recurrent_bwd_dC_kernel,
)
from .chunkwise_fwd import mlstm_chunkwise__parallel_fwd_H_kernel, mlstm_chunkwise__recurrent_fwd_C_kernel
from .step import mlstm_step_fwd_kernel

FORMS = ("auto", "parallel", "chunkwise", "recurrent")
MIN_CHUNK = 16  # tl.dot needs every block dimension >= 16
MAX_CHUNK = 64  # (L x L) score tiles; the backward kernel's shared memory grows as L^2


def kernel_chunk_size(chunk_size: int, T: int) -> int:
    """The chunk length L the kernels use: a power of two in [16, 64], no longer than needed.

    The mLSTM output does not depend on the chunk length (only rounding does), so the requested
    `chunk_size` is a hint: it is rounded up to a power of two, and capped by T's power of two.
    """
    L = next_pow2(min(max(int(chunk_size), 1), max(T, 1)))
    return max(MIN_CHUNK, min(MAX_CHUNK, L))


@dataclass(frozen=True)
class Tiling:
    """Chunk length and per-kernel (Dqk, Dv) tiles and warps.

    Picked so that the kernels (almost) do not spill on sm_80/sm_90 (ptxas -v, see README.md): the
    sequential state kernels use 32 x 32 tiles (more programs for the only serial part), the
    chunk-parallel forward kernel up to 64 x 64, the dq/dk/dv kernel (five live L x L tiles) 32.
    """

    L: int
    bk_state: int
    bv_state: int
    bk_fwd: int
    bv_fwd: int
    bk_bwd: int
    bv_bwd: int
    warps_fwd: int
    warps_bwd: int

    @classmethod
    def pick(cls, L: int, DK: int, DV: int, block_k: int | None = None, block_v: int | None = None) -> Tiling:
        for block in (block_k, block_v):
            if block is not None and (block < 16 or block & (block - 1)):
                raise ValueError(f"head-dim tiles must be powers of two >= 16, got {block}")

        def tile(dim: int, cap: int, forced: int | None) -> int:
            return forced if forced is not None else max(16, min(cap, next_pow2(dim)))

        return cls(
            L=L,
            bk_state=tile(DK, 32, block_k),
            bv_state=tile(DV, 32, block_v),
            bk_fwd=tile(DK, 64, block_k),
            bv_fwd=tile(DV, 64, block_v),
            bk_bwd=tile(DK, 32, block_k),
            bv_bwd=tile(DV, 32, block_v),
            warps_fwd=8 if L >= 64 else 4,
            warps_bwd=8 if L >= 32 else 4,
        )


def _strides4(x: torch.Tensor) -> tuple[int, int, int, int]:
    return tuple(x.stride())  # type: ignore[return-value]


def _fwd(q, k, v, i, f, C0, n0, m0, tiles: Tiling, eps: float):
    """Forward launches. Returns h, final (C, n, m) in fp32, and the tensors backward needs."""
    L = tiles.L
    B, H, T, DK = q.shape
    DV = v.shape[-1]
    BH = B * H
    NC = triton.cdiv(T, L)
    dev = q.device
    scale = 1.0 / math.sqrt(DK)
    prec = dot_precision(q.dtype)
    use_init = C0 is not None

    states_c = torch.empty(BH, NC + 1, DK, DV, device=dev, dtype=torch.float32)
    states_n = torch.empty(BH, NC + 1, DK, device=dev, dtype=torch.float32)
    states_m = torch.empty(BH, NC + 1, device=dev, dtype=torch.float32)
    argmax = torch.empty(BH, device=dev, dtype=torch.int64)
    h = torch.empty(B, H, T, DV, device=dev, dtype=q.dtype)
    m_t = torch.empty(BH, T, device=dev, dtype=torch.float32)
    qn = torch.empty(BH, T, device=dev, dtype=torch.float32)

    BK, BV = tiles.bk_state, tiles.bv_state
    grid = (BH, triton.cdiv(DK, BK), triton.cdiv(DV, BV))
    mlstm_chunkwise__recurrent_fwd_C_kernel[grid](
        k, v, i, f,
        C0 if use_init else states_c, n0 if use_init else states_n, m0 if use_init else states_m,
        states_c, states_n, states_m, argmax,
        *_strides4(k), *_strides4(v),
        H, T, DK, DV, NC,
        scale,
        L=L, BK=BK, BV=BV, USE_INITIAL_STATE=use_init, DOT_PRECISION=prec,
        num_warps=4,
    )
    BK, BV = tiles.bk_fwd, tiles.bv_fwd
    grid = (NC * BH, triton.cdiv(DV, BV))  # large counts on axis 0 (axes 1, 2 are capped at 65535)
    mlstm_chunkwise__parallel_fwd_H_kernel[grid](
        q, k, v, i, f,
        states_c, states_n, states_m,
        h, m_t, qn,
        *_strides4(q), *_strides4(k), *_strides4(v), *_strides4(h),
        H, T, DK, DV, NC,
        scale, eps,
        L=L, BK=BK, BV=BV, DOT_PRECISION=prec,
        num_warps=tiles.warps_fwd,
    )
    final = (states_c[:, NC].view(B, H, DK, DV), states_n[:, NC].view(B, H, DK), states_m[:, NC].view(B, H))
    return h, final, (states_c, states_n, states_m, argmax, m_t, qn)


def _bwd(q, k, v, i, f, h, dh, saved, dC_T, dn_T, dm_T, use_init: bool, tiles: Tiling, eps: float):
    """Backward launches. Returns dq, dk, dv, di, df (fp32 gates) and dC0, dn0, dm0 (fp32)."""
    L = tiles.L
    states_c, states_n, states_m, argmax, m_t, qn = saved
    B, H, T, DK = q.shape
    DV = v.shape[-1]
    BH = B * H
    NC = triton.cdiv(T, L)
    dev = q.device
    scale = 1.0 / math.sqrt(DK)
    prec = dot_precision(q.dtype)
    has_final = dC_T is not None

    dqn = torch.empty(BH, T, device=dev, dtype=torch.float32)
    mlstm_chunkwise__bwd_dnorm_kernel[(NC * BH,)](
        h, dh, m_t, qn, dqn,
        *_strides4(h), *_strides4(dh),
        H, T, DV, NC,
        eps,
        L=L, BV=tiles.bv_fwd,
        num_warps=4,
    )
    dstates_c = torch.empty_like(states_c)
    dstates_n = torch.empty_like(states_n)
    BK, BV = tiles.bk_state, tiles.bv_state
    grid = (BH, triton.cdiv(DK, BK), triton.cdiv(DV, BV))
    mlstm_chunkwise__recurrent_bwd_dC_kernel[grid](
        q, dh, i, f, states_m, m_t, qn, dqn,
        dC_T if has_final else dstates_c, dn_T if has_final else dstates_n,
        dstates_c, dstates_n,
        *_strides4(q), *_strides4(dh),
        H, T, DK, DV, NC,
        eps,
        L=L, BK=BK, BV=BV, HAS_FINAL_GRAD=has_final, DOT_PRECISION=prec,
        num_warps=4,
    )
    dq = torch.empty(B, H, T, DK, device=dev, dtype=q.dtype)
    dk = torch.empty(B, H, T, DK, device=dev, dtype=k.dtype)
    dv = torch.empty(B, H, T, DV, device=dev, dtype=v.dtype)
    di = torch.empty(BH, T, device=dev, dtype=torch.float32)
    u = torch.empty(BH, T, device=dev, dtype=torch.float32)
    mlstm_chunkwise__parallel_bwd_dqkv_kernel[(NC * BH,)](
        q, k, v, i, f, dh,
        states_c, states_n, states_m, dstates_c, dstates_n,
        m_t, qn, dqn,
        dq, dk, dv, di, u,
        *_strides4(q), *_strides4(k), *_strides4(v), *_strides4(dh),
        H, T, DK, DV, NC,
        scale, eps,
        L=L, BK=tiles.bk_bwd, BV=tiles.bv_bwd, DOT_PRECISION=prec,
        num_warps=tiles.warps_bwd,
    )
    df = torch.empty(BH, T, device=dev, dtype=torch.float32)
    dm0 = torch.empty(BH, device=dev, dtype=torch.float32)
    mlstm_chunkwise__bwd_dgates_kernel[(BH,)](
        f, u, di, df, argmax,
        states_c, states_n, dstates_c, dstates_n,
        dm_T if has_final else dm0, dm0,
        T, DK, DV, NC,
        L=L, BK=tiles.bk_state, BV=tiles.bv_state, USE_INITIAL_STATE=use_init, HAS_FINAL_GRAD=has_final,
        num_warps=4,
    )
    dC0 = dstates_c[:, 0].view(B, H, DK, DV)
    dn0 = dstates_n[:, 0].view(B, H, DK)
    return dq, dk, dv, di.view(B, H, T), df.view(B, H, T), dC0, dn0, dm0.view(B, H)


class MLSTMChunkwiseFunction(torch.autograd.Function):
    """Chunkwise mLSTM with Triton forward and backward; gradients reach the initial state and
    flow back from the final state (including its stabilizer m, see README.md)."""

    @staticmethod
    def forward(ctx, q, k, v, i, f, C0, n0, m0, tiles: Tiling, eps: float):
        B, H, T, DK = q.shape
        DV = v.shape[-1]
        use_init = C0 is not None
        i_c = i.reshape(B * H, T).contiguous()
        f_c = f.reshape(B * H, T).contiguous()
        if use_init:
            C0_c = C0.reshape(B * H, DK, DV).to(torch.float32).contiguous()
            n0_c = n0.reshape(B * H, DK).to(torch.float32).contiguous()
            m0_c = m0.reshape(B * H).to(torch.float32).contiguous()
        else:
            C0_c = n0_c = m0_c = None
        h, (C_T, n_T, m_T), saved = _fwd(q, k, v, i_c, f_c, C0_c, n0_c, m0_c, tiles, eps)
        ctx.save_for_backward(q, k, v, i_c, f_c, h, *saved)
        ctx.cfg = (tiles, eps, use_init)
        ctx.dtypes = (i.dtype, f.dtype) + ((C0.dtype, n0.dtype, m0.dtype) if use_init else ())
        ctx.set_materialize_grads(False)
        out_dtype = q.dtype
        return h, C_T.to(out_dtype, copy=True), n_T.to(out_dtype, copy=True), m_T.to(out_dtype, copy=True)

    @staticmethod
    def backward(ctx, dh, dC_T, dn_T, dm_T):
        q, k, v, i_c, f_c, h, *saved = ctx.saved_tensors
        tiles, eps, use_init = ctx.cfg
        B, H, T, DK = q.shape
        DV = v.shape[-1]
        if dh is None:
            dh = torch.zeros((), device=q.device, dtype=h.dtype).expand(B, H, T, DV)
        has_final = dC_T is not None or dn_T is not None or dm_T is not None
        if has_final:
            def _prep(x, shape):
                if x is None:
                    return torch.zeros(shape, device=q.device, dtype=torch.float32)
                return x.reshape(shape).to(torch.float32).contiguous()

            dC_T = _prep(dC_T, (B * H, DK, DV))
            dn_T = _prep(dn_T, (B * H, DK))
            dm_T = _prep(dm_T, (B * H,))
        else:
            dC_T = dn_T = dm_T = None
        dq, dk, dv, di, df, dC0, dn0, dm0 = _bwd(
            q, k, v, i_c, f_c, h, dh, saved, dC_T, dn_T, dm_T, use_init, tiles, eps
        )
        i_dtype, f_dtype = ctx.dtypes[:2]
        grads_init = (None, None, None)
        if use_init:
            C_dtype, n_dtype, m_dtype = ctx.dtypes[2:]
            grads_init = (dC0.to(C_dtype), dn0.to(n_dtype), dm0.to(m_dtype))
        return (dq, dk, dv, di.to(i_dtype), df.to(f_dtype), *grads_init, None, None)


def mlstm_chunkwise(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    f: torch.Tensor,
    initial_state: MLSTMState | tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
    chunk_size: int = 64,
    eps: float = 1e-6,
    *,
    block_k: int | None = None,
    block_v: int | None = None,
) -> tuple[torch.Tensor, MLSTMState]:
    """Chunkwise-parallel mLSTM (Triton). Shapes as :func:`xlstm_ts.ops.mlstm`; returns h, final state.

    block_k / block_v override the head-dim tiles (powers of two >= 16).
    """
    T, DK = q.shape[2], q.shape[3]
    DV = v.shape[-1]
    C0 = n0 = m0 = None
    if initial_state is not None:
        C0, n0, m0 = initial_state
    check_launchable(mlstm_chunkwise__parallel_fwd_H_kernel, q, k, v, i, f, C0, n0, m0)
    if T == 0:  # nothing to launch; the same result (and autograd graph) as the torch forms
        return mlstm_empty_sequence(q, k, v, i, f, initial_state)
    tiles = Tiling.pick(kernel_chunk_size(chunk_size, T), DK, DV, block_k, block_v)
    h, C, n, m = MLSTMChunkwiseFunction.apply(q, k, v, i, f, C0, n0, m0, tiles, float(eps))
    return h, MLSTMState(C, n, m)


def mlstm(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    f: torch.Tensor,
    *,
    initial_state: MLSTMState | tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
    form: str = "chunkwise",
    chunk_size: int = 64,
    eps: float = 1e-6,
) -> tuple[torch.Tensor, MLSTMState]:
    """The mLSTM cell over a sequence, semantics of ``mlstm_chunkwise_torch``.

    Every `form` ("auto", "parallel", "chunkwise", "recurrent") runs the chunkwise kernels: the
    forms are the same function and differ only in cost; with chunks of length T the chunkwise
    form *is* the parallel one, and it beats a step loop at every T.
    """
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}; choose one of {FORMS}")
    return mlstm_chunkwise(q, k, v, i, f, initial_state, chunk_size=chunk_size, eps=eps)


def mlstm_step(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    f: torch.Tensor,
    state: MLSTMState | tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
    eps: float = 1e-6,
) -> tuple[torch.Tensor, MLSTMState]:
    """One mLSTM step: q, k (B, H, Dqk), v (B, H, Dv), i, f (B, H). Returns h (B, H, Dv), new state.

    The step kernel is forward-only; if autograd needs a gradient the step runs through the
    differentiable chunkwise kernels as a length-1 sequence (same result).
    """
    B, H, DK = q.shape
    DV = v.shape[-1]
    C0 = n0 = m0 = None
    if state is not None:
        C0, n0, m0 = state
    tensors = [x for x in (q, k, v, i, f, C0, n0, m0) if x is not None]
    check_launchable(mlstm_step_fwd_kernel, *tensors)
    if torch.is_grad_enabled() and any(x.requires_grad for x in tensors):
        h, new_state = mlstm_chunkwise(
            q[:, :, None], k[:, :, None], v[:, :, None], i[:, :, None], f[:, :, None], state, eps=eps
        )
        return h[:, :, 0], new_state

    use_state = state is not None
    dev, dtype = q.device, q.dtype
    h = torch.empty(B, H, DV, device=dev, dtype=dtype)
    C = torch.empty(B, H, DK, DV, device=dev, dtype=dtype)
    n = torch.empty(B, H, DK, device=dev, dtype=dtype)
    m = torch.empty(B, H, device=dev, dtype=dtype)
    if use_state:
        C0 = C0.contiguous()
        n0 = n0.contiguous()
        m0 = m0.contiguous()
    BK = max(16, min(64, next_pow2(DK)))
    BV = max(16, min(64, next_pow2(DV)))
    mlstm_step_fwd_kernel[(B * H, triton.cdiv(DV, BV))](
        q, k, v, i.contiguous(), f.contiguous(),
        C0 if use_state else C, n0 if use_state else n, m0 if use_state else m,
        h, C, n, m,
        *q.stride(), *k.stride(), *v.stride(),
        H, DK, DV,
        1.0 / math.sqrt(DK), float(eps),
        BK=BK, BV=BV, USE_STATE=use_state,
        num_warps=4,
    )
    return h, MLSTMState(C, n, m)
