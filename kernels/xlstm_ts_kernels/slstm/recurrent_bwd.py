"""sLSTM fused recurrent backward kernel (kernel only; launch code lives in wrapper.py).

One program per (batch, head) walks the sequence backwards with the head's recurrent matrices
on chip. Per step it recomputes the gate pre-activations from the stored h_{t-1} (the forward
output) and the stored (c, n, m)_{t-1}, then back-propagates through the cell exactly as the
PyTorch reference's autograd does, stabilizer max() included (ties split in half, as
torch.maximum does). It writes the gate-input gradients dwx (= the pre-activation gradients);
dR = sum_{b,t} h_{t-1} (x) dwx_t and db = sum_{b,t} dwx_t are reductions over the batch and
time, done by the wrapper as one GEMM.
"""

import triton
import triton.language as tl


@triton.jit
def slstm_recurrent_bwd_kernel(
    wx_ptr,  # (B, T, 4, H, DH), strides s_wx_*
    r_ptr,  # (4, H, DH, DH) contiguous
    b_ptr,  # (4, H, DH) contiguous
    h0_ptr,  # (B*H, DH) fp32, read if USE_INITIAL_STATE
    h_ptr,  # (B, T, H, DH) forward output, strides s_h_*
    states_ptr,  # (B*H, T + 1, 3, DH) fp32 (c, n, m) from the forward pass
    dh_ptr,  # (B, T, H, DH) cotangent of h, strides s_dh_*, read if HAS_DH
    dhT_ptr,  # (B*H, DH) fp32 cotangents of the final state, read if HAS_FINAL_GRAD
    dcT_ptr,
    dnT_ptr,
    dmT_ptr,
    dwx_ptr,  # out (B, T, 4, H, DH) fp32 contiguous
    dh0_ptr,  # out (B*H, DH) fp32 gradients of the initial state
    dc0_ptr,
    dn0_ptr,
    dm0_ptr,
    s_wx_b, s_wx_t, s_wx_g, s_wx_h, s_wx_d,
    s_h_b, s_h_t, s_h_h, s_h_d,
    s_dh_b, s_dh_t, s_dh_h, s_dh_d,
    H, T, DH,
    BD: tl.constexpr,
    USE_INITIAL_STATE: tl.constexpr,
    HAS_DH: tl.constexpr,
    HAS_FINAL_GRAD: tl.constexpr,
):
    pid = tl.program_id(0).to(tl.int64)
    i_b = pid // H
    i_h = pid % H
    offs_d = tl.arange(0, BD).to(tl.int64)
    mask_d = offs_d < DH
    mask_dd = mask_d[:, None] & mask_d[None, :]

    # the head's four recurrent matrices and biases, on chip for the whole sequence
    r_offs = i_h * DH * DH + offs_d[:, None] * DH + offs_d[None, :]
    r_i = tl.load(r_ptr + 0 * H * DH * DH + r_offs, mask=mask_dd, other=0.0).to(tl.float32)
    r_f = tl.load(r_ptr + 1 * H * DH * DH + r_offs, mask=mask_dd, other=0.0).to(tl.float32)
    r_z = tl.load(r_ptr + 2 * H * DH * DH + r_offs, mask=mask_dd, other=0.0).to(tl.float32)
    r_o = tl.load(r_ptr + 3 * H * DH * DH + r_offs, mask=mask_dd, other=0.0).to(tl.float32)
    b_offs = i_h * DH + offs_d
    b_i = tl.load(b_ptr + 0 * H * DH + b_offs, mask=mask_d, other=0.0).to(tl.float32)
    b_f = tl.load(b_ptr + 1 * H * DH + b_offs, mask=mask_d, other=0.0).to(tl.float32)
    b_z = tl.load(b_ptr + 2 * H * DH + b_offs, mask=mask_d, other=0.0).to(tl.float32)
    b_o = tl.load(b_ptr + 3 * H * DH + b_offs, mask=mask_d, other=0.0).to(tl.float32)

    if USE_INITIAL_STATE:
        h_init = tl.load(h0_ptr + pid * DH + offs_d, mask=mask_d, other=0.0)
    else:
        h_init = tl.zeros([BD], dtype=tl.float32)
    if HAS_FINAL_GRAD:
        dh_rec = tl.load(dhT_ptr + pid * DH + offs_d, mask=mask_d, other=0.0)
        dc = tl.load(dcT_ptr + pid * DH + offs_d, mask=mask_d, other=0.0)
        dn = tl.load(dnT_ptr + pid * DH + offs_d, mask=mask_d, other=0.0)
        dm = tl.load(dmT_ptr + pid * DH + offs_d, mask=mask_d, other=0.0)
    else:
        dh_rec = tl.zeros([BD], dtype=tl.float32)
        dc = tl.zeros([BD], dtype=tl.float32)
        dn = tl.zeros([BD], dtype=tl.float32)
        dm = tl.zeros([BD], dtype=tl.float32)

    # pointers at the last step, walked backwards
    t_last = (T - 1) + 0 * pid  # int64, so that t * stride cannot overflow
    wx_ptrs = wx_ptr + i_b * s_wx_b + t_last * s_wx_t + i_h * s_wx_h + offs_d * s_wx_d
    hprev_ptrs = h_ptr + i_b * s_h_b + (t_last - 1) * s_h_t + i_h * s_h_h + offs_d * s_h_d
    dh_ptrs = dh_ptr + i_b * s_dh_b + t_last * s_dh_t + i_h * s_dh_h + offs_d * s_dh_d
    st_ptrs = states_ptr + (pid * (T + 1) + t_last) * 3 * DH + offs_d  # state before the step
    dwx_ptrs = dwx_ptr + ((i_b * T + t_last) * 4 * H + i_h) * DH + offs_d
    for tt in range(T):
        t = t_last - tt
        # --- recompute the forward step t
        # h_{t-1} is the previous output, or the initial h at t = 0 (then read row 0, unused)
        h_prev = tl.load(hprev_ptrs + tl.where(t > 0, 0, s_h_t), mask=mask_d, other=0.0).to(tl.float32)
        h_prev = tl.where(t > 0, h_prev, h_init)
        c_prev = tl.load(st_ptrs, mask=mask_d, other=0.0)
        n_prev = tl.load(st_ptrs + DH, mask=mask_d, other=1.0)
        m_prev = tl.load(st_ptrs + 2 * DH, mask=mask_d, other=0.0)
        hp = h_prev[:, None]  # gate g, unit e: sum_d h[d] R_g[d, e]
        g_i = tl.load(wx_ptrs, mask=mask_d, other=0.0).to(tl.float32) + tl.sum(hp * r_i, axis=0) + b_i
        g_f = tl.load(wx_ptrs + s_wx_g, mask=mask_d, other=0.0).to(tl.float32) + tl.sum(hp * r_f, axis=0) + b_f
        g_z = tl.load(wx_ptrs + 2 * s_wx_g, mask=mask_d, other=0.0).to(tl.float32) + tl.sum(hp * r_z, axis=0) + b_z
        g_o = tl.load(wx_ptrs + 3 * s_wx_g, mask=mask_d, other=0.0).to(tl.float32) + tl.sum(hp * r_o, axis=0) + b_o
        log_f = tl.minimum(g_f, 0.0) - tl.log(1.0 + tl.exp(-tl.abs(g_f)))
        a = log_f + m_prev
        m_new = tl.maximum(a, g_i)
        i_gate = tl.exp(g_i - m_new)
        f_gate = tl.exp(a - m_new)
        z = 1.0 - 2.0 / (tl.exp(2.0 * g_z) + 1.0)  # tanh
        o = 1.0 / (1.0 + tl.exp(-g_o))  # sigmoid
        c = f_gate * c_prev + i_gate * z
        n = f_gate * n_prev + i_gate

        # --- back-propagate through it
        dh = dh_rec
        if HAS_DH:
            dh += tl.load(dh_ptrs, mask=mask_d, other=0.0).to(tl.float32)
        dg_o = dh * (c / n) * o * (1.0 - o)
        dc += dh * o / n
        dn -= dh * o * c / (n * n)
        d_i_gate = dc * z + dn
        d_f_gate = dc * c_prev + dn * n_prev
        dg_z = dc * i_gate * (1.0 - z * z)
        dm_new = dm - d_i_gate * i_gate - d_f_gate * f_gate
        sel = tl.where(a > g_i, 1.0, tl.where(a < g_i, 0.0, 0.5))  # m_new = max(a, g_i)
        da = d_f_gate * f_gate + dm_new * sel
        dg_i = d_i_gate * i_gate + dm_new * (1.0 - sel)
        dg_f = da / (1.0 + tl.exp(g_f))  # d logsigmoid = sigmoid(-x)
        dc = dc * f_gate
        dn = dn * f_gate
        dm = da
        dg_i = tl.where(mask_d, dg_i, 0.0)
        dg_f = tl.where(mask_d, dg_f, 0.0)
        dg_z = tl.where(mask_d, dg_z, 0.0)
        dg_o = tl.where(mask_d, dg_o, 0.0)

        tl.store(dwx_ptrs, dg_i, mask=mask_d)
        tl.store(dwx_ptrs + H * DH, dg_f, mask=mask_d)
        tl.store(dwx_ptrs + 2 * H * DH, dg_z, mask=mask_d)
        tl.store(dwx_ptrs + 3 * H * DH, dg_o, mask=mask_d)
        # h_{t-1} feeds all four gates through R: dh_{t-1}[d] = sum_g sum_e R_g[d, e] dg_g[e]
        dh_rec = (
            tl.sum(r_i * dg_i[None, :], axis=1)
            + tl.sum(r_f * dg_f[None, :], axis=1)
            + tl.sum(r_z * dg_z[None, :], axis=1)
            + tl.sum(r_o * dg_o[None, :], axis=1)
        )

        wx_ptrs -= s_wx_t
        hprev_ptrs -= s_h_t
        dh_ptrs -= s_dh_t
        st_ptrs -= 3 * DH
        dwx_ptrs -= 4 * H * DH

    if USE_INITIAL_STATE:
        tl.store(dh0_ptr + pid * DH + offs_d, dh_rec, mask=mask_d)
        tl.store(dc0_ptr + pid * DH + offs_d, dc, mask=mask_d)
        tl.store(dn0_ptr + pid * DH + offs_d, dn, mask=mask_d)
        tl.store(dm0_ptr + pid * DH + offs_d, dm, mask=mask_d)
