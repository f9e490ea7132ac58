"""Small forecasting layers: instance normalization, series decomposition, patching."""

from __future__ import annotations

import torch
from torch import nn


class RevIN(nn.Module):
    """Reversible instance normalization (Kim et al., 2022) over the time axis.

    `normalize` standardizes each window per channel and remembers the statistics;
    `denormalize` maps a forecast back. Optionally with a learnable per-channel affine map.
    """

    def __init__(self, n_channels: int, affine: bool = False, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = nn.Parameter(torch.ones(n_channels))
            self.bias = nn.Parameter(torch.zeros(n_channels))

    def normalize(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """x (B, L, C) -> normalized x (B, L, C) and the (mean, std) each (B, 1, C)."""
        mean = x.mean(dim=1, keepdim=True).detach()
        std = torch.sqrt(x.var(dim=1, keepdim=True, unbiased=False) + self.eps).detach()
        x = (x - mean) / std
        if self.affine:
            x = x * self.weight + self.bias
        return x, (mean, std)

    def denormalize(self, y: torch.Tensor, stats: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """y (B, H, C) in normalized units -> data units, with the statistics from `normalize`."""
        mean, std = stats
        if self.affine:
            y = (y - self.bias) / (self.weight + self.eps * self.eps)
        return y * std + mean


class MovingAverageDecomposition(nn.Module):
    """Split x (B, L, C) into trend (centred moving average, edges replicated) and remainder."""

    def __init__(self, kernel_size: int) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.pool = nn.AvgPool1d(kernel_size, stride=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        half = (self.kernel_size - 1) // 2
        padded = torch.cat([x[:, :1].expand(-1, half, -1), x, x[:, -1:].expand(-1, half, -1)], dim=1)
        trend = self.pool(padded.transpose(1, 2)).transpose(1, 2)  # (B, L, C)
        return x - trend, trend


def patchify(series: torch.Tensor, patch_len: int, stride: int) -> torch.Tensor:
    """Cut series (N, L) into overlapping patches (N, num_patches, patch_len).

    The end is padded with `stride` copies of the last value, as PatchTST does, so the most
    recent steps always fall in a full patch.
    """
    padded = torch.cat([series, series[:, -1:].expand(-1, stride)], dim=1)
    return padded.unfold(dimension=1, size=patch_len, step=stride)
