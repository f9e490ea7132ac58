"""A learnable periodic component: residual cycle forecasting (the idea of CycleNet, Lin et al., 2024).

A table Q of shape (cycle_length, C) holds one learnable value per phase of the cycle and channel
(e.g. per hour of the day for hourly data). A window whose first input step has phase p reads
``Q[(p + t) mod cycle_length]`` at its input steps t = 0..L-1 and at its forecast steps
t = L..L+H-1. The network subtracts the input steps' cycle values from the window, forecasts the
residual, and adds the forecast steps' cycle values back.

The phase travels with the data: :class:`xlstm_ts.pipeline.phase.PhaseWindows` wraps a window dataset and appends a
*phase channel* to ``x`` (the phase of every input step, as float), which
:class:`~xlstm_ts.models.XLSTMForecastNet` with ``cycle_length > 0`` reads and strips, so the
training core, ``predict_windows`` and the loaders stay as they are. The phase of a benchmark row
is its row index in the file modulo the cycle length (the files are regular and start at
midnight, so for ETTh with 24 it is the hour of the day).
"""

from __future__ import annotations

import torch
from torch import nn


def cycle_indices(phase: torch.Tensor, length: int, cycle_length: int, offset: int = 0) -> torch.Tensor:
    """Phases (B, length) of the steps ``offset .. offset + length - 1`` of windows starting at ``phase`` (B,)."""
    steps = torch.arange(offset, offset + length, device=phase.device)
    return torch.remainder(phase.long()[:, None] + steps, cycle_length)  # (B, length)


class CycleTable(nn.Module):
    """The learnable cycle Q (cycle_length, C), zero at the start (the network begins as without it).

    ``forward(phase, length, offset)`` returns the cycle values (B, length, C) of the steps
    ``offset ..`` of windows whose first step has phase ``phase`` (B,) (any integers; taken modulo
    the cycle length).
    """

    def __init__(self, cycle_length: int, n_channels: int) -> None:
        super().__init__()
        if cycle_length < 1 or n_channels < 1:
            raise ValueError(f"cycle_length and n_channels must be >= 1; got {cycle_length}, {n_channels}")
        self.cycle_length = cycle_length
        self.table = nn.Parameter(torch.zeros(cycle_length, n_channels))  # Q: (cycle_length, C)

    def forward(self, phase: torch.Tensor, length: int, offset: int = 0) -> torch.Tensor:
        return self.table[cycle_indices(phase, length, self.cycle_length, offset)]  # (B, length, C)


def phase_of_channel(x: torch.Tensor, cycle_length: int) -> torch.Tensor:
    """The phase (B,) of the first step from the phase channel ``x[:, 0, -1]`` (rounded, mod cycle)."""
    return torch.remainder(torch.round(x[:, 0, -1]).long(), cycle_length)
