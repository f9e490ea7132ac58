"""The cycle phase of benchmark windows, for networks with a learnable cycle (``cycle_length > 0``).

:class:`PhaseWindows` wraps a :class:`~xlstm_ts.data.windows.WindowDataset` and appends the phase
channel that :class:`~xlstm_ts.models.XLSTMForecastNet` reads (see :mod:`xlstm_ts.models.cycle`);
:func:`phase_loaders` gives a data module's three loaders with it. The data module itself is
unchanged: the phase of a window is the source-file row of its first input step (its public
``window_rows``) modulo the cycle length.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset


class PhaseWindows(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """A window dataset whose ``x`` carries one more channel: the cycle phase of each input step.

    Item ``i`` is ``(cat([x, phase], -1), y)`` with ``x`` (L, C_in) -> (L, C_in + 1) and phase
    ``(row of step t) mod cycle_length``; the row is the source-file row of the window's first
    input step (``windows.window_rows(i)``), so train, validation and test share one clock.

    Args:
        windows: a :class:`~xlstm_ts.data.windows.WindowDataset` (anything with ``__len__``,
            ``__getitem__ -> (x, y)`` and ``window_rows(i) -> (x_rows, y_rows)``).
        cycle_length: the period of the cycle in rows (>= 1).
    """

    def __init__(self, windows: Any, cycle_length: int) -> None:
        if isinstance(cycle_length, bool) or not isinstance(cycle_length, int) or cycle_length < 1:
            raise ValueError(f"cycle_length must be an integer >= 1; got {cycle_length!r}")
        self.windows = windows
        self.cycle_length = cycle_length
        self.lookback: int = windows.lookback
        self.horizon: int = windows.horizon
        self._steps = torch.arange(windows.lookback, dtype=torch.int64)

    def __len__(self) -> int:
        return len(self.windows)

    def phase(self, index: int) -> int:
        """The phase of window ``index``'s first input step."""
        return self.windows.window_rows(index)[0].start % self.cycle_length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self.windows[index]
        phases = torch.remainder(self._steps + self.phase(index), self.cycle_length).to(x.dtype)  # (L,)
        return torch.cat([x, phases[:, None]], dim=-1), y  # (L, C_in + 1), (H, C_out)


def with_phase(loader: DataLoader, cycle_length: int) -> DataLoader:
    """The same loader (batch size, order, workers) over ``PhaseWindows(loader.dataset, cycle_length)``.

    Raises:
        ValueError: the loader does not batch a window dataset item by item (no ``batch_size``,
            or a dataset without ``window_rows``), so the phase of its windows is unknown.
    """
    dataset = loader.dataset
    if loader.batch_size is None or not hasattr(dataset, "window_rows"):
        raise ValueError(
            "a network with cycle_length > 0 needs the phase of each window: the loader must batch a "
            f"WindowDataset (with window_rows) item by item; got {type(dataset).__name__} with batch_size="
            f"{loader.batch_size}"
        )
    shuffle = isinstance(loader.sampler, torch.utils.data.RandomSampler)
    return DataLoader(
        PhaseWindows(dataset, cycle_length),
        batch_size=loader.batch_size,
        shuffle=shuffle,
        drop_last=loader.drop_last,
        num_workers=loader.num_workers,
        persistent_workers=loader.persistent_workers,
        pin_memory=loader.pin_memory,
    )


def network_cycle_length(network: Any) -> int:
    """The network's ``config.cycle_length`` (0 when it has none)."""
    return int(getattr(getattr(network, "config", None), "cycle_length", 0) or 0)


def phase_loader(loader: DataLoader, network: Any) -> DataLoader:
    """``loader`` with the phase channel when ``network`` has a cycle, else ``loader`` unchanged."""
    cycle = network_cycle_length(network)
    return with_phase(loader, cycle) if cycle > 0 else loader
