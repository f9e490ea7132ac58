"""mLSTM cell, chunkwise-parallel form: linear in T, quadratic only inside a chunk.

The sequence is cut into chunks of `chunk_size` steps. Inside a chunk the stabilized parallel
form is used; across chunks the (C, n, m) memory is carried by a short recurrence over chunks,
which is the only sequential part. Any T works: the tail chunk is padded internally with steps
that leave the memory untouched (log f = 0, i = -inf); the caller's tensors are never padded.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from xlstm_ts.ops.reference.mlstm_chunk_output import OutputSaved, chunk_output_backward, chunk_output_forward
from xlstm_ts.ops.reference.mlstm_chunk_states import StatesSaved, chunk_states_backward, chunk_states_forward
from xlstm_ts.ops.reference.mlstm_recurrent import mlstm_empty_sequence, mlstm_zero_state
from xlstm_ts.ops.state import MLSTMState


class MLSTMChunkwise(torch.autograd.Function):
    """Chunk outputs and memories as one op with a hand-written backward.

    Under plain autograd this form stores and revisits many intermediates (and slicing a state
    tensor writes full-size zero gradients); the hand-written backward keeps only what it needs,
    skips every L x L pass that has a cheaper closed form, and writes in place where it can.
    Tests compare it with autograd over the parallel form in fp64.

    Inputs: q, k (B, H, NC, L, Dqk) unscaled; v (B, H, NC, L, Dv); i, b (B, H, NC, L) input gates
    and the cumulative log forget gate within each chunk; C0, n0, m0 the initial state.
    Outputs: h (B, H, NC, L, Dv) and the final C, n, m.
    """

    @staticmethod
    def forward(ctx, q, k, v, i, b, C0, n0, m0, scale: float, eps: float):  # type: ignore[override]
        states, states_saved = chunk_states_forward(k, v, i, b, C0, n0, m0, scale)
        h, output_saved = chunk_output_forward(q, k, v, i, b, states.C_in, states.n_in, states.m_in, scale, eps)
        ctx.save_for_backward(*states_saved, *output_saved)
        return h, states.C_final, states.n_final, states.m_final

    @staticmethod
    def backward(ctx, dh, dC_final, dn_final, dm_final):  # type: ignore[override]
        saved = ctx.saved_tensors
        dh = dh.contiguous()  # often a transposed view: every matmul below would copy it again
        n_states = len(StatesSaved._fields)
        out = chunk_output_backward(OutputSaved(*saved[n_states:]), dh)
        st = chunk_states_backward(
            StatesSaved(*saved[:n_states]), out.dC_in, out.dn_in, out.dm_in, dC_final, dn_final, dm_final
        )
        return (
            out.dq, out.dk.add_(st.dk), out.dv.add_(st.dv), out.di + st.di, out.db + st.db,
            st.dC0, st.dn0, st.dm0, None, None,
        )  # fmt: skip


def mlstm_chunkwise_torch(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    f: torch.Tensor,
    initial_state: MLSTMState | None = None,
    chunk_size: int = 64,
    eps: float = 1e-6,
) -> tuple[torch.Tensor, MLSTMState]:
    """Chunkwise-parallel mLSTM.

    Args:
        q, k: (B, H, T, Dqk). v: (B, H, T, Dv). i, f: (B, H, T) gate pre-activations.
        initial_state: (C, n, m) to continue from, or None for the empty memory.
        chunk_size: steps per chunk (any T is accepted; it need not divide T).
    Returns:
        h (B, H, T, Dv) and the final state.
    """
    B, H, T, Dqk = q.shape
    Dv = v.shape[-1]
    if T == 0:  # the same result as every other form, without zero-chunk edge cases
        return mlstm_empty_sequence(q, k, v, i, f, initial_state)
    if initial_state is None:
        initial_state = mlstm_zero_state(q, v)
    L = max(1, min(chunk_size, T))
    NC = -(-T // L)
    pad = NC * L - T
    log_f = F.logsigmoid(f)
    if pad:
        q = F.pad(q, (0, 0, 0, pad))
        k = F.pad(k, (0, 0, 0, pad))
        v = F.pad(v, (0, 0, 0, pad))
        log_f = F.pad(log_f, (0, pad), value=0.0)
        i = F.pad(i, (0, pad), value=float("-inf"))
    # contiguous once here: a transposed view (e.g. (B, T, H, D) seen as (B, H, T, D)) would be
    # copied again by every batched matmul of the forward and the backward
    q = q.reshape(B, H, NC, L, Dqk).contiguous()
    k = k.reshape(B, H, NC, L, Dqk).contiguous()
    v = v.reshape(B, H, NC, L, Dv).contiguous()
    i = i.reshape(B, H, NC, L)
    b = torch.cumsum(log_f.reshape(B, H, NC, L), dim=-1)  # (B, H, NC, L)

    C0, n0, m0 = initial_state
    h, C, n, m = MLSTMChunkwise.apply(q, k, v, i, b, C0, n0, m0, 1.0 / math.sqrt(Dqk), eps)
    h = h.reshape(B, H, NC * L, Dv)  # (B, H, NC, L, Dv) -> (B, H, T + pad, Dv)
    if pad:
        h = h[:, :, :T]
    return h, MLSTMState(C, n, m)
