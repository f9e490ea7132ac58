"""Configuration of an xLSTM block stack (one flat dataclass).

Placement rule for xLSTM[a:b] (``ratio="a:b"``, a mLSTM blocks per b sLSTM blocks):

* The number of sLSTM blocks is ``n_s = N * b / (a + b)`` rounded to the nearest integer, ties
  going to mLSTM (the cheaper, parallel block), N = ``num_blocks``.
* When both a > 0 and b > 0 and N >= 2, ``n_s`` is clamped to ``[1, N - 1]`` so that both block
  types are present (e.g. "7:1" with 4 blocks still gets one sLSTM block).
* The sLSTM blocks are spread evenly over the stack: block j (0-based) is sLSTM iff
  ``floor((j + 1) * n_s / N) > floor(j * n_s / N)``. When N is a multiple of a + b this is the same
  as cutting the stack into groups of a + b blocks and spreading b sLSTM blocks evenly over each
  group, the last block of every group being sLSTM: "1:1" x 4 -> "msms", "3:1" x 8 -> "mmmsmmms",
  "7:1" x 8 -> "mmmmmmms", "1:2" x 3 -> "mss".

An explicit ``pattern`` (e.g. "msms") overrides ``ratio``; its length must equal ``num_blocks``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

BlockType = Literal["m", "s"]
MLSTMForm = Literal["auto", "parallel", "chunkwise", "recurrent"]
Backend = Literal["auto", "torch", "triton"]

_FORMS: tuple[str, ...] = ("auto", "parallel", "chunkwise", "recurrent")
_BACKENDS: tuple[str, ...] = ("auto", "torch", "triton")
_RATIO_RE = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")
FFN_DIM_MULTIPLE = 8
"""The sLSTM block's feed-forward width is rounded up to a multiple of this."""


def parse_ratio(ratio: str) -> tuple[int, int]:
    """Parse "a:b" into (a, b): non-negative integers, not both zero.

    Raises:
        ValueError: with the offending value and the expected format.
    """
    if not isinstance(ratio, str):
        raise ValueError(f"ratio must be a string 'a:b' such as '1:1' or '7:1'; got {ratio!r}")
    match = _RATIO_RE.match(ratio)
    if match is None:
        raise ValueError(
            f"ratio must look like 'a:b' with non-negative integers (a mLSTM blocks per b sLSTM "
            f"blocks), e.g. '1:1', '7:1', '1:0'; got {ratio!r}"
        )
    a, b = int(match.group(1)), int(match.group(2))
    if a == 0 and b == 0:
        raise ValueError(f"ratio {ratio!r} has no blocks: at least one of a, b in 'a:b' must be > 0")
    return a, b


