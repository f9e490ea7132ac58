"""The functional boundary of xlstm-ts: the mLSTM and sLSTM cells.

Layout as in NX-AI's mlstm_kernels, heads before time. See README.md beside this file for the math.
"""

from __future__ import annotations

from typing import Literal

import torch

from xlstm_ts.ops.dispatch import BackendUnavailableError, resolve_backend, triton_kernels
from xlstm_ts.ops.reference.mlstm_chunkwise import mlstm_chunkwise_torch
from xlstm_ts.ops.reference.mlstm_parallel import mlstm_parallel_torch
from xlstm_ts.ops.reference.mlstm_recurrent import mlstm_recurrent_torch, mlstm_step_torch
from xlstm_ts.ops.reference.slstm_fused import slstm_fused_torch
from xlstm_ts.ops.reference.slstm_recurrent import slstm_step_torch
from xlstm_ts.ops.state import MLSTMState, SLSTMState

__all__ = [
    "BackendUnavailableError",
    "MLSTMState",
    "SLSTMState",
    "mlstm",
    "mlstm_step",
    "slstm",
    "slstm_step",
]

MLSTMForm = Literal["auto", "parallel", "chunkwise", "recurrent"]
FORMS: tuple[str, ...] = ("auto", "parallel", "chunkwise", "recurrent")


def _check_mlstm_shapes(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, i: torch.Tensor, f: torch.Tensor) -> None:
    if q.dim() != 4 or k.shape != q.shape:
        raise ValueError(f"q and k must both be (B, H, T, Dqk); got {tuple(q.shape)} and {tuple(k.shape)}")
    if v.dim() != 4 or v.shape[:3] != q.shape[:3]:
        raise ValueError(f"v must be (B, H, T, Dv) matching q {tuple(q.shape)}; got {tuple(v.shape)}")
    if i.shape != q.shape[:3] or f.shape != q.shape[:3]:
        raise ValueError(
            f"i and f must be (B, H, T) = {tuple(q.shape[:3])}; got {tuple(i.shape)} and {tuple(f.shape)}"
        )


def mlstm(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    f: torch.Tensor,
    *,
    initial_state: MLSTMState | tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
    return_state: bool = False,
    form: MLSTMForm = "auto",
    backend: Literal["auto", "torch", "triton"] = "auto",
    chunk_size: int = 64,
    eps: float = 1e-6,
) -> torch.Tensor | tuple[torch.Tensor, MLSTMState]:
    """The mLSTM cell over a sequence.

    Args:
        q, k: (B, H, T, Dqk) queries and keys (q . k is scaled by 1/sqrt(Dqk)).
        v: (B, H, T, Dv) values.
        i, f: (B, H, T) input and forget gate pre-activations (exponential input gate,
            sigmoid forget gate taken in log space).
        initial_state: (C (B, H, Dqk, Dv), n (B, H, Dqk), m (B, H)) to continue a sequence.
        return_state: also return the final state.
        form: "parallel" (quadratic in T), "chunkwise" (linear in T), "recurrent" (a step loop),
            or "auto" (the chunkwise form: with its hand-written backward it is the fastest
            on CPU at every T, about 2x the parallel form even for one chunk of 42 steps).
        backend: "torch", "triton" or "auto" (see :mod:`xlstm_ts.ops.dispatch`).
        chunk_size: steps per chunk for the chunkwise form; need not divide T.
        eps: added to the normalizer.

    Returns:
        h (B, H, T, Dv), and with return_state also the final (C, n, m). T may be 0 in every form
        and backend: h (B, H, 0, Dv) and the initial state (a copy) or the empty memory.
    """
    _check_mlstm_shapes(q, k, v, i, f)
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}; choose one of {FORMS}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    if initial_state is not None:
        initial_state = MLSTMState(*initial_state)
    if form == "auto":
        form = "chunkwise"
    if resolve_backend(backend, q, k, v, i, f) == "triton":
        h, state = triton_kernels().mlstm(
            q, k, v, i, f, initial_state=initial_state, form=form, chunk_size=chunk_size, eps=eps
        )
    elif form == "parallel":
        h, state = mlstm_parallel_torch(q, k, v, i, f, initial_state, eps=eps)
    elif form == "chunkwise":
        h, state = mlstm_chunkwise_torch(q, k, v, i, f, initial_state, chunk_size=chunk_size, eps=eps)
    else:
        h, state = mlstm_recurrent_torch(q, k, v, i, f, initial_state, eps=eps)
    return (h, state) if return_state else h


