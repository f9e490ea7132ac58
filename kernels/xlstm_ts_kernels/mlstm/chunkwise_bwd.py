"""mLSTM chunkwise-parallel backward kernels (kernels only; launch code lives in wrapper.py).

All stabilizers (m of every step, m of every chunk boundary) are treated as constants here; the
gradient that flows through the final stabilizer's max() is added by the last kernel (see
README.md). Four kernels, launched in this order:

1. ``mlstm_chunkwise__bwd_dnorm_kernel`` (chunk x batch*head): per step, the gradient reaching
   q . n_t through the denominator max(|q . n_t|, exp(-m_t)) + eps.
2. ``mlstm_chunkwise__recurrent_bwd_dC_kernel`` (batch*head, Dqk tile, Dv tile): the reverse
   recurrence over chunks; writes the gradient of the memory entering every chunk (dC, dn).
3. ``mlstm_chunkwise__parallel_bwd_dqkv_kernel`` (chunk x batch*head): dq, dk, dv and the
   input-gate gradient of one chunk; recomputes the chunk's decay matrix and scores.
4. ``mlstm_chunkwise__bwd_dgates_kernel`` (batch*head): forget-gate gradients by a reverse
   cumulative sum of q.dq - k.dk over the whole sequence, plus the stabilizer terms.
"""

import triton
import triton.language as tl


@triton.jit
def mlstm_chunkwise__bwd_dnorm_kernel(
    h_ptr,  # (B, H, T, DV) forward output
    dh_ptr,  # (B, H, T, DV) its cotangent
    m_t_ptr,  # (B*H, T) stabilizer of every step
    qn_ptr,  # (B*H, T) stabilized q . n_t
    dqn_ptr,  # out (B*H, T) fp32
    s_h_b, s_h_h, s_h_t, s_h_d,
    s_dh_b, s_dh_h, s_dh_t, s_dh_d,
    H, T, DV, NC,
    eps,
    L: tl.constexpr,
    BV: tl.constexpr,
):
    pid = tl.program_id(0).to(tl.int64)  # (chunk, batch*head) flattened on axis 0
    pid_c = pid % NC
    pid_bh = pid // NC
    i_b = pid_bh // H
    i_h = pid_bh % H
    offs_t = pid_c * L + tl.arange(0, L).to(tl.int64)
    mask_t = offs_t < T

    dot_hdh = tl.zeros([L], dtype=tl.float32)
    for vb in range(tl.cdiv(DV, BV)):
        offs_v = vb * BV + tl.arange(0, BV).to(tl.int64)
        mask_tv = mask_t[:, None] & (offs_v < DV)[None, :]
        hh = tl.load(
            h_ptr + i_b * s_h_b + i_h * s_h_h + offs_t[:, None] * s_h_t + offs_v[None, :] * s_h_d,
            mask=mask_tv, other=0.0,
        ).to(tl.float32)
        dh = tl.load(
            dh_ptr + i_b * s_dh_b + i_h * s_dh_h + offs_t[:, None] * s_dh_t + offs_v[None, :] * s_dh_d,
            mask=mask_tv, other=0.0,
        ).to(tl.float32)
        dot_hdh += tl.sum(hh * dh, axis=1)

    m_t = tl.load(m_t_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0)
    qn = tl.load(qn_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0)
    floor = tl.exp(-tl.maximum(m_t, -80.0))  # capped like the reference's normalizer_floor
    den = tl.maximum(tl.abs(qn), floor) + eps
    # d den = -(dh . h) / den; routed to |qn| where it wins the max (half of it on a tie)
    sel = tl.where(tl.abs(qn) > floor, 1.0, tl.where(tl.abs(qn) == floor, 0.5, 0.0))
    sign = tl.where(qn > 0, 1.0, tl.where(qn < 0, -1.0, 0.0))
    dqn = -dot_hdh / den * sel * sign
    tl.store(dqn_ptr + pid_bh * T + offs_t, dqn, mask=mask_t)


