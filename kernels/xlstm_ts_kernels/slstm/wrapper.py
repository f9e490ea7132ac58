"""Launch code for the sLSTM kernels: strides, grids and the autograd.Function.

Public entry points (called by :mod:`xlstm_ts.ops.dispatch`): :func:`slstm` over a sequence and
:func:`slstm_step` for one step (the same fused kernel on a length-1 sequence, differentiable).
"""

from __future__ import annotations

import torch

from xlstm_ts.ops.reference.slstm_recurrent import slstm_empty_sequence
from xlstm_ts.ops.state import SLSTMState

from .._utils import check_launchable, next_pow2
from .recurrent_bwd import slstm_recurrent_bwd_kernel
from .recurrent_fwd import slstm_recurrent_fwd_kernel

MAX_HEAD_DIM = 128  # four (Dh x Dh) matrices live in registers; beyond this they would spill


def _num_warps(BD: int) -> int:
    # spill-free on sm_80/sm_90 up to Dh = 64 (ptxas -v); Dh = 128 spills a little even at 16
    return 4 if BD <= 32 else 8 if BD == 64 else 16


def _fwd(wx, r, b, init, save_states: bool):
    B, T, _, H, DH = wx.shape
    BH = B * H
    BD = next_pow2(DH)
    dev, dtype = wx.device, wx.dtype
    use_init = init is not None
    h = torch.empty(B, T, H, DH, device=dev, dtype=dtype)
    final = [torch.empty(B, H, DH, device=dev, dtype=dtype) for _ in range(4)]
    states = torch.empty(BH, T + 1, 3, DH, device=dev, dtype=torch.float32) if save_states else h.new_empty(1)
    h0, c0, n0, m0 = init if use_init else (states,) * 4
    slstm_recurrent_fwd_kernel[(BH,)](
        wx, r, b,
        h0, c0, n0, m0,
        h, *final, states,
        *wx.stride(), *h.stride(),
        H, T, DH,
        BD=BD, USE_INITIAL_STATE=use_init, SAVE_STATES=save_states,
        num_warps=_num_warps(BD),
    )
    return h, final, states


class SLSTMFunction(torch.autograd.Function):
    """Fused sLSTM (Triton time loop) with a fused backward time loop; gradients reach wx, r, b
    and the initial state, and flow back from the final state."""

    @staticmethod
    def forward(ctx, wx, r, b, h0, c0, n0, m0):
        B, T, _, H, DH = wx.shape
        r_c = r.contiguous()
        b_c = b.contiguous()
        use_init = h0 is not None
        init = None
        if use_init:
            init = tuple(x.reshape(B * H, DH).to(torch.float32).contiguous() for x in (h0, c0, n0, m0))
        save = any(ctx.needs_input_grad)
        h, final, states = _fwd(wx, r_c, b_c, init, save)
        if save:
            ctx.save_for_backward(wx, r_c, b_c, h, states, init[0] if use_init else None)
        ctx.use_init = use_init
        ctx.dtypes = (wx.dtype, r.dtype, b.dtype) + (tuple(x.dtype for x in (h0, c0, n0, m0)) if use_init else ())
        ctx.set_materialize_grads(False)
        return (h, *final)

    @staticmethod
    def backward(ctx, dh, dhT, dcT, dnT, dmT):
        wx, r, b, h, states, h0 = ctx.saved_tensors
        B, T, _, H, DH = wx.shape
        BH = B * H
        BD = next_pow2(DH)
        dev = wx.device
        use_init = ctx.use_init
        has_dh = dh is not None
        finals = (dhT, dcT, dnT, dmT)
        has_final = any(x is not None for x in finals)
        if has_final:
            finals = tuple(
                torch.zeros(BH, DH, device=dev, dtype=torch.float32)
                if x is None else x.reshape(BH, DH).to(torch.float32).contiguous()
                for x in finals
            )
        dwx = torch.empty(B, T, 4, H, DH, device=dev, dtype=torch.float32)
        d_init = [torch.empty(BH, DH, device=dev, dtype=torch.float32) for _ in range(4)] if use_init else [dwx] * 4
        dh_arg = dh if has_dh else h
        slstm_recurrent_bwd_kernel[(BH,)](
            wx, r, b, h0 if use_init else dwx, h, states, dh_arg,
            *(finals if has_final else (dwx,) * 4),
            dwx, *d_init,
            *wx.stride(), *h.stride(), *dh_arg.stride(),
            H, T, DH,
            BD=BD, USE_INITIAL_STATE=use_init, HAS_DH=has_dh, HAS_FINAL_GRAD=has_final,
            num_warps=_num_warps(BD),
        )
        # dR[g, h] = sum_{b, t} h_{t-1}[b, h]^T dwx[b, t, g, h]: one batched GEMM over (b, t)
        h_init = h0.view(B, 1, H, DH) if use_init else h.new_zeros(B, 1, H, DH, dtype=torch.float32)
        h_prev = torch.cat([h_init, h[:, :-1].to(torch.float32)], dim=1)
        dr = torch.einsum("bthd,btghe->ghde", h_prev, dwx)
        db = dwx.sum(dim=(0, 1))
        wx_dtype, r_dtype, b_dtype = ctx.dtypes[:3]
        grads_init = (None,) * 4
        if use_init:
            grads_init = tuple(g.view(B, H, DH).to(dt) for g, dt in zip(d_init, ctx.dtypes[3:]))
        return dwx.to(wx_dtype), dr.to(r_dtype), db.to(b_dtype), *grads_init


def slstm(
    wx: torch.Tensor,
    r: torch.Tensor,
    b: torch.Tensor,
    *,
    initial_state: SLSTMState | tuple[torch.Tensor, ...] | None = None,
) -> tuple[torch.Tensor, SLSTMState]:
    """sLSTM over a sequence (semantics of ``slstm_recurrent_torch``).

    wx: (B, T, 4, H, Dh) gate inputs (i, f, z, o); r: (4, H, Dh, Dh); b: (4, H, Dh);
    initial_state: (h, c, n, m), each (B, H, Dh). Returns h (B, T, H, Dh) and the final state.
    """
    T, DH = wx.shape[1], wx.shape[-1]
    if DH > MAX_HEAD_DIM:
        raise ValueError(
            f"the fused sLSTM kernel keeps four Dh x Dh weight matrices on chip and supports Dh <= "
            f"{MAX_HEAD_DIM}, got Dh = {DH}; use backend='torch' for larger heads"
        )
    h0 = c0 = n0 = m0 = None
    if initial_state is not None:
        h0, c0, n0, m0 = initial_state
    check_launchable(slstm_recurrent_fwd_kernel, wx, r, b, h0, c0, n0, m0)
    if T == 0:  # nothing to launch; the same result (and autograd graph) as the torch form
        return slstm_empty_sequence(wx, r, b, initial_state)
    h, hT, cT, nT, mT = SLSTMFunction.apply(wx, r, b, h0, c0, n0, m0)
    return h, SLSTMState(hT, cT, nT, mT)


def slstm_step(
    wx_t: torch.Tensor,
    r: torch.Tensor,
    b: torch.Tensor,
    state: SLSTMState | tuple[torch.Tensor, ...] | None = None,
) -> tuple[torch.Tensor, SLSTMState]:
    """One sLSTM step: wx_t (B, 4, H, Dh). Returns h (B, H, Dh) and the new state.

    Runs the fused kernel on a length-1 sequence, so it is differentiable too.
    """
    h, new_state = slstm(wx_t[:, None], r, b, initial_state=state)
    return h[:, 0], new_state