def mlstm_step(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    i: torch.Tensor,
    f: torch.Tensor,
    state: MLSTMState | tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None,
    *,
    backend: Literal["auto", "torch", "triton"] = "auto",
    eps: float = 1e-6,
) -> tuple[torch.Tensor, MLSTMState]:
    """One mLSTM step: q, k (B, H, Dqk), v (B, H, Dv), i, f (B, H); state (C, n, m) or None.

    Returns h (B, H, Dv) and the new state.
    """
    if state is not None:
        state = MLSTMState(*state)
    if resolve_backend(backend, q, k, v, i, f) == "triton":
        return triton_kernels().mlstm_step(q, k, v, i, f, state, eps=eps)
    return mlstm_step_torch(q, k, v, i, f, state, eps=eps)


def _check_slstm_shapes(wx: torch.Tensor, r: torch.Tensor, b: torch.Tensor) -> None:
    if wx.dim() != 5 or wx.shape[2] != 4:
        raise ValueError(f"wx must be (B, T, 4, H, Dh) with gates (i, f, z, o); got {tuple(wx.shape)}")
    H, Dh = wx.shape[3], wx.shape[4]
    if r.shape != (4, H, Dh, Dh):
        raise ValueError(f"r must be (4, H, Dh, Dh) = (4, {H}, {Dh}, {Dh}); got {tuple(r.shape)}")
    if b.shape != (4, H, Dh):
        raise ValueError(f"b must be (4, H, Dh) = (4, {H}, {Dh}); got {tuple(b.shape)}")


SLSTM_TRITON_MAX_HEAD_DIM = 128
"""The fused sLSTM kernel keeps a head's four Dh x Dh recurrent matrices on chip: Dh <= 128."""


def _slstm_backend(backend: str, wx: torch.Tensor, r: torch.Tensor, b: torch.Tensor) -> str:
    """As resolve_backend, but "auto" keeps heads too wide for the fused kernel on torch."""
    resolved = resolve_backend(backend, wx, r, b)
    if resolved == "triton" and backend == "auto" and wx.shape[-1] > SLSTM_TRITON_MAX_HEAD_DIM:
        return "torch"
    return resolved


def slstm(
    wx: torch.Tensor,
    r: torch.Tensor,
    b: torch.Tensor,
    *,
    initial_state: SLSTMState | tuple[torch.Tensor, ...] | None = None,
    return_state: bool = False,
    backend: Literal["auto", "torch", "triton"] = "auto",
) -> torch.Tensor | tuple[torch.Tensor, SLSTMState]:
    """The sLSTM cell over a sequence (paper eqs. 8-17).

    Args:
        wx: (B, T, 4, H, Dh) input contributions to the gates (i, f, z, o).
        r: (4, H, Dh, Dh) head-wise recurrent weights: gate g of head h gets h_{t-1}[:, h] @ r[g, h].
        b: (4, H, Dh) gate biases.
        initial_state: (h, c, n, m), each (B, H, Dh), to continue a sequence.
        return_state: also return the final state.
        backend: "torch", "triton" or "auto". The torch backend runs the step loop as one autograd
            Function with a hand-written backward (:mod:`xlstm_ts.ops.reference.slstm_fused`);
            the plain autograd loop it is tested against is
            :func:`xlstm_ts.ops.reference.slstm_recurrent.slstm_recurrent_torch`.

    Returns:
        h (B, T, H, Dh), and with return_state also the final (h, c, n, m). T may be 0: h
        (B, 0, H, Dh) and the initial state (a copy) or the empty state.
    """
    _check_slstm_shapes(wx, r, b)
    if initial_state is not None:
        initial_state = SLSTMState(*initial_state)
    if _slstm_backend(backend, wx, r, b) == "triton":
        h, state = triton_kernels().slstm(wx, r, b, initial_state=initial_state)
    else:
        h, state = slstm_fused_torch(wx, r, b, initial_state)
    return (h, state) if return_state else h


def slstm_step(
    wx_t: torch.Tensor,
    r: torch.Tensor,
    b: torch.Tensor,
    state: SLSTMState | tuple[torch.Tensor, ...] | None,
    *,
    backend: Literal["auto", "torch", "triton"] = "auto",
) -> tuple[torch.Tensor, SLSTMState]:
    """One sLSTM step: wx_t (B, 4, H, Dh); returns h (B, H, Dh) and the new state."""
    _check_slstm_shapes(wx_t[:, None], r, b)
    if state is not None:
        state = SLSTMState(*state)
    if _slstm_backend(backend, wx_t, r, b) == "triton":
        return triton_kernels().slstm_step(wx_t, r, b, state)
    return slstm_step_torch(wx_t, r, b, state)
