"""A forecasting network whose forecast advances row by row: O(1) stack work per new row.

:class:`StreamingForecastNet` maps a window x (B, L, 1) and a *phase* phi (B,) to a forecast
(B, H, 1), like the default network, but every part of it can be carried forward as rows arrive:

* **Causal tokens.** The stack reads N = (L + 1) // P - 1 non-overlapping patches of P rows, the
  last of which ends phi rows before the window's end (phi in [0, P): the rows of the patch still
  being filled). A patch is embedded from its shape (its values minus its mean) and its level
  change (its mean minus the previous patch's, 0 for the first patch read): nothing in a token
  depends on rows after it, so a token is final when its patch completes.
* **A head on the recurrent state.** The forecast reads the stack's output at the last token
  (B, D), plus a learned vector per phase, through a linear map to H values, instead of a
  flatten over all tokens.
* **Normalization by the current level.** The forecast is relative to the level of the last P
  rows: ``level + head(...) + skip(recent - level)``, where ``skip`` is a linear map of the last
  K rows (K = L with ``config.linear_skip``, else P) around that level. No statistic of the whole
  window enters the tokens (the series themselves are standardized by the estimator's per-series
  scalers, which stay fixed after ``fit``).

Training runs ``forward`` on whole windows (the stack in its parallel / chunkwise form, one
random phase per window in training mode, so every phase is trained); at inference a
:class:`StreamState` is carried per series (:meth:`StreamingForecastNet.start_stream`,
:meth:`~StreamingForecastNet.push_rows`, :meth:`~StreamingForecastNet.forecast`).

Semantics of the stream (what is equal to what). The stream is cut into patches at fixed
boundaries, every P rows. At every boundary N recurrent states are alive, started at the last
N boundaries ("slots", one per age 1..N patches): at a boundary the oldest is dropped, a fresh
one joins, and all N read the new patch in *one* batched :meth:`XLSTMStack.step`. The forecast
reads the slot that has seen exactly N patches. So, with phi rows since the last boundary, the
streamed forecast equals ``forward(last L rows, phase=phi)`` (float rounding apart), at every
row: a function of the last L rows, as in training, never of the whole stream. Per new row the
cost is nothing in the stack between boundaries and one batched step at a boundary (N states
of width D: N/P state-steps of arithmetic per row on average, one ``step`` call per P rows); a
forecast is one head application and, with ``linear_skip``, one (K -> H) matrix-vector product.
Memory per series: N slot states and the last K rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import nn

from xlstm_ts.models.config import XLSTMForecastConfig
from xlstm_ts.nn import XLSTMStack
from xlstm_ts.nn.stack import XLSTMStackState


class StreamState(NamedTuple):
    """What a stream keeps per series (S series, N slots); float tensors in the network's dtype."""

    slots: XLSTMStackState
    """The stack state of every slot, each tensor (S * N, ...), series-major; slot 0 of a series
    is the youngest (1 patch seen), slot N - 1 the one the forecast reads (N patches)."""
    output: torch.Tensor
    """(S, D): the stack's output at the last boundary, of the slot that has seen N patches."""
    previous_mean: torch.Tensor
    """(S,): the mean of the last completed patch (the level change of the next token)."""
    phase: torch.Tensor
    """(S,) int64: rows since the last boundary, in [0, P)."""

    @property
    def n_series(self) -> int:
        return int(self.phase.shape[0])


