"""Small building blocks shared by the mLSTM and sLSTM blocks.

Every layer here works on channels-last tensors with any leading dimensions, except the causal
convolution, which mixes over time and therefore takes (B, T, C) sequences or (B, C) single steps.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def small_init_(weight: torch.Tensor, fan_in: int) -> torch.Tensor:
    """Normal init with std sqrt(2 / (5 * fan_in)) ("small init", Nguyen & Salazar 2019)."""
    return nn.init.normal_(weight, mean=0.0, std=math.sqrt(2.0 / (5.0 * fan_in)))


def output_init_(weight: torch.Tensor, fan_in: int, num_blocks: int) -> torch.Tensor:
    """Normal init with std 2 / (num_blocks * sqrt(fan_in)) for projections into the residual stream.

    Shrinks with depth so that the sum of the residual branches keeps its scale (Wang's init).
    """
    return nn.init.normal_(weight, mean=0.0, std=2.0 / (num_blocks * math.sqrt(fan_in)))


class CausalConv1d(nn.Module):
    """Causal depthwise 1-d convolution over time with a streaming buffer.

    Output at step t sees inputs t - kernel_size + 1 .. t only. The state is the buffer of the
    last ``kernel_size - 1`` inputs, (B, kernel_size - 1, C); None means zeros (a fresh sequence).
    """

    def __init__(self, channels: int, kernel_size: int) -> None:
        super().__init__()
        if kernel_size < 1:
            raise ValueError(f"kernel_size must be >= 1; got {kernel_size}")
        self.channels = channels
        self.kernel_size = kernel_size
        self.weight = nn.Parameter(torch.empty(channels, kernel_size))
        """(C, K): tap k multiplies the input k - K + 1 steps back (the last tap is "now")."""
        self.bias = nn.Parameter(torch.empty(channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.kernel_size)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def init_state(
        self, batch_size: int, device: torch.device | None = None, dtype: torch.dtype | None = None
    ) -> torch.Tensor:
        """Zero buffer (B, K - 1, C)."""
        return torch.zeros(batch_size, self.kernel_size - 1, self.channels, device=device, dtype=dtype)

    def forward(
        self, x: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, T, C), state: (B, K - 1, C) or None -> y (B, T, C) and the new buffer (B, K - 1, C)."""
        if state is None:
            state = self.init_state(x.shape[0], x.device, x.dtype)
        padded = torch.cat([state, x], dim=1)  # (B, K - 1 + T, C)
        T = x.shape[1]
        # K shifted multiply-adds: PyTorch's depthwise conv1d backward is very slow on CPU
        y = self.bias + padded[:, :T] * self.weight[:, 0]
        for tap in range(1, self.kernel_size):
            y = y + padded[:, tap : tap + T] * self.weight[:, tap]
        return y, padded[:, padded.shape[1] - (self.kernel_size - 1) :]

    def step(self, x_t: torch.Tensor, state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x_t: (B, C), state: (B, K - 1, C) or None -> y_t (B, C) and the new buffer."""
        if state is None:
            state = self.init_state(x_t.shape[0], x_t.device, x_t.dtype)
        window = torch.cat([state, x_t[:, None]], dim=1)  # (B, K, C)
        y_t = torch.einsum("bkc,ck->bc", window, self.weight) + self.bias
        return y_t, window[:, 1:]


BATCHED_HEAD_MIN_FEATURES = 32
"""Heads at least this wide (in and out) are applied as a batched product over heads; narrower
ones as one dense block-diagonal matmul. Measured fwd+bwd at 1 thread (9,184 rows): 4 heads of 64:
dense 133 ms, batched 44 ms; 4 of 32: 33 / 16 ms; 2 heads of 16 (7,125 rows): 0.8 / 1.1 ms."""


class HeadwiseLinear(nn.Module):
    """Block-diagonal linear map: each of H heads maps its own ``in_features`` slice independently.

    (..., H * in_features) -> (..., H * out_features); weight (H, in_features, out_features).
    """

    def __init__(self, num_heads: int, in_features: int, out_features: int, bias: bool = False) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(num_heads, in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(num_heads * out_features)) if bias else None
        small_init_(self.weight, in_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (..., H * in_features) -> (..., H * out_features)."""
        H, i, o = self.num_heads, self.in_features, self.out_features
        if H == 1:
            return F.linear(x, self.weight[0].T, self.bias)
        if min(i, o) < BATCHED_HEAD_MIN_FEATURES:
            # tiny heads: one dense matmul with the block-diagonal matrix beats a batched product
            return F.linear(x, torch.block_diag(*self.weight).T, self.bias)
        lead = x.shape[:-1]
        y = torch.bmm(x.reshape(-1, H, i).transpose(0, 1), self.weight)  # (H, N, o): 1/H of the dense FLOPs
        y = y.transpose(0, 1).reshape(*lead, H * o)
        return y if self.bias is None else y + self.bias


class HeadwiseNorm(nn.Module):
    """Per-head layer norm (GroupNorm with one group per head) with a per-channel scale.

    (..., H, Dh) -> (..., H, Dh): each head is normalized over its own Dh channels.
    """

    def __init__(self, num_heads: int, head_dim: int, bias: bool = False, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_heads, head_dim))
        self.bias = nn.Parameter(torch.zeros(num_heads, head_dim)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (..., H, Dh) -> (..., H, Dh)."""
        y = F.layer_norm(x, x.shape[-1:], eps=self.eps) * self.weight
        return y if self.bias is None else y + self.bias


class GatedFFN(nn.Module):
    """GeLU-gated MLP: down(gelu(gate(x)) * up(x)); (..., D) -> (..., D)."""

    def __init__(self, dim: int, hidden_dim: int, num_blocks: int, bias: bool = False) -> None:
        super().__init__()
        self.hidden_dim = hidden_dim
        self.proj_up = nn.Linear(dim, 2 * hidden_dim, bias=bias)
        """(gate, up) halves, each hidden_dim wide."""
        self.proj_down = nn.Linear(hidden_dim, dim, bias=bias)
        small_init_(self.proj_up.weight, dim)
        output_init_(self.proj_down.weight, hidden_dim, num_blocks)
        for linear in (self.proj_up, self.proj_down):
            if linear.bias is not None:
                nn.init.zeros_(linear.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (..., D) -> (..., D)."""
        gate, up = self.proj_up(x).chunk(2, dim=-1)
        return self.proj_down(F.gelu(gate) * up)