def pattern_from_ratio(ratio: str, num_blocks: int) -> tuple[BlockType, ...]:
    """Block types for xLSTM[a:b] over ``num_blocks`` blocks (rule in the module docstring)."""
    a, b = parse_ratio(ratio)
    n = num_blocks
    # round-half-down of n * b / (a + b), in exact integer arithmetic
    n_s = (2 * n * b + (a + b) - 1) // (2 * (a + b))
    if a > 0 and b > 0 and n >= 2:
        n_s = min(max(n_s, 1), n - 1)
    return tuple("s" if (j + 1) * n_s // n > j * n_s // n else "m" for j in range(n))


def validate_pattern(pattern: str, num_blocks: int) -> tuple[BlockType, ...]:
    """Check an explicit pattern such as "msms" and return it as a tuple of block types."""
    if not isinstance(pattern, str) or not pattern:
        raise ValueError(f"pattern must be a non-empty string of 'm'/'s' characters; got {pattern!r}")
    bad = sorted({c for c in pattern if c not in "ms"})
    if bad:
        raise ValueError(
            f"pattern {pattern!r} has invalid characters {bad}: use only 'm' (mLSTM block) and "
            f"'s' (sLSTM block), lower case"
        )
    if len(pattern) != num_blocks:
        raise ValueError(
            f"pattern {pattern!r} describes {len(pattern)} blocks but num_blocks={num_blocks}; "
            f"set num_blocks={len(pattern)}"
        )
    return tuple(pattern)  # type: ignore[return-value]


def _round_up(value: float, multiple: int) -> int:
    # round first so that e.g. 4/3 * 96 = 128.00000000000003 does not become 136
    return math.ceil(round(value, 6) / multiple) * multiple


@dataclass(frozen=True)
class XLSTMStackConfig:
    """Hyper-parameters of :class:`xlstm_ts.nn.XLSTMStack` and its blocks.

    Frozen: use ``dataclasses.replace(config, field=value)`` to derive a variant (it re-validates).
    """

    embedding_dim: int = 128
    """Model width D: the input and output size of every block."""
    num_blocks: int = 4
    """Number of residual blocks in the stack."""
    ratio: str = "1:1"
    """xLSTM[a:b] as "a:b": a mLSTM blocks per b sLSTM blocks ("1:0" all mLSTM, "0:1" all sLSTM)."""
    pattern: str | None = None
    """Explicit block sequence such as "msms" ('m' mLSTM, 's' sLSTM); overrides ``ratio``."""
    num_heads: int = 4
    """Heads of both cells; must divide ``embedding_dim``."""
    mlstm_proj_factor: float = 2.0
    """mLSTM inner width = this * D, rounded up to a multiple of ``num_heads``."""
    mlstm_qk_dim_factor: float = 1.0
    """Per-head query/key size as a fraction of the per-head value size (at least 1)."""
    conv_kernel_size: int = 4
    """Width of the causal depthwise convolutions (1 = no temporal mixing)."""
    slstm_conv: bool = True
    """Feed the sLSTM input and forget gates through a causal conv + SiLU (z and o never are)."""
    slstm_ffn_proj_factor: float = 4.0 / 3.0
    """Gated-MLP width after an sLSTM block = this * D, rounded up to a multiple of 8."""
    dropout: float = 0.0
    """Dropout on every block's output branch before the residual add."""
    chunk_size: int = 64
    """Chunk length of the chunkwise mLSTM form (see :func:`xlstm_ts.ops.mlstm`)."""
    mlstm_form: MLSTMForm = "auto"
    """mLSTM sequence form: "auto", "parallel", "chunkwise" or "recurrent"."""
    backend: Backend = "auto"
    """Cell backend: "auto", "torch" or "triton" (see :mod:`xlstm_ts.ops.dispatch`)."""
    bias: bool = False
    """Biases in the LayerNorms and the up/down/q/k/v/FFN projections (gates always have biases)."""

    def __post_init__(self) -> None:
        for name in ("embedding_dim", "num_blocks", "num_heads", "conv_kernel_size", "chunk_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
        if self.embedding_dim % self.num_heads != 0:
            raise ValueError(
                f"embedding_dim={self.embedding_dim} must be divisible by num_heads={self.num_heads}"
            )
        for name in ("mlstm_proj_factor", "mlstm_qk_dim_factor", "slstm_ffn_proj_factor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a number > 0; got {value!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {self.dropout!r}")
        if self.mlstm_form not in _FORMS:
            raise ValueError(f"mlstm_form must be one of {_FORMS}; got {self.mlstm_form!r}")
        if self.backend not in _BACKENDS:
            raise ValueError(f"backend must be one of {_BACKENDS}; got {self.backend!r}")
        parse_ratio(self.ratio)
        if self.pattern is not None:
            validate_pattern(self.pattern, self.num_blocks)

    @property
    def block_types(self) -> tuple[BlockType, ...]:
        """'m' / 's' per block, from ``pattern`` if given, else from ``ratio`` (module docstring)."""
        if self.pattern is not None:
            return validate_pattern(self.pattern, self.num_blocks)
        return pattern_from_ratio(self.ratio, self.num_blocks)

    @property
    def head_dim(self) -> int:
        """Per-head width of the sLSTM cell, D / num_heads."""
        return self.embedding_dim // self.num_heads

    @property
    def mlstm_inner_dim(self) -> int:
        """mLSTM inner width: ``mlstm_proj_factor * D`` rounded up to a multiple of num_heads."""
        return _round_up(self.mlstm_proj_factor * self.embedding_dim, self.num_heads)

    @property
    def mlstm_v_head_dim(self) -> int:
        """Per-head value (and hidden) size of the mLSTM cell."""
        return self.mlstm_inner_dim // self.num_heads

    @property
    def mlstm_qk_head_dim(self) -> int:
        """Per-head query/key size of the mLSTM cell: ``round(qk_dim_factor * v_head_dim)``, >= 1."""
        return max(1, round(self.mlstm_qk_dim_factor * self.mlstm_v_head_dim))

    @property
    def slstm_ffn_dim(self) -> int:
        """Hidden width of the gated MLP after an sLSTM block."""
        return _round_up(self.slstm_ffn_proj_factor * self.embedding_dim, FFN_DIM_MULTIPLE)
