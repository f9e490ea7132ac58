"""mLSTM chunkwise-parallel forward kernels (kernels only; launch code lives in wrapper.py).

Per (batch, head) the sequence is cut into NC = cdiv(T, L) chunks of L steps. Two kernels:

1. ``mlstm_chunkwise__recurrent_fwd_C_kernel``: the only sequential part. One program per
   (batch*head, Dqk tile, Dv tile) walks the chunks and writes the memory (C, n, m) *entering*
   every chunk, plus the memory after the last one, into ``states_*`` (NC + 1 entries, fp32).
   It also records which token fixed the final stabilizer (needed by the backward pass).
2. ``mlstm_chunkwise__parallel_fwd_H_kernel``: one program per (chunk x batch*head, Dv tile)
   computes the outputs of a chunk from the chunk's q, k, v, gates and the memory entering it.

Conventions: k is scaled by ``scale = Dqk**-0.5`` on load; log f = logsigmoid(f); gates of steps
t >= T (tail of the last chunk) are masked to log f = 0, i = -inf, so they leave the memory
untouched and the caller's tensors are never padded. Program ids and offsets are int64.
"""

import triton
import triton.language as tl


@triton.jit
def mlstm_chunkwise__recurrent_fwd_C_kernel(
    k_ptr,  # (B, H, T, DK), strides s_k_*
    v_ptr,  # (B, H, T, DV), strides s_v_*
    i_ptr,  # (B*H, T) contiguous
    f_ptr,  # (B*H, T) contiguous
    c0_ptr,  # (B*H, DK, DV) fp32 contiguous, read if USE_INITIAL_STATE
    n0_ptr,  # (B*H, DK)
    m0_ptr,  # (B*H,)
    states_c_ptr,  # out (B*H, NC + 1, DK, DV) fp32
    states_n_ptr,  # out (B*H, NC + 1, DK) fp32
    states_m_ptr,  # out (B*H, NC + 1) fp32
    argmax_ptr,  # out (B*H,) int64: token whose log-weight is the final m (-1: the initial state)
    s_k_b, s_k_h, s_k_t, s_k_d,
    s_v_b, s_v_h, s_v_t, s_v_d,
    H, T, DK, DV, NC,
    scale,
    L: tl.constexpr,
    BK: tl.constexpr,
    BV: tl.constexpr,
    USE_INITIAL_STATE: tl.constexpr,
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

    k_base = k_ptr + i_b * s_k_b + i_h * s_k_h
    v_base = v_ptr + i_b * s_v_b + i_h * s_v_h
    # pointers to the state entering the current chunk; advanced once per chunk
    c_ptrs = states_c_ptr + pid_bh * (NC + 1) * DK * DV + offs_kv
    n_ptrs = states_n_ptr + pid_bh * (NC + 1) * DK + offs_k
    m_ptrs = states_m_ptr + pid_bh * (NC + 1)
    write_n = pid_v == 0
    write_m = (pid_k + pid_v) == 0

    if USE_INITIAL_STATE:
        C = tl.load(c0_ptr + pid_bh * DK * DV + offs_kv, mask=mask_kv, other=0.0).to(tl.float32)
        n = tl.load(n0_ptr + pid_bh * DK + offs_k, mask=mask_k, other=0.0).to(tl.float32)
        m = tl.load(m0_ptr + pid_bh).to(tl.float32)
    else:
        C = tl.zeros([BK, BV], dtype=tl.float32)
        n = tl.zeros([BK], dtype=tl.float32)
        m = tl.full((), float("-inf"), tl.float32)
    argmax = tl.full((), -1, tl.int64)
    offs_t = offs_l

    for _ in range(NC):
        # the memory entering this chunk
        tl.store(c_ptrs, C, mask=mask_kv)
        if write_n:
            tl.store(n_ptrs, n, mask=mask_k)
        if write_m:
            tl.store(m_ptrs, m)

        mask_t = offs_t < T
        ig = tl.load(i_ptr + pid_bh * T + offs_t, mask=mask_t, other=float("-inf")).to(tl.float32)
        fg = tl.load(f_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0).to(tl.float32)
        log_f = tl.minimum(fg, 0.0) - tl.log(1.0 + tl.exp(-tl.abs(fg)))
        log_f = tl.where(mask_t, log_f, 0.0)
        g = tl.sum(log_f, axis=0)  # total log decay over the chunk
        log_w = g - tl.cumsum(log_f, axis=0) + ig  # log weight of step s at the chunk end
        m_local = tl.max(log_w, axis=0)
        m_next = tl.maximum(g + m, m_local)
        # first step of the chunk holding the chunk maximum (ties are measure-zero)
        arg_local = tl.min(tl.where(log_w == m_local, offs_t, T), axis=0)
        argmax = tl.where(m_local > g + m, arg_local, argmax)
        keep = tl.exp(g + m - m_next)
        w = tl.exp(log_w - m_next)

        kk = tl.load(
            k_base + offs_t[:, None] * s_k_t + offs_k[None, :] * s_k_d,
            mask=mask_t[:, None] & mask_k[None, :], other=0.0,
        ).to(tl.float32) * scale
        vv = tl.load(
            v_base + offs_t[:, None] * s_v_t + offs_v[None, :] * s_v_d,
            mask=mask_t[:, None] & mask_v[None, :], other=0.0,
        ).to(tl.float32)
        kw = kk * w[:, None]
        C = keep * C + tl.dot(tl.trans(kw), vv, input_precision=DOT_PRECISION)
        n = keep * n + tl.sum(kw, axis=0)
        m = m_next

        offs_t += L
        c_ptrs += DK * DV
        n_ptrs += DK
        m_ptrs += 1

    # the memory after the last chunk (the final state)
    tl.store(c_ptrs, C, mask=mask_kv)
    if write_n:
        tl.store(n_ptrs, n, mask=mask_k)
    if write_m:
        tl.store(m_ptrs, m)
        tl.store(argmax_ptr + pid_bh, argmax)


@triton.jit
def mlstm_chunkwise__parallel_fwd_H_kernel(
    q_ptr,  # (B, H, T, DK)
    k_ptr,  # (B, H, T, DK)
    v_ptr,  # (B, H, T, DV)
    i_ptr,  # (B*H, T)
    f_ptr,  # (B*H, T)
    states_c_ptr,  # (B*H, NC + 1, DK, DV) fp32, from the recurrent kernel
    states_n_ptr,  # (B*H, NC + 1, DK)
    states_m_ptr,  # (B*H, NC + 1)
    h_ptr,  # out (B, H, T, DV), strides s_h_*
    m_t_ptr,  # out (B*H, T) fp32: stabilizer m_t of every step
    qn_ptr,  # out (B*H, T) fp32: stabilized q . n_t (denominator before max/eps)
    s_q_b, s_q_h, s_q_t, s_q_d,
    s_k_b, s_k_h, s_k_t, s_k_d,
    s_v_b, s_v_h, s_v_t, s_v_d,
    s_h_b, s_h_h, s_h_t, s_h_d,
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
    pid_v = tl.program_id(1).to(tl.int64)
    i_b = pid_bh // H
    i_h = pid_bh % H

    offs_l = tl.arange(0, L).to(tl.int64)
    offs_t = pid_c * L + offs_l
    mask_t = offs_t < T
    offs_v = pid_v * BV + tl.arange(0, BV).to(tl.int64)
    mask_v = offs_v < DV

    q_base = q_ptr + i_b * s_q_b + i_h * s_q_h
    k_base = k_ptr + i_b * s_k_b + i_h * s_k_h
    state_idx = pid_bh * (NC + 1) + pid_c

    # gates and stabilizers of the chunk
    ig = tl.load(i_ptr + pid_bh * T + offs_t, mask=mask_t, other=float("-inf")).to(tl.float32)
    fg = tl.load(f_ptr + pid_bh * T + offs_t, mask=mask_t, other=0.0).to(tl.float32)
    log_f = tl.minimum(fg, 0.0) - tl.log(1.0 + tl.exp(-tl.abs(fg)))
    log_f = tl.where(mask_t, log_f, 0.0)
    b = tl.cumsum(log_f, axis=0)
    m_in = tl.load(states_m_ptr + state_idx)
    causal = offs_l[:, None] >= offs_l[None, :]
    log_d = tl.where(causal, b[:, None] - b[None, :] + ig[None, :], float("-inf"))
    log_inter = b + m_in
    m_t = tl.maximum(tl.max(log_d, axis=1), log_inter)
    decay = tl.exp(log_d - m_t[:, None])
    inter = tl.exp(log_inter - m_t)

    # q k^T, q C_in and q . n_in, reduced over Dqk tiles
    qk = tl.zeros([L, L], dtype=tl.float32)
    q_c = tl.zeros([L, BV], dtype=tl.float32)
    q_n = tl.zeros([L], dtype=tl.float32)
    for kb in range(tl.cdiv(DK, BK)):
        offs_k = kb * BK + tl.arange(0, BK).to(tl.int64)
        mask_k = offs_k < DK
        mask_tk = mask_t[:, None] & mask_k[None, :]
        qq = tl.load(q_base + offs_t[:, None] * s_q_t + offs_k[None, :] * s_q_d, mask=mask_tk, other=0.0)
        kk = tl.load(k_base + offs_t[:, None] * s_k_t + offs_k[None, :] * s_k_d, mask=mask_tk, other=0.0)
        qq = qq.to(tl.float32)
        kk = kk.to(tl.float32) * scale
        c_in = tl.load(
            states_c_ptr + state_idx * DK * DV + offs_k[:, None] * DV + offs_v[None, :],
            mask=mask_k[:, None] & mask_v[None, :], other=0.0,
        )
        n_in = tl.load(states_n_ptr + state_idx * DK + offs_k, mask=mask_k, other=0.0)
        qk += tl.dot(qq, tl.trans(kk), input_precision=DOT_PRECISION)
        q_c += tl.dot(qq, c_in, input_precision=DOT_PRECISION)
        q_n += tl.sum(qq * n_in[None, :], axis=1)

    scores = qk * decay
    vv = tl.load(
        v_ptr + i_b * s_v_b + i_h * s_v_h + offs_t[:, None] * s_v_t + offs_v[None, :] * s_v_d,
        mask=mask_t[:, None] & mask_v[None, :], other=0.0,
    ).to(tl.float32)
    num = tl.dot(scores, vv, input_precision=DOT_PRECISION) + inter[:, None] * q_c
    qn = tl.sum(scores, axis=1) + inter * q_n
    den = tl.maximum(tl.abs(qn), tl.exp(-tl.maximum(m_t, -80.0))) + eps
    h = num / den[:, None]

    tl.store(
        h_ptr + i_b * s_h_b + i_h * s_h_h + offs_t[:, None] * s_h_t + offs_v[None, :] * s_h_d,
        h.to(h_ptr.dtype.element_ty),
        mask=mask_t[:, None] & mask_v[None, :],
    )
    first_v = pid_v == 0
    if first_v:
        tl.store(m_t_ptr + pid_bh * T + offs_t, m_t, mask=mask_t)
    if first_v:
        tl.store(qn_ptr + pid_bh * T + offs_t, qn, mask=mask_t)
