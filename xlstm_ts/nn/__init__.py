"""Neural-network layer of xlstm-ts: mLSTM / sLSTM residual blocks and their stack.

All modules take channels-last sequences (B, T, D) and support both whole-sequence ``forward``
(optionally continuing from and returning a state) and O(1)-memory ``step`` streaming.
"""

from __future__ import annotations

from xlstm_ts.nn.config import XLSTMStackConfig
from xlstm_ts.nn.mlstm_block import MLSTMBlock, MLSTMBlockState
from xlstm_ts.nn.slstm_block import SLSTMBlock, SLSTMBlockState
from xlstm_ts.nn.stack import XLSTMStack, XLSTMStackState, detach_state

__all__ = [
    "MLSTMBlock",
    "MLSTMBlockState",
    "SLSTMBlock",
    "SLSTMBlockState",
    "XLSTMStack",
    "XLSTMStackConfig",
    "XLSTMStackState",
    "detach_state",
]