@triton.jit
def mlstm_chunkwise__recurrent_bwd_dC_kernel(
    q_ptr,  # (B, H, T, DK)
    dh_ptr,  # (B, H, T, DV)
    i_ptr,  # (B*H, T)
    f_ptr,  # (B*H, T)
    states_m_ptr,  # (B*H, NC + 1) chunk-boundary stabilizers
    m_t_ptr,  # (B*H, T) step stabilizers
    qn_ptr,  # (B*H, T)
    dqn_ptr,  # (B*H, T)
    dc_final_ptr,  # (B*H, DK, DV) fp32, read if HAS_FINAL_GRAD
    dn_final_ptr,  # (B*H, DK)
    dstates_c_ptr,  # out (B*H, NC + 1, DK, DV) fp32: gradient of the memory entering chunk c
    dstates_n_ptr,  # out (B*H, NC + 1, DK) fp32
    s_q_b, s_q_h, s_q_t, s_q_d,
    s_dh_b, s_dh_h, s_dh_t, s_dh_d,
    H, T, DK, DV, NC,
    eps,
    L: tl.constexpr,
    BK: tl.constexpr,
    BV: tl.constexpr,
    HAS_FINAL_GRAD: tl.constexpr,
    DOT_PRECISION: tl.constexpr,
):
    pid_bh = tl.program_id(0).to(tl.int64)  # batch*head on axis 0: no 65535 cap
    pid_k = tl.program_id(1).to(tl.int64)
    pid_v = tl.program_id(2).to(tl.int64)
    i_b = pid_bh // H
    i_h = pid_bh % H

    offs_l = tl.arange(0, L).to(tl.int64)
    offs_k = pid_k * BK + tl.arange(0, BK).to(tl.int64)
    offs_v = pid_v * BV + tl.arange(0, BV).to(tl.int64)
    mask_k = offs_k < DK
    mask_v = offs_v < DV
    mask_kv = mask_k[:, None] & mask_v[None, :]
    offs_kv = offs_k[:, None] * DV + offs_v[None, :]
    write_n = pid_v == 0

    q_base = q_ptr + i_b * s_q_b + i_h * s_q_h
    dh_base = dh_ptr + i_b * s_dh_b + i_h * s_dh_h

    if HAS_FINAL_GRAD:
        dC = tl.load(dc_final_ptr + pid_bh * DK * DV + offs_kv, mask=mask_kv, other=0.0).to(tl.float32)
        dn = tl.load(dn_final_ptr + pid_bh * DK + offs_k, mask=mask_k, other=0.0).to(tl.float32)
    else:
        dC = tl.zeros([BK, BV], dtype=tl.float32)
        dn = tl.zeros([BK], dtype=tl.float32)

    # walk the chunks backwards; pointers start at the last chunk
    last = pid_bh * (NC + 1) + NC  # int64 index of the final state
    dc_ptrs = dstates_c_ptr + last * DK * DV + offs_kv
    dn_ptrs = dstates_n_ptr + last * DK + offs_k
    ms_ptrs = states_m_ptr + last
    offs_t = (NC - 1) * L + offs_l
    for _ in range(NC):
        # gradient of the memory leaving this chunk
        tl.store(dc_ptrs, dC, mask=mask_kv)
        if write_n:
            tl.store(dn_ptrs, dn, mask=mask_k)

        mask_t = offs_t < T
        fg = tl.load(f_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0).to(tl.float32)
        log_f = tl.minimum(fg, 0.0) - tl.log(1.0 + tl.exp(-tl.abs(fg)))
        log_f = tl.where(mask_t, log_f, 0.0)
        b = tl.cumsum(log_f, axis=0)
        g = tl.sum(log_f, axis=0)
        m_next = tl.load(ms_ptrs)
        m_in = tl.load(ms_ptrs - 1)
        keep = tl.exp(g + m_in - m_next)

        m_t = tl.load(m_t_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0)
        qn = tl.load(qn_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0)
        dqn = tl.load(dqn_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0)
        den = tl.maximum(tl.abs(qn), tl.exp(-tl.maximum(m_t, -80.0))) + eps
        inter = tl.where(mask_t, tl.exp(b + m_in - m_t), 0.0)

        qq = tl.load(
            q_base + offs_t[:, None] * s_q_t + offs_k[None, :] * s_q_d,
            mask=mask_t[:, None] & mask_k[None, :], other=0.0,
        ).to(tl.float32)
        dh = tl.load(
            dh_base + offs_t[:, None] * s_dh_t + offs_v[None, :] * s_dh_d,
            mask=mask_t[:, None] & mask_v[None, :], other=0.0,
        ).to(tl.float32)
        q_inter = qq * inter[:, None]
        dnum = dh / den[:, None]
        dC = keep * dC + tl.dot(tl.trans(q_inter), dnum, input_precision=DOT_PRECISION)
        dn = keep * dn + tl.sum(q_inter * dqn[:, None], axis=0)

        offs_t -= L
        dc_ptrs -= DK * DV
        dn_ptrs -= DK
        ms_ptrs -= 1

    # gradient of the initial memory
    tl.store(dc_ptrs, dC, mask=mask_kv)
    if write_n:
        tl.store(dn_ptrs, dn, mask=mask_k)


