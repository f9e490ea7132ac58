"""mLSTM single-step kernel for streaming inference (forward only; kernels only).

One program per (batch*head, Dv tile) updates its (Dqk x BV) slice of the matrix memory in a loop
over Dqk tiles, and produces h for its Dv tile. q . n needs all of Dqk, so every program also
updates the (cheap) normalizer n; only the first Dv tile writes it back.
"""

import triton
import triton.language as tl


@triton.jit
def mlstm_step_fwd_kernel(
    q_ptr,  # (B, H, DK), strides s_q_*
    k_ptr,  # (B, H, DK)
    v_ptr,  # (B, H, DV)
    i_ptr,  # (B*H,) contiguous
    f_ptr,  # (B*H,)
    c_ptr,  # (B*H, DK, DV) previous memory, read if USE_STATE
    n_ptr,  # (B*H, DK)
    m_ptr,  # (B*H,)
    h_ptr,  # out (B*H, DV)
    c_new_ptr,  # out (B*H, DK, DV)
    n_new_ptr,  # out (B*H, DK)
    m_new_ptr,  # out (B*H,)
    s_q_b, s_q_h, s_q_d,
    s_k_b, s_k_h, s_k_d,
    s_v_b, s_v_h, s_v_d,
    H, DK, DV,
    scale, eps,
    BK: tl.constexpr,
    BV: tl.constexpr,
    USE_STATE: tl.constexpr,
):
    pid_bh = tl.program_id(0).to(tl.int64)
    pid_v = tl.program_id(1).to(tl.int64)
    i_b = pid_bh // H
    i_h = pid_bh % H
    offs_v = pid_v * BV + tl.arange(0, BV).to(tl.int64)
    mask_v = offs_v < DV

    ig = tl.load(i_ptr + pid_bh).to(tl.float32)
    fg = tl.load(f_ptr + pid_bh).to(tl.float32)
    log_f = tl.minimum(fg, 0.0) - tl.log(1.0 + tl.exp(-tl.abs(fg)))
    if USE_STATE:
        m = tl.load(m_ptr + pid_bh).to(tl.float32)
    else:
        m = tl.full((), float("-inf"), tl.float32)
    m_new = tl.maximum(log_f + m, ig)
    f_gate = tl.exp(log_f + m - m_new)
    i_gate = tl.exp(ig - m_new)

    vv = tl.load(v_ptr + i_b * s_v_b + i_h * s_v_h + offs_v * s_v_d, mask=mask_v, other=0.0).to(tl.float32)
    num = tl.zeros([BV], dtype=tl.float32)
    qn = tl.zeros([BK], dtype=tl.float32)
    for kb in range(tl.cdiv(DK, BK)):
        offs_k = kb * BK + tl.arange(0, BK).to(tl.int64)
        mask_k = offs_k < DK
        mask_kv = mask_k[:, None] & mask_v[None, :]
        offs_kv = pid_bh * DK * DV + offs_k[:, None] * DV + offs_v[None, :]
        qq = tl.load(q_ptr + i_b * s_q_b + i_h * s_q_h + offs_k * s_q_d, mask=mask_k, other=0.0).to(tl.float32)
        kk = tl.load(k_ptr + i_b * s_k_b + i_h * s_k_h + offs_k * s_k_d, mask=mask_k, other=0.0).to(tl.float32)
        kk = kk * scale
        if USE_STATE:
            C = tl.load(c_ptr + offs_kv, mask=mask_kv, other=0.0).to(tl.float32)
            n = tl.load(n_ptr + pid_bh * DK + offs_k, mask=mask_k, other=0.0).to(tl.float32)
            C = f_gate * C + i_gate * (kk[:, None] * vv[None, :])
            n = f_gate * n + i_gate * kk
        else:
            C = i_gate * (kk[:, None] * vv[None, :])
            n = i_gate * kk
        tl.store(c_new_ptr + offs_kv, C.to(c_new_ptr.dtype.element_ty), mask=mask_kv)
        if pid_v == 0:
            tl.store(n_new_ptr + pid_bh * DK + offs_k, n.to(n_new_ptr.dtype.element_ty), mask=mask_k)
        num += tl.sum(qq[:, None] * C, axis=0)
        qn += qq * n

    qn_sum = tl.sum(qn, axis=0)
    den = tl.maximum(tl.abs(qn_sum), tl.exp(-tl.maximum(m_new, -80.0))) + eps
    tl.store(h_ptr + pid_bh * DV + offs_v, (num / den).to(h_ptr.dtype.element_ty), mask=mask_v)
    if pid_v == 0:
        tl.store(m_new_ptr + pid_bh, m_new.to(m_new_ptr.dtype.element_ty))
