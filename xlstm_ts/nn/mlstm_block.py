"""The mLSTM block (pre up-projection residual block, xLSTM paper Fig. 10).

x -> LayerNorm -> up-projection to (x branch, z branch), each ``inner = proj_factor * D`` wide
  x branch -> causal depthwise conv + SiLU = c;  q, k = head-wise(c);  v = head-wise(x branch)
  i, f = linear(cat(q, k, v)), one pre-activation per head
  h = mLSTM(q, k, v, i, f) -> per-head norm -> h + skip * c -> * SiLU(z) -> down-projection
-> dropout -> + x

Initialization (memories start long):
* forget-gate bias ``linspace(3, 6)`` over heads (sigmoid 0.95 .. 0.9975, i.e. time constants of
  about 20 .. 400 steps), forget-gate weights zero;
* input-gate bias N(0, 0.1), weights zero: the exponential input gate starts near 1 for every
  token, so at init the gates are data-independent and memory length is set by the forget gate;
* skip scale ones, q/k/v and up-projection "small init", down-projection depth-scaled.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from xlstm_ts import ops
from xlstm_ts.nn.config import XLSTMStackConfig
from xlstm_ts.nn.layers import CausalConv1d, HeadwiseLinear, HeadwiseNorm, output_init_, small_init_
from xlstm_ts.ops import MLSTMState

FORGET_BIAS_RANGE: tuple[float, float] = (3.0, 6.0)
"""mLSTM forget-gate bias at init: linearly spaced over heads between these values."""
INPUT_BIAS_STD: float = 0.1
"""mLSTM input-gate bias at init: N(0, INPUT_BIAS_STD)."""


class MLSTMBlockState(NamedTuple):
    """Streaming state of one :class:`MLSTMBlock`."""

    conv: torch.Tensor
    """Last ``conv_kernel_size - 1`` inputs of the causal conv, (B, K - 1, inner)."""
    cell: MLSTMState
    """mLSTM memory: C (B, H, Dqk, Dv), n (B, H, Dqk), m (B, H)."""


class MLSTMBlock(nn.Module):
    """Residual mLSTM block; (B, T, D) -> (B, T, D), or one step (B, D) -> (B, D)."""

    def __init__(self, config: XLSTMStackConfig, block_index: int = 0) -> None:
        super().__init__()
        if not 0 <= block_index < config.num_blocks:
            raise ValueError(f"block_index must be in [0, {config.num_blocks}); got {block_index}")
        self.config = config
        self.block_index = block_index
        D, H = config.embedding_dim, config.num_heads
        inner, dqk, dv = config.mlstm_inner_dim, config.mlstm_qk_head_dim, config.mlstm_v_head_dim
        self.norm = nn.LayerNorm(D, bias=config.bias)
        self.proj_up = nn.Linear(D, 2 * inner, bias=config.bias)
        """(x branch, z branch), each inner wide."""
        self.conv = CausalConv1d(inner, config.conv_kernel_size)
        self.q_proj = HeadwiseLinear(H, dv, dqk, bias=config.bias)
        self.k_proj = HeadwiseLinear(H, dv, dqk, bias=config.bias)
        self.v_proj = HeadwiseLinear(H, dv, dv, bias=config.bias)
        self.igate = nn.Linear(2 * H * dqk + inner, H)
        self.fgate = nn.Linear(2 * H * dqk + inner, H)
        self.outnorm = HeadwiseNorm(H, dv, bias=config.bias)
        self.skip = nn.Parameter(torch.ones(inner))
        """Per-channel scale of the conv output added to the normalized cell output."""
        self.proj_down = nn.Linear(inner, D, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initialize as described in the module docstring."""
        cfg = self.config
        self.norm.reset_parameters()
        small_init_(self.proj_up.weight, cfg.embedding_dim)
        output_init_(self.proj_down.weight, cfg.mlstm_inner_dim, cfg.num_blocks)
        for linear in (self.proj_up, self.proj_down):
            if linear.bias is not None:
                nn.init.zeros_(linear.bias)
        self.conv.reset_parameters()
        for proj in (self.q_proj, self.k_proj, self.v_proj):
            small_init_(proj.weight, proj.in_features)
            if proj.bias is not None:
                nn.init.zeros_(proj.bias)
        with torch.no_grad():
            nn.init.zeros_(self.igate.weight)
            nn.init.normal_(self.igate.bias, mean=0.0, std=INPUT_BIAS_STD)
            nn.init.zeros_(self.fgate.weight)
            self.fgate.bias.copy_(torch.linspace(*FORGET_BIAS_RANGE, cfg.num_heads))
            self.skip.fill_(1.0)
            self.outnorm.weight.fill_(1.0)
            if self.outnorm.bias is not None:
                self.outnorm.bias.zero_()

    def init_state(
        self, batch_size: int, device: torch.device | None = None, dtype: torch.dtype | None = None
    ) -> MLSTMBlockState:
        """Fresh state, equivalent to None: zero conv buffer and empty memory (m = -inf).

        device and dtype default to the parameters'.
        """
        device = self.proj_up.weight.device if device is None else device
        dtype = self.proj_up.weight.dtype if dtype is None else dtype
        cfg = self.config
        H, dqk, dv = cfg.num_heads, cfg.mlstm_qk_head_dim, cfg.mlstm_v_head_dim
        kw = {"device": device, "dtype": dtype}
        cell = MLSTMState(
            torch.zeros(batch_size, H, dqk, dv, **kw),
            torch.zeros(batch_size, H, dqk, **kw),
            torch.full((batch_size, H), float("-inf"), **kw),
        )
        return MLSTMBlockState(self.conv.init_state(batch_size, device, dtype), cell)

    def _cell_inputs(
        self, x_branch: torch.Tensor, conv_act: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(..., inner) branches -> q, k (..., H, Dqk), v (..., H, Dv), i, f (..., H)."""
        H = self.config.num_heads
        q, k, v = self.q_proj(conv_act), self.k_proj(conv_act), self.v_proj(x_branch)
        qkv = torch.cat([q, k, v], dim=-1)
        i, f = self.igate(qkv), self.fgate(qkv)
        return q.unflatten(-1, (H, -1)), k.unflatten(-1, (H, -1)), v.unflatten(-1, (H, -1)), i, f

    def _output(
        self, x: torch.Tensor, h: torch.Tensor, conv_act: torch.Tensor, z: torch.Tensor
    ) -> torch.Tensor:
        """Residual output from the cell output h (..., H, Dv); x, conv_act, z are (..., D / inner)."""
        h = self.outnorm(h).flatten(-2) + self.skip * conv_act
        return x + self.dropout(self.proj_down(h * F.silu(z)))

    def forward(
        self, x: torch.Tensor, state: MLSTMBlockState | None = None, return_state: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, MLSTMBlockState]:
        """Run a sequence.

        Args:
            x: (B, T, D).
            state: state after the preceding part of the sequence, or None for a fresh start.
            return_state: also return the state after the last step.

        Returns:
            y (B, T, D), and with return_state the new :class:`MLSTMBlockState`.
        """
        cfg = self.config
        x_branch, z = self.proj_up(self.norm(x)).chunk(2, dim=-1)
        conv_out, conv_state = self.conv(x_branch, None if state is None else state.conv)
        conv_act = F.silu(conv_out)
        q, k, v, i, f = self._cell_inputs(x_branch, conv_act)
        h, cell = ops.mlstm(
            q.transpose(1, 2),
            k.transpose(1, 2),
            v.transpose(1, 2),
            i.transpose(1, 2),
            f.transpose(1, 2),
            initial_state=None if state is None else state.cell,
            return_state=True,
            form=cfg.mlstm_form,
            backend=cfg.backend,
            chunk_size=cfg.chunk_size,
        )
        y = self._output(x, h.transpose(1, 2), conv_act, z)
        return (y, MLSTMBlockState(conv_state, cell)) if return_state else y

    def step(
        self, x_t: torch.Tensor, state: MLSTMBlockState | None = None
    ) -> tuple[torch.Tensor, MLSTMBlockState]:
        """One time step: x_t (B, D) -> y_t (B, D) and the new state (O(1) memory in T)."""
        x_branch, z = self.proj_up(self.norm(x_t)).chunk(2, dim=-1)
        conv_out, conv_state = self.conv.step(x_branch, None if state is None else state.conv)
        conv_act = F.silu(conv_out)
        q, k, v, i, f = self._cell_inputs(x_branch, conv_act)
        cell_state = None if state is None else state.cell
        h, cell = ops.mlstm_step(q, k, v, i, f, cell_state, backend=self.config.backend)
        return self._output(x_t, h, conv_act, z), MLSTMBlockState(conv_state, cell)