@triton.jit
def mlstm_chunkwise__parallel_bwd_dqkv_kernel(
    q_ptr,  # (B, H, T, DK)
    k_ptr,  # (B, H, T, DK)
    v_ptr,  # (B, H, T, DV)
    i_ptr,  # (B*H, T)
    f_ptr,  # (B*H, T)
    dh_ptr,  # (B, H, T, DV)
    states_c_ptr,  # (B*H, NC + 1, DK, DV) memory entering each chunk
    states_n_ptr,  # (B*H, NC + 1, DK)
    states_m_ptr,  # (B*H, NC + 1)
    dstates_c_ptr,  # (B*H, NC + 1, DK, DV) its gradient
    dstates_n_ptr,  # (B*H, NC + 1, DK)
    m_t_ptr,  # (B*H, T)
    qn_ptr,  # (B*H, T)
    dqn_ptr,  # (B*H, T)
    dq_ptr,  # out (B, H, T, DK) contiguous
    dk_ptr,  # out (B, H, T, DK) contiguous
    dv_ptr,  # out (B, H, T, DV) contiguous
    di_ptr,  # out (B*H, T) fp32: input-gate gradient (before the stabilizer term)
    u_ptr,  # out (B*H, T) fp32: q.dq - k.dk per step (for the forget-gate gradient)
    s_q_b, s_q_h, s_q_t, s_q_d,
    s_k_b, s_k_h, s_k_t, s_k_d,
    s_v_b, s_v_h, s_v_t, s_v_d,
    s_dh_b, s_dh_h, s_dh_t, s_dh_d,
    H, T, DK, DV, NC,
    scale, eps,
    L: tl.constexpr,
    BK: tl.constexpr,
    BV: tl.constexpr,
    DOT_PRECISION: tl.constexpr,
):
    pid = tl.program_id(0).to(tl.int64)  # (chunk, batch*head) flattened on axis 0
    pid_c = pid % NC
    pid_bh = pid // NC
    i_b = pid_bh // H
    i_h = pid_bh % H

    offs_l = tl.arange(0, L).to(tl.int64)
    offs_t = pid_c * L + offs_l
    mask_t = offs_t < T
    q_base = q_ptr + i_b * s_q_b + i_h * s_q_h
    k_base = k_ptr + i_b * s_k_b + i_h * s_k_h
    v_base = v_ptr + i_b * s_v_b + i_h * s_v_h
    dh_base = dh_ptr + i_b * s_dh_b + i_h * s_dh_h
    idx_in = pid_bh * (NC + 1) + pid_c  # memory entering this chunk
    idx_out = idx_in + 1  # memory leaving it

    # recompute the chunk's gates, decay matrix and weights (stabilizers are loaded, not recomputed)
    ig = tl.load(i_ptr + pid_bh * T + offs_t, mask=mask_t, other=float("-inf")).to(tl.float32)
    fg = tl.load(f_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0).to(tl.float32)
    log_f = tl.minimum(fg, 0.0) - tl.log(1.0 + tl.exp(-tl.abs(fg)))
    log_f = tl.where(mask_t, log_f, 0.0)
    b = tl.cumsum(log_f, axis=0)
    g = tl.sum(log_f, axis=0)
    m_in = tl.load(states_m_ptr + idx_in)
    m_out = tl.load(states_m_ptr + idx_out)
    m_t = tl.load(m_t_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0)
    qn = tl.load(qn_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0)
    dqn = tl.load(dqn_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0)
    den = tl.maximum(tl.abs(qn), tl.exp(-tl.maximum(m_t, -80.0))) + eps

    causal = (offs_l[:, None] >= offs_l[None, :]) & mask_t[:, None]
    log_d = tl.where(causal, b[:, None] - b[None, :] + ig[None, :], float("-inf"))
    decay = tl.where(causal, tl.exp(log_d - m_t[:, None]), 0.0)  # (L, L) target x source
    inter = tl.where(mask_t, tl.exp(b + m_in - m_t), 0.0)  # weight of the entering memory
    w_out = tl.where(mask_t, tl.exp(g - b + ig - m_out), 0.0)  # weight in the leaving memory

    # q k^T and dnum v^T, reduced over head-dim tiles
    qk = tl.zeros([L, L], dtype=tl.float32)
    for kb in range(tl.cdiv(DK, BK)):
        offs_k = kb * BK + tl.arange(0, BK).to(tl.int64)
        mask_tk = mask_t[:, None] & (offs_k < DK)[None, :]
        qq = tl.load(q_base + offs_t[:, None] * s_q_t + offs_k[None, :] * s_q_d, mask=mask_tk, other=0.0)
        kk = tl.load(k_base + offs_t[:, None] * s_k_t + offs_k[None, :] * s_k_d, mask=mask_tk, other=0.0)
        qk += tl.dot(qq.to(tl.float32), tl.trans(kk.to(tl.float32) * scale), input_precision=DOT_PRECISION)
    dnum_v = tl.zeros([L, L], dtype=tl.float32)
    for vb in range(tl.cdiv(DV, BV)):
        offs_v = vb * BV + tl.arange(0, BV).to(tl.int64)
        mask_tv = mask_t[:, None] & (offs_v < DV)[None, :]
        dh = tl.load(dh_base + offs_t[:, None] * s_dh_t + offs_v[None, :] * s_dh_d, mask=mask_tv, other=0.0)
        vv = tl.load(v_base + offs_t[:, None] * s_v_t + offs_v[None, :] * s_v_d, mask=mask_tv, other=0.0)
        dnum = dh.to(tl.float32) / den[:, None]
        dnum_v += tl.dot(dnum, tl.trans(vv.to(tl.float32)), input_precision=DOT_PRECISION)

    scores = qk * decay  # S[t, s]
    dqk = (dnum_v + dqn[:, None]) * decay  # gradient of the raw q.k entries

    # dv = S^T dnum + w_out * (k dC_out)
    for vb in range(tl.cdiv(DV, BV)):
        offs_v = vb * BV + tl.arange(0, BV).to(tl.int64)
        mask_v = offs_v < DV
        mask_tv = mask_t[:, None] & mask_v[None, :]
        dh = tl.load(dh_base + offs_t[:, None] * s_dh_t + offs_v[None, :] * s_dh_d, mask=mask_tv, other=0.0)
        dnum = dh.to(tl.float32) / den[:, None]
        dv = tl.dot(tl.trans(scores), dnum, input_precision=DOT_PRECISION)
        k_dc = tl.zeros([L, BV], dtype=tl.float32)
        for kb in range(tl.cdiv(DK, BK)):
            offs_k = kb * BK + tl.arange(0, BK).to(tl.int64)
            mask_k = offs_k < DK
            kk = tl.load(
                k_base + offs_t[:, None] * s_k_t + offs_k[None, :] * s_k_d,
                mask=mask_t[:, None] & mask_k[None, :], other=0.0,
            ).to(tl.float32) * scale
            dc_out = tl.load(
                dstates_c_ptr + idx_out * DK * DV + offs_k[:, None] * DV + offs_v[None, :],
                mask=mask_k[:, None] & mask_v[None, :], other=0.0,
            )
            k_dc += tl.dot(kk, dc_out, input_precision=DOT_PRECISION)
        dv += w_out[:, None] * k_dc
        tl.store(
            dv_ptr + pid_bh * T * DV + offs_t[:, None] * DV + offs_v[None, :],
            dv.to(dv_ptr.dtype.element_ty), mask=mask_tv,
        )

    # dq = dqk k + inter * (dnum C_in^T + dqn n_in^T);  dk = dqk^T q + w_out * (v dC_out^T + dn_out)
    u = tl.zeros([L], dtype=tl.float32)
    di = tl.zeros([L], dtype=tl.float32)
    for kb in range(tl.cdiv(DK, BK)):
        offs_k = kb * BK + tl.arange(0, BK).to(tl.int64)
        mask_k = offs_k < DK
        mask_tk = mask_t[:, None] & mask_k[None, :]
        qq = tl.load(q_base + offs_t[:, None] * s_q_t + offs_k[None, :] * s_q_d, mask=mask_tk, other=0.0)
        kk = tl.load(k_base + offs_t[:, None] * s_k_t + offs_k[None, :] * s_k_d, mask=mask_tk, other=0.0)
        qq = qq.to(tl.float32)
        kk = kk.to(tl.float32) * scale
        dq = tl.dot(dqk, kk, input_precision=DOT_PRECISION)
        dk = tl.dot(tl.trans(dqk), qq, input_precision=DOT_PRECISION)
        dnum_c = tl.zeros([L, BK], dtype=tl.float32)
        v_dc = tl.zeros([L, BK], dtype=tl.float32)
        for vb in range(tl.cdiv(DV, BV)):
            offs_v = vb * BV + tl.arange(0, BV).to(tl.int64)
            mask_v = offs_v < DV
            mask_tv = mask_t[:, None] & mask_v[None, :]
            mask_kv = mask_k[:, None] & mask_v[None, :]
            dh = tl.load(dh_base + offs_t[:, None] * s_dh_t + offs_v[None, :] * s_dh_d, mask=mask_tv, other=0.0)
            vv = tl.load(v_base + offs_t[:, None] * s_v_t + offs_v[None, :] * s_v_d, mask=mask_tv, other=0.0)
            c_in = tl.load(
                states_c_ptr + idx_in * DK * DV + offs_k[:, None] * DV + offs_v[None, :], mask=mask_kv, other=0.0
            )
            dc_out = tl.load(
                dstates_c_ptr + idx_out * DK * DV + offs_k[:, None] * DV + offs_v[None, :], mask=mask_kv, other=0.0
            )
            dnum = dh.to(tl.float32) / den[:, None]
            dnum_c += tl.dot(dnum, tl.trans(c_in), input_precision=DOT_PRECISION)
            v_dc += tl.dot(vv.to(tl.float32), tl.trans(dc_out), input_precision=DOT_PRECISION)
        n_in = tl.load(states_n_ptr + idx_in * DK + offs_k, mask=mask_k, other=0.0)
        dn_out = tl.load(dstates_n_ptr + idx_out * DK + offs_k, mask=mask_k, other=0.0)
        dq += inter[:, None] * (dnum_c + dqn[:, None] * n_in[None, :])
        dk += w_out[:, None] * (v_dc + dn_out[None, :])
        tl.store(
            dq_ptr + pid_bh * T * DK + offs_t[:, None] * DK + offs_k[None, :],
            dq.to(dq_ptr.dtype.element_ty), mask=mask_tk,
        )
        tl.store(
            dk_ptr + pid_bh * T * DK + offs_t[:, None] * DK + offs_k[None, :],
            (dk * scale).to(dk_ptr.dtype.element_ty), mask=mask_tk,
        )
        # i_s only scales k_s, and log f_r scales q_{t>=r} up and k_{s>=r} down:
        k_dk = tl.sum(kk * dk, axis=1)
        u += tl.sum(qq * dq, axis=1) - k_dk
        di += k_dk

    tl.store(di_ptr + pid_bh * T + offs_t, di, mask=mask_t)
    tl.store(u_ptr + pid_bh * T + offs_t, u, mask=mask_t)


