"""A stack of mLSTM / sLSTM residual blocks with a final LayerNorm."""

from __future__ import annotations

import torch
from torch import nn

from xlstm_ts.nn.config import XLSTMStackConfig
from xlstm_ts.nn.mlstm_block import MLSTMBlock, MLSTMBlockState
from xlstm_ts.nn.slstm_block import SLSTMBlock, SLSTMBlockState

BlockState = MLSTMBlockState | SLSTMBlockState
XLSTMStackState = tuple[BlockState, ...]
"""One state per block, in block order."""


def detach_state(state: XLSTMStackState | BlockState) -> XLSTMStackState | BlockState:
    """The same (nested) state with every tensor detached from the autograd graph.

    For truncated back-propagation through time: carry the state across batches, not gradients.
    """
    if isinstance(state, torch.Tensor):
        return state.detach()
    if state is None:
        return None
    items = [detach_state(item) for item in state]
    return type(state)(*items) if hasattr(state, "_fields") else type(state)(items)


class XLSTMStack(nn.Module):
    """xLSTM blocks in the order of ``config.block_types``, then LayerNorm; (B, T, D) -> (B, T, D).

    ``forward`` runs whole sequences (mLSTM in its parallel/chunkwise form); ``step`` runs one
    time step with O(1) memory. Both accept and can return the per-block state, so a sequence may
    be processed in slices or streamed step by step with the same result.
    """

    def __init__(self, config: XLSTMStackConfig) -> None:
        super().__init__()
        self.config = config
        block_classes = {"m": MLSTMBlock, "s": SLSTMBlock}
        self.blocks = nn.ModuleList(
            block_classes[kind](config, index) for index, kind in enumerate(config.block_types)
        )
        self.norm = nn.LayerNorm(config.embedding_dim, bias=config.bias)

    def _check_state(self, state: XLSTMStackState | None) -> None:
        if state is not None and len(state) != len(self.blocks):
            raise ValueError(f"state has {len(state)} entries but the stack has {len(self.blocks)} blocks")

    def init_state(
        self, batch_size: int, device: torch.device | None = None, dtype: torch.dtype | None = None
    ) -> XLSTMStackState:
        """Fresh state for every block (equivalent to None); device/dtype default to the parameters'."""
        reference = next(self.parameters())
        device = reference.device if device is None else device
        dtype = reference.dtype if dtype is None else dtype
        return tuple(block.init_state(batch_size, device, dtype) for block in self.blocks)

    def forward(
        self, x: torch.Tensor, state: XLSTMStackState | None = None, return_state: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, XLSTMStackState]:
        """Run a sequence.

        Args:
            x: (B, T, D).
            state: stack state after the preceding part of the sequence, or None.
            return_state: also return the state after the last step.

        Returns:
            y (B, T, D), and with return_state the new state (one entry per block).
        """
        if x.dim() != 3 or x.shape[-1] != self.config.embedding_dim:
            raise ValueError(f"x must be (B, T, {self.config.embedding_dim}); got {tuple(x.shape)}")
        self._check_state(state)
        new_state = []
        for index, block in enumerate(self.blocks):
            x, block_state = block(x, None if state is None else state[index], return_state=True)
            new_state.append(block_state)
        y = self.norm(x)
        return (y, tuple(new_state)) if return_state else y

    def step(
        self, x_t: torch.Tensor, state: XLSTMStackState | None = None
    ) -> tuple[torch.Tensor, XLSTMStackState]:
        """One time step: x_t (B, D) -> y_t (B, D) and the new state."""
        if x_t.dim() != 2 or x_t.shape[-1] != self.config.embedding_dim:
            raise ValueError(f"x_t must be (B, {self.config.embedding_dim}); got {tuple(x_t.shape)}")
        self._check_state(state)
        new_state = []
        for index, block in enumerate(self.blocks):
            x_t, block_state = block.step(x_t, None if state is None else state[index])
            new_state.append(block_state)
        return self.norm(x_t), tuple(new_state)

    def num_parameters(self, trainable_only: bool = True) -> int:
        """Number of parameter elements (only those with requires_grad if ``trainable_only``)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)
