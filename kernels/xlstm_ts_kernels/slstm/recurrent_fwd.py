"""sLSTM fused recurrent forward kernel (kernel only; launch code lives in wrapper.py).

One program per (batch, head) runs the whole time loop. The head's four (Dh x Dh) recurrent
matrices and its biases are loaded once and stay on chip; per step the program reads the four
gate inputs wx[b, t, :, h], forms the pre-activations with h_{t-1} @ R_g, updates (c, n, m) and
writes h_t. For the backward pass it also writes (c, n, m) after every step (SAVE_STATES).

Lanes beyond Dh (Dh not a power of two) are kept finite (n = 1 there) so that 0 * NaN never
reaches the matrix-vector products; they are never stored.
"""

import triton
import triton.language as tl


@triton.jit
def slstm_recurrent_fwd_kernel(
    wx_ptr,  # (B, T, 4, H, DH), strides s_wx_*
    r_ptr,  # (4, H, DH, DH) contiguous
    b_ptr,  # (4, H, DH) contiguous
    h0_ptr,  # (B*H, DH) fp32 initial state, read if USE_INITIAL_STATE
    c0_ptr,
    n0_ptr,
    m0_ptr,
    h_ptr,  # out (B, T, H, DH), strides s_h_*
    hT_ptr,  # out (B*H, DH) final state
    cT_ptr,
    nT_ptr,
    mT_ptr,
    states_ptr,  # out (B*H, T + 1, 3, DH) fp32: (c, n, m) before step 0 .. after step T-1
    s_wx_b, s_wx_t, s_wx_g, s_wx_h, s_wx_d,
    s_h_b, s_h_t, s_h_h, s_h_d,
    H, T, DH,
    BD: tl.constexpr,
    USE_INITIAL_STATE: tl.constexpr,
    SAVE_STATES: tl.constexpr,
):
    pid = tl.program_id(0).to(tl.int64)
    i_b = pid // H
    i_h = pid % H
    offs_d = tl.arange(0, BD).to(tl.int64)  # input index of R (rows)
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
        h = tl.load(h0_ptr + pid * DH + offs_d, mask=mask_d, other=0.0)
        c = tl.load(c0_ptr + pid * DH + offs_d, mask=mask_d, other=0.0)
        n = tl.load(n0_ptr + pid * DH + offs_d, mask=mask_d, other=1.0)
        m = tl.load(m0_ptr + pid * DH + offs_d, mask=mask_d, other=0.0)
    else:
        h = tl.zeros([BD], dtype=tl.float32)
        c = tl.zeros([BD], dtype=tl.float32)
        n = tl.zeros([BD], dtype=tl.float32)
        m = tl.full([BD], float("-inf"), dtype=tl.float32)

    wx_ptrs = wx_ptr + i_b * s_wx_b + i_h * s_wx_h + offs_d * s_wx_d
    h_ptrs = h_ptr + i_b * s_h_b + i_h * s_h_h + offs_d * s_h_d
    st_ptrs = states_ptr + pid * (T + 1) * 3 * DH + offs_d
    if SAVE_STATES:
        tl.store(st_ptrs, c, mask=mask_d)
        tl.store(st_ptrs + DH, n, mask=mask_d)
        tl.store(st_ptrs + 2 * DH, m, mask=mask_d)

    for _ in range(T):
        hp = h[:, None]  # gate g, unit e: sum_d h[d] R_g[d, e]
        g_i = tl.load(wx_ptrs, mask=mask_d, other=0.0).to(tl.float32) + tl.sum(hp * r_i, axis=0) + b_i
        g_f = tl.load(wx_ptrs + s_wx_g, mask=mask_d, other=0.0).to(tl.float32) + tl.sum(hp * r_f, axis=0) + b_f
        g_z = tl.load(wx_ptrs + 2 * s_wx_g, mask=mask_d, other=0.0).to(tl.float32) + tl.sum(hp * r_z, axis=0) + b_z
        g_o = tl.load(wx_ptrs + 3 * s_wx_g, mask=mask_d, other=0.0).to(tl.float32) + tl.sum(hp * r_o, axis=0) + b_o

        log_f = tl.minimum(g_f, 0.0) - tl.log(1.0 + tl.exp(-tl.abs(g_f)))
        m_new = tl.maximum(log_f + m, g_i)
        i_gate = tl.exp(g_i - m_new)
        f_gate = tl.exp(log_f + m - m_new)
        z = 1.0 - 2.0 / (tl.exp(2.0 * g_z) + 1.0)  # tanh
        c = f_gate * c + i_gate * z
        n = f_gate * n + i_gate
        o = 1.0 / (1.0 + tl.exp(-g_o))  # sigmoid
        h = tl.where(mask_d, o * c / n, 0.0)
        m = m_new

        tl.store(h_ptrs, h.to(h_ptr.dtype.element_ty), mask=mask_d)
        if SAVE_STATES:
            st_ptrs += 3 * DH
            tl.store(st_ptrs, c, mask=mask_d)
            tl.store(st_ptrs + DH, n, mask=mask_d)
            tl.store(st_ptrs + 2 * DH, m, mask=mask_d)
        wx_ptrs += s_wx_t
        h_ptrs += s_h_t

    tl.store(hT_ptr + pid * DH + offs_d, h.to(hT_ptr.dtype.element_ty), mask=mask_d)
    tl.store(cT_ptr + pid * DH + offs_d, c.to(cT_ptr.dtype.element_ty), mask=mask_d)
    tl.store(nT_ptr + pid * DH + offs_d, n.to(nT_ptr.dtype.element_ty), mask=mask_d)
    tl.store(mT_ptr + pid * DH + offs_d, m.to(mT_ptr.dtype.element_ty), mask=mask_d)