@triton.jit
def mlstm_chunkwise__bwd_dgates_kernel(
    f_ptr,  # (B*H, T)
    u_ptr,  # (B*H, T) q.dq - k.dk per step
    di_ptr,  # (B*H, T) fp32, updated in place with the stabilizer term
    df_ptr,  # out (B*H, T) fp32
    argmax_ptr,  # (B*H,) step that set the final stabilizer (-1: the initial state)
    states_c_ptr,  # (B*H, NC + 1, DK, DV)
    states_n_ptr,  # (B*H, NC + 1, DK)
    dstates_c_ptr,  # (B*H, NC + 1, DK, DV)
    dstates_n_ptr,  # (B*H, NC + 1, DK)
    dm_final_ptr,  # (B*H,) read if HAS_FINAL_GRAD
    dm0_ptr,  # out (B*H,) fp32, written if USE_INITIAL_STATE
    T, DK, DV, NC,
    L: tl.constexpr,
    BK: tl.constexpr,
    BV: tl.constexpr,
    USE_INITIAL_STATE: tl.constexpr,
    HAS_FINAL_GRAD: tl.constexpr,
):
    pid_bh = tl.program_id(0).to(tl.int64)
    offs_l = tl.arange(0, L).to(tl.int64)
    first = pid_bh * (NC + 1)  # int64 index of the initial state
    last = first + NC  # and of the final one

    # the final state (C, n, m) is stored scaled by exp(-m): its m-cotangent picks up -<dC,C> - <dn,n>
    scaled_out = tl.zeros((), dtype=tl.float32)
    dm_total = tl.zeros((), dtype=tl.float32)
    if HAS_FINAL_GRAD:
        acc = tl.zeros([BK, BV], dtype=tl.float32)
        acc_n = tl.zeros([BK], dtype=tl.float32)
        for kb in range(tl.cdiv(DK, BK)):
            offs_k = kb * BK + tl.arange(0, BK).to(tl.int64)
            mask_k = offs_k < DK
            for vb in range(tl.cdiv(DV, BV)):
                offs_v = vb * BV + tl.arange(0, BV).to(tl.int64)
                mask_kv = mask_k[:, None] & (offs_v < DV)[None, :]
                offs_kv = last * DK * DV + offs_k[:, None] * DV + offs_v[None, :]
                cc = tl.load(states_c_ptr + offs_kv, mask=mask_kv, other=0.0)
                dcc = tl.load(dstates_c_ptr + offs_kv, mask=mask_kv, other=0.0)
                acc += cc * dcc
            nn = tl.load(states_n_ptr + last * DK + offs_k, mask=mask_k, other=0.0)
            dnn = tl.load(dstates_n_ptr + last * DK + offs_k, mask=mask_k, other=0.0)
            acc_n += nn * dnn
        scaled_out = tl.sum(tl.sum(acc, axis=1), axis=0) + tl.sum(acc_n, axis=0)
        dm_total = tl.load(dm_final_ptr + pid_bh).to(tl.float32) - scaled_out
    argmax = tl.load(argmax_ptr + pid_bh)

    # d log f_r = sum_{t >= r} (q.dq - k.dk)_t + <dC_T, C_T> + <dn_T, n_T> + [r > argmax] dm_total
    carry = tl.zeros((), dtype=tl.float32)
    offs_t = (NC - 1) * L + offs_l
    for _ in range(NC):
        mask_t = offs_t < T
        u = tl.load(u_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0)
        u_sum = tl.sum(u, axis=0)
        rev_cumsum = u_sum - tl.cumsum(u, axis=0) + u
        dlog_f = rev_cumsum + carry + scaled_out + tl.where(offs_t > argmax, dm_total, 0.0)
        carry += u_sum
        fg = tl.load(f_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0).to(tl.float32)
        tl.store(df_ptr + pid_bh * T + offs_t, dlog_f * tl.sigmoid(-fg), mask=mask_t)
        di = tl.load(di_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0)
        di += tl.where(offs_t == argmax, dm_total, 0.0)
        tl.store(di_ptr + pid_bh * T + offs_t, di, mask=mask_t)
        offs_t -= L

    if USE_INITIAL_STATE:
        # m_0 scales the initial memory: d m_0 = <dC_0, C_0> + <dn_0, n_0> (+ dm_total if it set m_T)
        acc = tl.zeros([BK, BV], dtype=tl.float32)
        acc_n = tl.zeros([BK], dtype=tl.float32)
        for kb in range(tl.cdiv(DK, BK)):
            offs_k = kb * BK + tl.arange(0, BK).to(tl.int64)
            mask_k = offs_k < DK
            for vb in range(tl.cdiv(DV, BV)):
                offs_v = vb * BV + tl.arange(0, BV).to(tl.int64)
                mask_kv = mask_k[:, None] & (offs_v < DV)[None, :]
                offs_kv = first * DK * DV + offs_k[:, None] * DV + offs_v[None, :]
                cc = tl.load(states_c_ptr + offs_kv, mask=mask_kv, other=0.0)
                dcc = tl.load(dstates_c_ptr + offs_kv, mask=mask_kv, other=0.0)
                acc += cc * dcc
            nn = tl.load(states_n_ptr + first * DK + offs_k, mask=mask_k, other=0.0)
            dnn = tl.load(dstates_n_ptr + first * DK + offs_k, mask=mask_k, other=0.0)
            acc_n += nn * dnn
        dm0 = tl.sum(tl.sum(acc, axis=1), axis=0) + tl.sum(acc_n, axis=0)
        dm0 += tl.where(argmax < 0, dm_total, 0.0)
        tl.store(dm0_ptr + pid_bh, dm0)