def map_state(state: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """``state`` (nested tuples / NamedTuples of tensors and None) with ``fn`` applied to every tensor."""
    if isinstance(state, torch.Tensor):
        return fn(state)
    if state is None:
        return None
    items = [map_state(item, fn) for item in state]
    return type(state)(*items) if hasattr(state, "_fields") else type(state)(items)


def flatten_state(state: Any, prefix: str = "") -> dict[str, torch.Tensor]:
    """The tensors of a nested state by dotted position ("0.1.2"); None entries are left out."""
    if isinstance(state, torch.Tensor):
        return {prefix: state}
    if state is None:
        return {}
    out: dict[str, torch.Tensor] = {}
    for i, item in enumerate(state):
        out.update(flatten_state(item, f"{prefix}.{i}" if prefix else str(i)))
    return out


def unflatten_state(template: Any, tensors: dict[str, torch.Tensor], prefix: str = "") -> Any:
    """Inverse of :func:`flatten_state` on the structure of ``template`` (shapes and dtypes checked).

    Raises:
        ValueError: a tensor is missing or has another shape or dtype than the template's.
    """
    if isinstance(template, torch.Tensor):
        if prefix not in tensors:
            raise ValueError(f"stream state tensor {prefix!r} is missing")
        value = tensors[prefix]
        if value.shape != template.shape or value.dtype != template.dtype:
            raise ValueError(
                f"stream state tensor {prefix!r} has shape {tuple(value.shape)} ({value.dtype}); expected "
                f"{tuple(template.shape)} ({template.dtype})"
            )
        return value
    if template is None:
        return None
    items = [unflatten_state(item, tensors, f"{prefix}.{i}" if prefix else str(i)) for i, item in enumerate(template)]
    return type(template)(*items) if hasattr(template, "_fields") else type(template)(items)


class StreamingForecastNet(nn.Module):
    """x (B, L, 1) [, phase (B,)] -> forecast (B, H, 1), advanceable row by row; see the module docstring.

    Args:
        config: the network's hyper-parameters. Read: ``lookback`` L, ``horizon`` H,
            ``patch_len`` P, the stack's fields, ``linear_skip`` (the skip reads the last L rows,
            else the last P), ``linear_skip_init`` ("last_value": the untrained network is the
            naive forecast), ``embedding_dropout``, ``head_dropout``. Patches never overlap
            (``patch_stride`` is not used) and there is no RevIN; ``token_axis`` must be "patch"
            and ``decomposition`` False (a centred moving average is not causal).
    """

    def __init__(self, config: XLSTMForecastConfig) -> None:
        super().__init__()
        if config.token_axis != "patch":
            raise ValueError(f"the streaming network reads patches: token_axis must be 'patch'; got {config.token_axis!r}")
        if config.decomposition:
            raise ValueError("the streaming network has no trend decomposition (a centred moving average is not causal)")
        L, H, P, D = config.lookback, config.horizon, config.patch_len, config.embedding_dim
        if L < 2 * P - 1:
            raise ValueError(
                f"lookback={L} is too short for the streaming network with patch_len={P}: it reads whole patches "
                f"ending up to P - 1 rows before the window's end and needs lookback >= 2 * patch_len - 1 = {2 * P - 1}"
            )
        self.config = config
        self.lookback, self.horizon, self.patch_len = L, H, P
        self.num_patches = (L + 1) // P - 1
        """N: patches the stack reads (N * P + P - 1 <= L, so every phase fits in the window)."""
        self.skip_len = L if config.linear_skip else P
        """K: rows the linear skip reads."""
        self.n_covariates = 0  # the estimator's network interface: the target alone, point forecasts
        self.n_future = 0
        self.n_quantiles = 0
        self.covariate_head = None
        self.embed = nn.Linear(P + 1, D)
        self.phase_embedding = nn.Parameter(torch.zeros(P, D))
        self.embedding_dropout = nn.Dropout(config.embedding_dropout)
        self.stack = XLSTMStack(config)
        self.head_dropout = nn.Dropout(config.head_dropout)
        self.head = nn.Linear(D, H)
        self.skip = nn.Linear(self.skip_len, H)
        if config.linear_skip_init == "last_value":
            self._start_as_naive()

    @torch.no_grad()
    def _start_as_naive(self) -> None:
        """Skip on the last row only, zero head: the untrained network forecasts the last value."""
        self.skip.weight.zero_()
        self.skip.weight[:, -1] = 1.0
        self.skip.bias.zero_()
        self.head.weight.zero_()
        self.head.bias.zero_()

    # ------------------------------------------------------------------ the shared parts
    def _tokens(self, patches: torch.Tensor, change: torch.Tensor) -> torch.Tensor:
        """patches (..., P) and their level changes (...) -> token embeddings (..., D)."""
        shape = patches - patches.mean(dim=-1, keepdim=True)
        return self.embed(torch.cat([shape, change.unsqueeze(-1)], dim=-1))

    def readout(self, output: torch.Tensor, phase: torch.Tensor, recent: torch.Tensor) -> torch.Tensor:
        """The forecast (B, H) from the stack's output at the last token (B, D), the phase (B,) and
        the last K rows (B, K)."""
        level = recent[:, -self.patch_len :].mean(dim=-1, keepdim=True)  # (B, 1)
        hidden = self.head_dropout(output + self.phase_embedding[phase])
        return level + self.head(hidden) + self.skip(recent - level)

    def _phases(self, phase: torch.Tensor | int | None, batch: int, device: torch.device) -> torch.Tensor:
        if phase is None:
            if self.training:  # every phase is trained: one drawn per window
                return torch.randint(0, self.patch_len, (batch,), device=device)
            return torch.zeros(batch, dtype=torch.long, device=device)
        phase = torch.as_tensor(phase, dtype=torch.long, device=device).expand(batch)
        if bool(((phase < 0) | (phase >= self.patch_len)).any()):
            raise ValueError(f"phase must be in [0, patch_len={self.patch_len}); got {phase.tolist()}")
        return phase

    # ------------------------------------------------------------------ whole windows
    def forward(self, x: torch.Tensor, phase: torch.Tensor | int | None = None) -> torch.Tensor:
        """x (B, L, 1) -> forecast (B, H, 1), in the units of x.

        ``phase``: rows after the last patch the stack reads (an int, or (B,)); None: random per
        window in training mode, 0 in eval mode (the stack's last patch ends at the window's end).
        """
        L, P, N = self.lookback, self.patch_len, self.num_patches
        if x.dim() != 3 or x.shape[1] != L or x.shape[2] != 1:
            raise ValueError(f"expected input (batch, lookback={L}, 1); got {tuple(x.shape)}")
        series = x[..., 0]  # (B, L)
        batch = series.shape[0]
        phase = self._phases(phase, batch, series.device)
        start = L - phase - N * P  # (B,) first row of the patches read
        rows = start[:, None] + torch.arange(N * P, device=series.device)
        patches = series.gather(1, rows).reshape(batch, N, P)  # (B, N, P)
        means = patches.mean(dim=-1)  # (B, N)
        change = torch.cat([torch.zeros_like(means[:, :1]), means[:, 1:] - means[:, :-1]], dim=1)
        tokens = self._tokens(patches, change)  # (B, N, D)
        output = self.stack(self.embedding_dropout(tokens))[:, -1]  # (B, D)
        return self.readout(output, phase, series[:, L - self.skip_len :])[..., None]

    # ------------------------------------------------------------------ streams
    def blank_stream(self, n_series: int) -> StreamState:
        """A stream of ``n_series`` series that has seen nothing (every slot fresh); it forecasts
        correctly only after N boundaries: use :meth:`start_stream`."""
        N, D = self.num_patches, self.config.embedding_dim
        reference = self.head.weight
        return StreamState(
            slots=self.stack.init_state(n_series * N),
            output=reference.new_zeros(n_series, D),
            previous_mean=reference.new_zeros(n_series),
            phase=torch.zeros(n_series, dtype=torch.long, device=reference.device),
        )

    @torch.no_grad()
    def start_stream(self, windows: torch.Tensor) -> StreamState:
        """The stream of series whose last rows are ``windows`` (S, T), T >= N * P, with a patch
        boundary at their last row (phase 0): the same state as a stream that has run forever."""
        if windows.dim() != 2 or windows.shape[1] < self.num_patches * self.patch_len:
            raise ValueError(
                f"start_stream needs (S, T) windows with T >= N * P = {self.num_patches * self.patch_len}; "
                f"got {tuple(windows.shape)}"
            )
        n = windows.shape[0]
        counts = torch.full((n,), self.num_patches * self.patch_len, dtype=torch.long)
        return self.push_rows(self.blank_stream(n), windows, counts)

    @torch.no_grad()
    def push_rows(self, stream: StreamState, windows: torch.Tensor, counts: torch.Tensor) -> StreamState:
        """Advance the stream: series k received its last ``counts[k]`` rows of ``windows[k]``.

        Args:
            stream: the state before the new rows.
            windows: (S, T) the last T rows of every series, new rows included (the estimator's
                kept context, scaled), T >= N * P + P - 1.
            counts: (S,) int: new rows per series (0: unchanged; any number: after N boundaries
                nothing older matters, so at most N steps are run).

        Returns:
            The new state. Rows that complete a patch run one :meth:`XLSTMStack.step` for all
            series and slots at once (per round of boundaries); other rows only move the phase.
        """
        P, N = self.patch_len, self.num_patches
        S, T = windows.shape
        if S != stream.n_series or T < N * P + P - 1:
            raise ValueError(
                f"push_rows: windows {tuple(windows.shape)} for a stream of {stream.n_series} series need at least "
                f"N * P + P - 1 = {N * P + P - 1} rows"
            )
        counts = torch.as_tensor(counts, dtype=torch.long).to("cpu")
        phase_cpu = stream.phase.to("cpu")
        total = phase_cpu + counts
        boundaries = total // P  # (S,) boundaries crossed
        done = torch.clamp(boundaries, max=N)  # the last N of them are all that matter
        first = boundaries - done  # index of the first boundary run (0-based, of the `boundaries`)
        # the j-th boundary crossed (1-based) ends at row T - counts - phase + j * P of the window
        origin = T - counts - phase_cpu
        slots, output, previous = stream.slots, stream.output.clone(), stream.previous_mean.clone()
        fresh = self.stack.init_state(1)
        for r in range(int(done.max()) if S else 0):
            active = torch.nonzero(done > r).flatten()  # (s,) series with an r-th boundary to run
            ends = origin[active] + (first[active] + r + 1) * P  # (s,) end rows of their patches
            rows = ends[:, None] - P + torch.arange(P)
            index = active.to(windows.device)
            patches = windows[index].gather(1, rows.to(windows.device))  # (s, P)
            means = patches.mean(dim=-1)  # (s,)
            change = means - previous[index]
            s = len(active)
            token = self._tokens(patches, change)  # (s, D): the slots that have seen patches
            token0 = self._tokens(patches, torch.zeros_like(change))  # (s, D): the fresh slot
            x_t = torch.cat([token0[:, None], token[:, None].expand(-1, N - 1, -1)], dim=1)  # (s, N, D)
            rows_of = (index[:, None] * N + torch.arange(N, device=windows.device)).flatten()  # (s * N,)

            def shifted(t: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
                # drop the oldest slot, the fresh one joins as the youngest: (s * N, ...)
                mine = t[rows_of].reshape(s, N, *t.shape[1:])
                young = f.expand(s, *f.shape[1:])[:, None]
                return torch.cat([young, mine[:, :-1]], dim=1).reshape(s * N, *t.shape[1:])

            before = _zip_map(slots, fresh, shifted)
            y, after = self.stack.step(x_t.reshape(s * N, -1), before)
            slots = _zip_map(slots, after, lambda t, new: t.index_copy(0, rows_of, new))
            output = output.index_copy(0, index, y.reshape(s, N, -1)[:, -1])
            previous = previous.index_copy(0, index, means)
        return StreamState(slots, output, previous, (total % P).to(stream.phase.device))

    @torch.no_grad()
    def forecast(self, stream: StreamState, recent: torch.Tensor) -> torch.Tensor:
        """The forecast (S, H) of every series of ``stream`` from its last K rows ``recent`` (S, K)
        (K = ``skip_len``): equal to ``forward(last L rows, phase=stream.phase)``."""
        if recent.dim() != 2 or recent.shape[1] < self.skip_len:
            raise ValueError(f"forecast needs the last skip_len={self.skip_len} rows (S, K); got {tuple(recent.shape)}")
        return self.readout(stream.output, stream.phase, recent[:, recent.shape[1] - self.skip_len :])


def _zip_map(a: Any, b: Any, fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Any:
    """Two states of the same structure combined tensor by tensor with ``fn`` (None stays None)."""
    if isinstance(a, torch.Tensor):
        return fn(a, b)
    if a is None:
        return None
    items = [_zip_map(x, y, fn) for x, y in zip(a, b, strict=True)]
    return type(a)(*items) if hasattr(a, "_fields") else type(a)(items)
