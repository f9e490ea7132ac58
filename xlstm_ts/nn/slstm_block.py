"""The sLSTM block (post up-projection residual block, xLSTM paper Fig. 9).

x -> LayerNorm = u
  c = SiLU(causal conv(u)) if slstm_conv else u
  gate inputs: i, f from head-wise(c); z, o from head-wise(u)   -> wx (B, T, 4, H, Dh)
  h = sLSTM(wx, r, b) -> per-head GroupNorm -> dropout
-> + x = y;   y -> LayerNorm -> GeLU-gated MLP -> dropout -> + y

Initialization:
* forget-gate bias, power law per block (deeper blocks start with longer memories)::

      b_f[h, d] = 0 + 6 * u_d ** p,   u_d = (d + 1/2) / Dh,   d = 0 .. Dh - 1 (same in every head)
      p = 2.0 + (0.5 - 2.0) * block_index / (num_blocks - 1)     (p = 2.0 if num_blocks == 1)

  so every head covers forget gates from sigmoid(~0) = 0.5 (memory ~2 steps) up to sigmoid(~6)
  = 0.9975 (~400 steps); the exponent falls from 2 in the first block to 0.5 in the last, moving
  most channels towards long memories as depth grows (mean bias 6 / (p + 1): 2 -> 4);
* input, cell-input (z) and output gate biases zero;
* gate input weights and recurrent weights "small init" N(0, 2 / (5 * Dh)) per head;
* the MLP down-projection depth-scaled (see :func:`xlstm_ts.nn.layers.output_init_`).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from xlstm_ts import ops
from xlstm_ts.nn.config import XLSTMStackConfig
from xlstm_ts.nn.layers import CausalConv1d, GatedFFN, HeadwiseNorm, small_init_
from xlstm_ts.ops import SLSTMState

FORGET_BIAS_RANGE: tuple[float, float] = (0.0, 6.0)
"""sLSTM forget-gate bias at init spans this range inside every head."""
POWER_FIRST_LAST: tuple[float, float] = (2.0, 0.5)
"""Power-law exponent of the forget-gate bias in the first and in the last block."""
GATE_I, GATE_F, GATE_Z, GATE_O = 0, 1, 2, 3


def powerlaw_forget_bias(head_dim: int, block_index: int, num_blocks: int) -> torch.Tensor:
    """Forget-gate bias of one head at init, (head_dim,), increasing along the head (module docstring)."""
    lo, hi = FORGET_BIAS_RANGE
    p_first, p_last = POWER_FIRST_LAST
    depth = block_index / (num_blocks - 1) if num_blocks > 1 else 0.0
    power = p_first + (p_last - p_first) * depth
    u = (torch.arange(head_dim, dtype=torch.float64) + 0.5) / head_dim
    return (lo + (hi - lo) * u**power).to(torch.get_default_dtype())


class SLSTMBlockState(NamedTuple):
    """Streaming state of one :class:`SLSTMBlock`."""

    conv: torch.Tensor | None
    """Last ``conv_kernel_size - 1`` normalized inputs of the causal conv, (B, K - 1, D); None
    when the block has no conv."""
    cell: SLSTMState
    """sLSTM state h, c, n, m, each (B, H, Dh)."""


class SLSTMBlock(nn.Module):
    """Residual sLSTM block followed by a residual gated MLP; (B, T, D) -> (B, T, D)."""

    def __init__(self, config: XLSTMStackConfig, block_index: int = 0) -> None:
        super().__init__()
        if not 0 <= block_index < config.num_blocks:
            raise ValueError(f"block_index must be in [0, {config.num_blocks}); got {block_index}")
        self.config = config
        self.block_index = block_index
        D, H, Dh = config.embedding_dim, config.num_heads, config.head_dim
        self.norm = nn.LayerNorm(D, bias=config.bias)
        self.conv = CausalConv1d(D, config.conv_kernel_size) if config.slstm_conv else None
        self.input_weight = nn.Parameter(torch.empty(4, H, Dh, Dh))
        """Head-wise gate input weights (gates i, f, z, o): gate g of head h gets u[h] @ W[g, h]."""
        self.recurrent_weight = nn.Parameter(torch.empty(4, H, Dh, Dh))
        """Head-wise recurrent weights r of :func:`xlstm_ts.ops.slstm`."""
        self.gate_bias = nn.Parameter(torch.empty(4, H, Dh))
        """Gate biases b of :func:`xlstm_ts.ops.slstm`, gates (i, f, z, o)."""
        self.outnorm = HeadwiseNorm(H, Dh, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)
        self.ffn_norm = nn.LayerNorm(D, bias=config.bias)
        self.ffn = GatedFFN(D, config.slstm_ffn_dim, config.num_blocks, bias=config.bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initialize as described in the module docstring."""
        cfg = self.config
        self.norm.reset_parameters()
        self.ffn_norm.reset_parameters()
        if self.conv is not None:
            self.conv.reset_parameters()
        small_init_(self.input_weight, cfg.head_dim)
        small_init_(self.recurrent_weight, cfg.head_dim)
        with torch.no_grad():
            self.gate_bias.zero_()
            self.gate_bias[GATE_F] = powerlaw_forget_bias(cfg.head_dim, self.block_index, cfg.num_blocks)
            self.outnorm.weight.fill_(1.0)
            if self.outnorm.bias is not None:
                self.outnorm.bias.zero_()

    def init_state(
        self, batch_size: int, device: torch.device | None = None, dtype: torch.dtype | None = None
    ) -> SLSTMBlockState:
        """Fresh state, equivalent to None: zero conv buffer, zero h, c, n and m = -inf.

        device and dtype default to the parameters'.
        """
        device = self.input_weight.device if device is None else device
        dtype = self.input_weight.dtype if dtype is None else dtype
        cfg = self.config
        shape = (batch_size, cfg.num_heads, cfg.head_dim)
        zeros = torch.zeros(shape, device=device, dtype=dtype)
        cell = SLSTMState(zeros, zeros, zeros, torch.full(shape, float("-inf"), device=device, dtype=dtype))
        conv = None if self.conv is None else self.conv.init_state(batch_size, device, dtype)
        return SLSTMBlockState(conv, cell)

    def _gate_inputs(self, u: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """u, c: (..., D) -> wx (..., 4, H, Dh): i, f from c; z, o from u."""
        H = self.config.num_heads
        # block-diagonal (per head) maps as dense matrices: one matmul per input beats einsum on CPU
        w_if = torch.cat([torch.block_diag(*self.input_weight[g]) for g in (GATE_I, GATE_F)], dim=1)
        w_zo = torch.cat([torch.block_diag(*self.input_weight[g]) for g in (GATE_Z, GATE_O)], dim=1)
        wx_if = (c @ w_if).unflatten(-1, (2, H, -1))
        wx_zo = (u @ w_zo).unflatten(-1, (2, H, -1))
        return torch.cat([wx_if, wx_zo], dim=-3)

    def _output(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """x: (..., D), cell output h: (..., H, Dh) -> block output (..., D)."""
        y = x + self.dropout(self.outnorm(h).flatten(-2))
        return y + self.dropout(self.ffn(self.ffn_norm(y)))

    def forward(
        self, x: torch.Tensor, state: SLSTMBlockState | None = None, return_state: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, SLSTMBlockState]:
        """Run a sequence.

        Args:
            x: (B, T, D).
            state: state after the preceding part of the sequence, or None for a fresh start.
            return_state: also return the state after the last step.

        Returns:
            y (B, T, D), and with return_state the new :class:`SLSTMBlockState`.
        """
        u = self.norm(x)
        conv_state = None
        if self.conv is not None:
            conv_out, conv_state = self.conv(u, None if state is None else state.conv)
            c = F.silu(conv_out)
        else:
            c = u
        h, cell = ops.slstm(
            self._gate_inputs(u, c),
            self.recurrent_weight,
            self.gate_bias,
            initial_state=None if state is None else state.cell,
            return_state=True,
            backend=self.config.backend,
        )
        y = self._output(x, h)
        return (y, SLSTMBlockState(conv_state, cell)) if return_state else y

    def step(
        self, x_t: torch.Tensor, state: SLSTMBlockState | None = None
    ) -> tuple[torch.Tensor, SLSTMBlockState]:
        """One time step: x_t (B, D) -> y_t (B, D) and the new state."""
        u = self.norm(x_t)
        conv_state = None
        if self.conv is not None:
            conv_out, conv_state = self.conv.step(u, None if state is None else state.conv)
            c = F.silu(conv_out)
        else:
            c = u
        h, cell = ops.slstm_step(
            self._gate_inputs(u, c),
            self.recurrent_weight,
            self.gate_bias,
            None if state is None else state.cell,
            backend=self.config.backend,
        )
        return self._output(x_t, h), SLSTMBlockState(conv_state, cell)
