"""sLSTM over a sequence as one autograd Function with a hand-written backward (the CPU fast path).

The same math as :func:`xlstm_ts.ops.reference.slstm_recurrent.slstm_recurrent_torch` (the plain
reference, the oracle of the tests), step by step, but without autograd inside the loop:

    gates_t = wx_t + b + h_{t-1} R                       (R: the block-diagonal recurrent weight)
    A_t = log sigmoid(f_t) + m_{t-1},  m_t = max(A_t, i_t)
    ig_t = exp(i_t - m_t),  fg_t = exp(A_t - m_t),  z_t = tanh(z_t),  o_t = sigmoid(o_t)
    c_t = fg_t c_{t-1} + ig_t z_t,  n_t = fg_t n_{t-1} + ig_t,  h_t = o_t c_t / n_t

Through a Python loop of small ops, autograd records ~20 nodes per step and its backward visits
each: at the sizes of a patch forecaster (a few hundred sequences of ~40 steps, D = 16..128) that
bookkeeping costs more than the arithmetic. Here the forward writes every step into preallocated
time-major buffers (out= and in-place ops, no graph) and the backward runs the adjoint recurrence
by hand, with everything that does not depend on the carried gradients (the activation
derivatives, the routing of the stabilizer's max) computed for all steps at once before its loop.

Gradient conventions are those of autograd over the reference, so the two agree to rounding:
``torch.maximum`` splits the gradient evenly on a tie, and the stabilizer m gets its (analytically
cancelling) gradients term by term, as autograd computes them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from xlstm_ts.ops.reference.slstm_recurrent import dense_recurrent_weight, slstm_empty_sequence, slstm_zero_state
from xlstm_ts.ops.state import SLSTMState


class SLSTMRecurrent(torch.autograd.Function):
    """sLSTM forward loop and its adjoint loop.

    Inputs: wx (B, T, 4, H, Dh), r (4, H, Dh, Dh), b (4, H, Dh), h0, c0, n0, m0 (B, H, Dh), T >= 1.
    Outputs: h (B, T, H, Dh) and the final h, c, n, m (B, H, Dh).
    """

    @staticmethod
    def forward(ctx, wx, r, b, h0, c0, n0, m0):  # type: ignore[override]
        B, T, G, H, Dh = wx.shape
        HD = H * Dh
        kw = {"dtype": wx.dtype, "device": wx.device}
        recurrent = dense_recurrent_weight(r)  # (HD, 4 HD)
        # time- and gate-major buffers: every gate and state of a step is a contiguous (B, HD) slab
        # (elementwise exp/tanh on strided views is ~3x slower on CPU)
        pre = torch.empty(T, G, B, HD, **kw)  # gate pre-activations, kept for the backward
        pre.view(T, G, B, H, Dh).copy_(wx.permute(1, 2, 0, 3, 4)).add_(b[:, None])
        acts = torch.empty(T, 4, B, HD, **kw)  # ig, fg, tanh(z), sigmoid(o)
        hs = torch.empty(T + 1, B, HD, **kw)  # h_{-1} = h0, h_0, ..., h_{T-1}
        cs = torch.empty(T + 1, B, HD, **kw)
        ns = torch.empty(T + 1, B, HD, **kw)
        ms = torch.empty(T + 1, B, HD, **kw)
        for buffer, x in ((hs, h0), (cs, c0), (ns, n0), (ms, m0)):
            buffer[0].copy_(x.reshape(B, HD))
        hR = torch.empty(B, G * HD, **kw)
        for t in range(T):
            gates = pre[t]
            torch.mm(hs[t], recurrent, out=hR)
            gates.add_(hR.view(B, G, HD).transpose(0, 1))
            i_pre, f_pre, z_pre, o_pre = gates.unbind(0)
            ig, fg, z, o = acts[t].unbind(0)
            m_new, c_new, n_new, h_new = ms[t + 1], cs[t + 1], ns[t + 1], hs[t + 1]
            A = F.logsigmoid(f_pre).add_(ms[t])
            torch.maximum(A, i_pre, out=m_new)
            torch.sub(i_pre, m_new, out=ig).exp_()
            torch.sub(A, m_new, out=fg).exp_()
            torch.tanh(z_pre, out=z)
            torch.sigmoid(o_pre, out=o)
            torch.mul(fg, cs[t], out=c_new).addcmul_(ig, z)
            torch.addcmul(ig, fg, ns[t], out=n_new)
            torch.mul(o, c_new, out=h_new).div_(n_new)
        ctx.save_for_backward(r, recurrent, pre, acts, hs, cs, ns, ms)
        h = hs[1:].view(T, B, H, Dh).transpose(0, 1)  # (B, T, H, Dh), a view of the buffer
        final = (x[T].clone().view(B, H, Dh) for x in (hs, cs, ns, ms))
        return (h, *final)

    @staticmethod
    def backward(ctx, dh_seq, dh_final, dc_final, dn_final, dm_final):  # type: ignore[override]
        r, recurrent, pre, acts, hs, cs, ns, ms = ctx.saved_tensors
        T, G, B, HD = pre.shape
        H, Dh = r.shape[1], r.shape[2]
        kw = {"dtype": pre.dtype, "device": pre.device}

        def carried(grad: torch.Tensor | None) -> torch.Tensor:  # (B, H, Dh) -> a new (B, HD)
            return torch.zeros(B, HD, **kw) if grad is None else grad.reshape(B, HD).clone()

        dh_out = torch.zeros(T, B, HD, **kw) if dh_seq is None else dh_seq.transpose(0, 1).reshape(T, B, HD)
        dh_rec, dc, dn, dm = carried(dh_final), carried(dc_final), carried(dn_final), carried(dm_final)

        # everything outside the carried gradients, for all steps at once
        i_pre, f_pre = pre[:, 0], pre[:, 1]
        A = F.logsigmoid(f_pre).add_(ms[:-1])
        w_A = (A > i_pre).to(pre.dtype).add_((A == i_pre).to(pre.dtype), alpha=0.5)  # maximum's tie rule
        w_i = 1.0 - w_A
        dsig_f = torch.sigmoid(-f_pre)  # d log sigmoid(f) / df
        z_all, o_all = acts[:, 2], acts[:, 3]
        dtanh = 1.0 - z_all * z_all
        dsig_o = o_all * (1.0 - o_all)

        dG = torch.empty(T, B, G, HD, **kw)  # gate gradients, batch-first per step: dwx is a view
        u = torch.empty(B, HD, **kw)
        d_ig = torch.empty(B, HD, **kw)
        d_fg = torch.empty(B, HD, **kw)
        dh = torch.empty(B, HD, **kw)
        recurrent_t = recurrent.t()
        for t in range(T - 1, -1, -1):
            ig, fg, z, o = acts[t].unbind(0)
            c_new, n_new, h_new, c_prev, n_prev = cs[t + 1], ns[t + 1], hs[t + 1], cs[t], ns[t]
            di, df, dz, do = dG[t].unbind(1)  # (B, HD) views, rows G * HD apart
            torch.add(dh_out[t], dh_rec, out=dh)
            torch.div(dh, n_new, out=u)  # gradient of o * c
            torch.mul(u, c_new, out=do).mul_(dsig_o[t])
            dc.addcmul_(u, o)
            dn.addcmul_(u, h_new, value=-1.0)
            torch.mul(dc, ig, out=dz).mul_(dtanh[t])
            torch.addcmul(dn, dc, z, out=d_ig).mul_(ig)  # through exp(i - m)
            torch.mul(dc, c_prev, out=d_fg).addcmul_(dn, n_prev).mul_(fg)  # through exp(A - m)
            dc.mul_(fg)
            dn.mul_(fg)
            dm.sub_(d_ig).sub_(d_fg)  # the total gradient of m_t
            torch.addcmul(d_ig, dm, w_i[t], out=di)
            dm = torch.addcmul(d_fg, dm, w_A[t])  # dA: to log sigmoid(f) and to m_{t-1}
            torch.mul(dm, dsig_f[t], out=df)
            dh_rec = torch.mm(dG[t].view(B, G * HD), recurrent_t)

        dwx = dG.view(T, B, G, H, Dh).transpose(0, 1) if ctx.needs_input_grad[0] else None
        dr = db = None
        if ctx.needs_input_grad[1]:
            # dr[g, h] = sum over steps and batch of h_{t-1}[h]^T dgates_t[g, h]: strided views, no copies
            h_prev = hs[:-1].view(T * B, H, Dh)
            d_flat = dG.view(T * B, G, H, Dh)
            dr = torch.empty_like(r)
            for g in range(G):
                for head in range(H):
                    torch.mm(h_prev[:, head].t(), d_flat[:, g, head], out=dr[g, head])
        if ctx.needs_input_grad[2]:
            db = dG.sum((0, 1)).view(G, H, Dh)
        shape = (B, H, Dh)
        return dwx, dr, db, dh_rec.view(shape), dc.view(shape), dn.view(shape), dm.view(shape)


def slstm_fused_torch(
    wx: torch.Tensor,
    r: torch.Tensor,
    b: torch.Tensor,
    initial_state: SLSTMState | None = None,
) -> tuple[torch.Tensor, SLSTMState]:
    """sLSTM over a sequence through :class:`SLSTMRecurrent`. Returns h (B, T, H, Dh) and the final state.

    Same arguments and results as :func:`~xlstm_ts.ops.reference.slstm_recurrent.slstm_recurrent_torch`.
    Only first-order reverse-mode gradients (no double backward, no forward-mode AD).
    """
    if wx.shape[1] == 0:
        return slstm_empty_sequence(wx, r, b, initial_state)
    state = initial_state if initial_state is not None else slstm_zero_state(wx)
    device = wx.device.type
    if torch.is_autocast_enabled(device):
        # under autocast (e.g. precision="bf16-mixed") the projections arrive in bf16 while R and b
        # stay fp32; the recurrence and its stabilizer run in fp32, as the mixed-precision recipe
        # keeps reductions and exponentials in fp32, and the result goes back to the autocast ops
        with torch.autocast(device, enabled=False):
            h, *final = SLSTMRecurrent.apply(wx.float(), r.float(), b.float(), *(x.float() for x in state))
        return h, SLSTMState(*final)
    h, *final = SLSTMRecurrent.apply(wx, r, b, *state)
    return h, SLSTMState(*final)
