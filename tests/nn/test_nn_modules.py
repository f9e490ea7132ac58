"""Blocks and stack: shapes, dtypes, causality, gradients, initialization, dropout."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from xlstm_ts.nn import MLSTMBlock, SLSTMBlock, XLSTMStack, XLSTMStackConfig, detach_state
from xlstm_ts.ops import MLSTMState, SLSTMState

ConfigFactory = Callable[..., XLSTMStackConfig]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("pattern", ["mmmm", "ssss", "msms"])
def test_shapes_and_dtype_preserved(pattern: str, dtype: torch.dtype, tiny_config: ConfigFactory) -> None:
    cfg = tiny_config(embedding_dim=16, pattern=pattern)
    stack = XLSTMStack(cfg).to(dtype)
    x = torch.randn(3, 11, 16, dtype=dtype)
    y, state = stack(x, return_state=True)
    assert y.shape == (3, 11, 16) and y.dtype == dtype
    y_t, state = stack.step(x[:, 0], state)
    assert y_t.shape == (3, 16) and y_t.dtype == dtype
    for block, block_state, kind in zip(stack.blocks, state, pattern):
        assert isinstance(block, MLSTMBlock if kind == "m" else SLSTMBlock)
        if kind == "m":
            assert isinstance(block_state.cell, MLSTMState)
            assert block_state.conv.shape == (3, cfg.conv_kernel_size - 1, cfg.mlstm_inner_dim)
            assert block_state.cell.C.shape == (3, 2, cfg.mlstm_qk_head_dim, cfg.mlstm_v_head_dim)
        else:
            assert isinstance(block_state.cell, SLSTMState)
            assert block_state.conv.shape == (3, cfg.conv_kernel_size - 1, 16)
            assert block_state.cell.c.shape == (3, 2, 8)
        assert all(t.dtype == dtype for t in block_state.cell)


def test_wrong_input_shapes_raise(tiny_config: ConfigFactory) -> None:
    stack = XLSTMStack(tiny_config())
    with pytest.raises(ValueError, match=r"x must be \(B, T, 8\)"):
        stack(torch.randn(2, 5, 9))
    with pytest.raises(ValueError, match=r"x_t must be \(B, 8\)"):
        stack.step(torch.randn(2, 1, 8))
    with pytest.raises(ValueError, match="state has 1 entries"):
        stack(torch.randn(2, 5, 8), stack.init_state(2)[:1])
    with pytest.raises(ValueError, match="block_index"):
        MLSTMBlock(tiny_config(), 4)


@pytest.mark.parametrize("pattern", ["mmmm", "ssss", "msms"])
def test_causality(pattern: str, tiny_config: ConfigFactory) -> None:
    stack = XLSTMStack(tiny_config(pattern=pattern)).double().eval()
    x = torch.randn(2, 40, 8, dtype=torch.float64)
    t0 = 23
    x2 = x.clone()
    x2[:, t0] += torch.randn(2, 8, dtype=torch.float64)
    with torch.no_grad():
        y, y2 = stack(x), stack(x2)
    torch.testing.assert_close(y2[:, :t0], y[:, :t0], atol=0.0, rtol=0.0)
    assert (y2[:, t0] - y[:, t0]).abs().max() > 1e-6
    assert (y2[:, -1] - y[:, -1]).abs().max() > 1e-9  # the change propagates forward in time


def test_gradients_reach_every_parameter(tiny_config: ConfigFactory) -> None:
    cfg = tiny_config(pattern="msms", bias=True, dropout=0.1)
    stack = XLSTMStack(cfg).double()
    x = torch.randn(2, 24, 8, dtype=torch.float64)
    stack(x).pow(2).mean().backward()
    names = [name for name, _ in stack.named_parameters()]
    assert any("recurrent_weight" in n for n in names) and any("fgate" in n for n in names)
    for name, p in stack.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().max() > 0, name


def test_gradients_through_carried_state(tiny_config: ConfigFactory) -> None:
    stack = XLSTMStack(tiny_config(num_blocks=2, pattern="ms")).double()
    x = torch.randn(1, 10, 8, dtype=torch.float64, requires_grad=True)
    _, state = stack(x[:, :5], return_state=True)
    y = stack(x[:, 5:], state)
    y.sum().backward()
    assert x.grad[:, :5].abs().max() > 0  # the second slice depends on the first through the state


def test_detach_state_cuts_the_graph_and_keeps_the_types(tiny_config: ConfigFactory) -> None:
    stack = XLSTMStack(tiny_config(num_blocks=2, pattern="ms", slstm_conv=False))
    x = torch.randn(1, 6, 8, requires_grad=True)
    _, state = stack(x[:, :3], return_state=True)
    detached = detach_state(state)
    assert [type(s) for s in detached] == [type(s) for s in state]
    assert detached[1].conv is None and type(detached[0].cell) is MLSTMState
    tensors = [t for s in detached for t in (*s.cell, s.conv) if t is not None]
    assert len(tensors) == (3 + 1) + 4 and not any(t.requires_grad for t in tensors)
    stack(x[:, 3:], detached).sum().backward()
    assert torch.all(x.grad[:, :3] == 0)
    torch.testing.assert_close(stack(x[:, 3:], detached), stack(x[:, 3:], state))


def test_mlstm_gate_biases_initialized_for_long_memory(tiny_config: ConfigFactory) -> None:
    cfg = tiny_config(embedding_dim=16, num_heads=4)
    block = MLSTMBlock(cfg, 0)
    torch.testing.assert_close(block.fgate.bias.data, torch.tensor([3.0, 4.0, 5.0, 6.0]))
    assert torch.all(block.fgate.weight == 0) and torch.all(block.igate.weight == 0)
    assert block.igate.bias.abs().max() < 0.5  # N(0, 0.1)
    assert torch.all(block.skip == 1)


def test_slstm_forget_bias_power_law_longer_with_depth(tiny_config: ConfigFactory) -> None:
    cfg = tiny_config(embedding_dim=16, num_heads=2, num_blocks=3, pattern="sss")
    biases = [SLSTMBlock(cfg, j).gate_bias.data for j in range(3)]  # each (4, H, Dh)
    head_dim = cfg.head_dim
    u = (torch.arange(head_dim, dtype=torch.float64) + 0.5) / head_dim
    for j, power in enumerate([2.0, 1.25, 0.5]):  # exponent from 2 (first block) to 0.5 (last)
        expected = (6.0 * u**power).float().expand(2, head_dim)
        torch.testing.assert_close(biases[j][1], expected)
        assert torch.all(biases[j][[0, 2, 3]] == 0)  # i, z, o biases start at zero
        assert torch.all(biases[j][1].diff(dim=-1) > 0)  # spread of time scales inside each head
    assert torch.all(biases[1][1] > biases[0][1]) and torch.all(biases[2][1] > biases[1][1])
    single = SLSTMBlock(tiny_config(num_blocks=1, pattern="s"), 0).gate_bias.data[1, 0]  # Dh = 4
    torch.testing.assert_close(single, torch.tensor([0.09375, 0.84375, 2.34375, 4.59375]))  # p = 2


def test_stack_follows_config_block_types(tiny_config: ConfigFactory) -> None:
    stack = XLSTMStack(tiny_config(num_blocks=8, ratio="7:1"))
    kinds = ["s" if isinstance(b, SLSTMBlock) else "m" for b in stack.blocks]
    assert kinds == list("mmmmmmms")
    assert [b.block_index for b in stack.blocks] == list(range(8))


def test_dropout_is_active_in_training_and_off_in_eval(tiny_config: ConfigFactory) -> None:
    stack = XLSTMStack(tiny_config(pattern="msms", dropout=0.5)).double()
    x = torch.randn(2, 12, 8, dtype=torch.float64)
    stack.train()
    assert not torch.allclose(stack(x), stack(x))
    stack.eval()
    with torch.no_grad():
        torch.testing.assert_close(stack(x), stack(x), atol=0.0, rtol=0.0)
        no_dropout = XLSTMStack(tiny_config(pattern="msms", dropout=0.0)).double().eval()
        no_dropout.load_state_dict(stack.state_dict())
        torch.testing.assert_close(stack(x), no_dropout(x), atol=0.0, rtol=0.0)


def test_num_parameters_and_default_sizes(tiny_config: ConfigFactory) -> None:
    stack = XLSTMStack(tiny_config())
    assert stack.num_parameters() == sum(p.numel() for p in stack.parameters())
    stack.norm.weight.requires_grad_(False)
    assert stack.num_parameters() == stack.num_parameters(trainable_only=False) - 8
    default = XLSTMStack(XLSTMStackConfig(backend="torch"))
    x = torch.randn(1, 5, 128)
    assert default(x).shape == (1, 5, 128)
    assert math.isfinite(default(x).sum().item())


def _conv_grad(block: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    block.zero_grad()
    block(x).pow(2).sum().backward()
    return torch.cat([block.conv.weight.grad.flatten(), block.conv.bias.grad.flatten()])


def test_mlstm_wiring_conv_feeds_q_k_and_skip_but_not_v(tiny_config: ConfigFactory) -> None:
    block = MLSTMBlock(tiny_config(), 0).double()
    x = torch.randn(2, 7, 8, dtype=torch.float64)
    assert _conv_grad(block, x).abs().max() > 0
    with torch.no_grad():
        block.q_proj.weight.zero_()
        block.k_proj.weight.zero_()
        block.skip.zero_()
    # the gate weights start at zero, so with q, k and the skip cut only v could still see the conv
    assert torch.all(_conv_grad(block, x) == 0)


def test_slstm_wiring_conv_feeds_only_the_input_and_forget_gates(tiny_config: ConfigFactory) -> None:
    block = SLSTMBlock(tiny_config(), 0).double()
    x = torch.randn(2, 7, 8, dtype=torch.float64)
    assert _conv_grad(block, x).abs().max() > 0
    with torch.no_grad():
        block.input_weight[:2].zero_()  # i, f blind: z, o must not see the conv
    assert torch.all(_conv_grad(block, x) == 0)
