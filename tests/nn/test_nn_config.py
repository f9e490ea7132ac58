"""XLSTMStackConfig: block placement for xLSTM[a:b], validation, derived sizes."""

from __future__ import annotations

import dataclasses

import pytest

from xlstm_ts.nn import XLSTMStackConfig


def types(ratio: str, num_blocks: int) -> str:
    cfg = XLSTMStackConfig(embedding_dim=8, num_heads=2, num_blocks=num_blocks, ratio=ratio)
    return "".join(cfg.block_types)


def test_all_mlstm_and_all_slstm() -> None:
    assert types("1:0", 5) == "mmmmm"
    assert types("0:1", 5) == "sssss"
    assert types("3:0", 2) == "mm"


def test_seven_to_one_has_exactly_one_slstm_per_eight() -> None:
    assert types("7:1", 8) == "mmmmmmms"
    assert types("7:1", 16) == "mmmmmmmsmmmmmmms"


def test_one_to_one_alternates() -> None:
    pattern = types("1:1", 4)
    assert pattern == "msms"
    assert pattern.count("m") == pattern.count("s") == 2


@pytest.mark.parametrize("a, b", [(1, 1), (3, 1), (7, 1), (1, 2), (2, 3), (1, 3)])
@pytest.mark.parametrize("groups", [1, 2, 3])
def test_every_group_of_a_plus_b_has_b_slstm_blocks_last_one_slstm(a: int, b: int, groups: int) -> None:
    g = a + b
    pattern = types(f"{a}:{b}", groups * g)
    for start in range(0, groups * g, g):
        group = pattern[start : start + g]
        assert group.count("s") == b, pattern
        assert group[-1] == "s", pattern


def test_num_blocks_not_a_multiple_of_the_group() -> None:
    # nearest count, ties to mLSTM, but both kinds kept when both are asked for
    assert types("7:1", 4) == "mmms"
    assert types("1:1", 3) == "mms"
    assert types("1:1", 5) == "mmsms"  # 2 of 5, spread evenly, last block sLSTM
    assert types("1:3", 2) == "ms"
    assert types("1:1", 1) == "m"


def test_ratio_whitespace_tolerated() -> None:
    assert types(" 1 : 1 ", 2) == "ms"


def test_explicit_pattern_overrides_ratio() -> None:
    cfg = XLSTMStackConfig(embedding_dim=8, num_heads=2, num_blocks=4, ratio="1:0", pattern="ssmm")
    assert cfg.block_types == ("s", "s", "m", "m")


@pytest.mark.parametrize("ratio", ["1-1", "a:b", "1:1:1", "-1:2", "1.5:1", "", "11"])
def test_bad_ratio_format_raises(ratio: str) -> None:
    with pytest.raises(ValueError, match="ratio must look like 'a:b'"):
        XLSTMStackConfig(ratio=ratio)


def test_zero_zero_ratio_raises() -> None:
    with pytest.raises(ValueError, match="at least one of a, b"):
        XLSTMStackConfig(ratio="0:0")


def test_non_string_ratio_raises() -> None:
    with pytest.raises(ValueError, match="ratio must be a string"):
        XLSTMStackConfig(ratio=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("pattern", ["mxsm", "MSMS", "m sm"])
def test_bad_pattern_characters_raise(pattern: str) -> None:
    with pytest.raises(ValueError, match="invalid characters"):
        XLSTMStackConfig(num_blocks=4, pattern=pattern)


def test_pattern_length_must_match_num_blocks() -> None:
    with pytest.raises(ValueError, match="set num_blocks=3"):
        XLSTMStackConfig(num_blocks=4, pattern="msm")
    with pytest.raises(ValueError, match="non-empty"):
        XLSTMStackConfig(num_blocks=4, pattern="")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"embedding_dim": 10, "num_heads": 4}, "divisible by num_heads"),
        ({"embedding_dim": 0}, "embedding_dim must be an integer >= 1"),
        ({"num_blocks": 0}, "num_blocks"),
        ({"num_heads": 2.0}, "num_heads"),
        ({"conv_kernel_size": 0}, "conv_kernel_size"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"mlstm_proj_factor": 0.0}, "mlstm_proj_factor"),
        ({"mlstm_qk_dim_factor": -1.0}, "mlstm_qk_dim_factor"),
        ({"slstm_ffn_proj_factor": 0}, "slstm_ffn_proj_factor"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"mlstm_form": "quadratic"}, "mlstm_form"),
        ({"backend": "cuda"}, "backend"),
    ],
)
def test_invalid_fields_raise_with_the_field_name(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        XLSTMStackConfig(**kwargs)


def test_derived_sizes() -> None:
    cfg = XLSTMStackConfig()
    sizes = (cfg.head_dim, cfg.mlstm_inner_dim, cfg.mlstm_v_head_dim, cfg.mlstm_qk_head_dim)
    assert sizes == (32, 256, 64, 64)
    assert cfg.slstm_ffn_dim == 176  # 4/3 * 128 = 170.7 -> next multiple of 8
    assert XLSTMStackConfig(embedding_dim=96).slstm_ffn_dim == 128  # exact 128, not rounded past it
    odd = XLSTMStackConfig(embedding_dim=12, num_heads=4, mlstm_proj_factor=1.3, mlstm_qk_dim_factor=0.5)
    assert odd.mlstm_inner_dim == 16  # 15.6 rounded up to a multiple of 4 heads
    assert odd.mlstm_qk_head_dim == 2


def test_frozen_and_replace_revalidates() -> None:
    cfg = XLSTMStackConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.dropout = 0.5  # type: ignore[misc]
    assert dataclasses.replace(cfg, dropout=0.5).dropout == 0.5
    with pytest.raises(ValueError, match="ratio"):
        dataclasses.replace(cfg, ratio="x")
