"""forward over a sequence == a loop of step == forward over slices with the state carried (fp64)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from xlstm_ts.nn import MLSTMBlock, SLSTMBlock, XLSTMStack, XLSTMStackConfig

ConfigFactory = Callable[..., XLSTMStackConfig]
StatesCheck = Callable[..., None]
KIND_OVERRIDES = {"m": {}, "s": {}, "stack": {"pattern": "msms"}}
"""Module kinds under test; the stack mixes both block types."""


def build(config: XLSTMStackConfig, kind: str) -> nn.Module:
    """fp64 eval-mode module: an mLSTM block, an sLSTM block (index 1 of 4) or a stack."""
    if kind == "m":
        module: nn.Module = MLSTMBlock(config, 1)
    elif kind == "s":
        module = SLSTMBlock(config, 1)
    else:
        module = XLSTMStack(config)
    return module.double().eval()


def step_loop(module: nn.Module, x: torch.Tensor, state=None):
    """Run x (B, T, D) through module.step one time step at a time."""
    outputs = []
    for t in range(x.shape[1]):
        y_t, state = module.step(x[:, t], state)
        outputs.append(y_t)
    return torch.stack(outputs, dim=1), state


def close(a: torch.Tensor, b: torch.Tensor) -> None:
    torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-8)


@pytest.mark.parametrize("T", [1, 63, 257])
@pytest.mark.parametrize("kind", ["m", "s", "stack"])
def test_forward_equals_step_loop(
    kind: str, T: int, tiny_config: ConfigFactory, assert_states_close: StatesCheck
) -> None:
    module = build(tiny_config(**KIND_OVERRIDES[kind]), kind)
    x = torch.randn(2, T, 8, dtype=torch.float64)
    with torch.no_grad():
        y, state = module(x, return_state=True)
        y_steps, state_steps = step_loop(module, x)
    close(y, y_steps)
    assert_states_close(state, state_steps)


@pytest.mark.parametrize(
    "overrides",
    [
        {"mlstm_form": "parallel"},
        {"mlstm_form": "chunkwise", "chunk_size": 7},
        {"mlstm_form": "recurrent"},
        {"mlstm_qk_dim_factor": 0.5, "mlstm_proj_factor": 1.5, "conv_kernel_size": 2},
        {"conv_kernel_size": 1, "bias": True},
    ],
)
def test_mlstm_block_variants_match_step_loop(
    overrides: dict, tiny_config: ConfigFactory, assert_states_close: StatesCheck
) -> None:
    module = build(tiny_config(**overrides), "m")
    x = torch.randn(2, 40, 8, dtype=torch.float64)
    with torch.no_grad():
        y, state = module(x, return_state=True)
        y_steps, state_steps = step_loop(module, x)
    close(y, y_steps)
    assert_states_close(state, state_steps)


@pytest.mark.parametrize("overrides", [{"slstm_conv": False}, {"conv_kernel_size": 3, "bias": True}])
def test_slstm_block_variants_match_step_loop(
    overrides: dict, tiny_config: ConfigFactory, assert_states_close: StatesCheck
) -> None:
    module = build(tiny_config(**overrides), "s")
    x = torch.randn(2, 20, 8, dtype=torch.float64)
    with torch.no_grad():
        y, state = module(x, return_state=True)
        y_steps, state_steps = step_loop(module, x)
    close(y, y_steps)
    assert_states_close(state, state_steps)
    assert (state.conv is None) == (not module.config.slstm_conv)


@pytest.mark.parametrize("kind", ["m", "s", "stack"])
def test_forward_in_slices_equals_whole(
    kind: str, tiny_config: ConfigFactory, assert_states_close: StatesCheck
) -> None:
    module = build(tiny_config(**KIND_OVERRIDES[kind]), kind)
    x = torch.randn(2, 50, 8, dtype=torch.float64)
    with torch.no_grad():
        y_whole, state_whole = module(x, return_state=True)
        # slices shorter than the conv buffer (kernel_size - 1 = 3) exercise the buffer carry
        state, pieces = None, []
        for lo, hi in [(0, 2), (2, 3), (3, 30), (30, 50)]:
            y, state = module(x[:, lo:hi], state, return_state=True)
            pieces.append(y)
    close(torch.cat(pieces, dim=1), y_whole)
    assert_states_close(state, state_whole)


@pytest.mark.parametrize("kind", ["m", "s", "stack"])
def test_forward_then_step_continues_the_sequence(kind: str, tiny_config: ConfigFactory) -> None:
    module = build(tiny_config(**KIND_OVERRIDES[kind]), kind)
    x = torch.randn(1, 30, 8, dtype=torch.float64)
    with torch.no_grad():
        y_whole = module(x)
        y_head, state = module(x[:, :20], return_state=True)
        y_tail, _ = step_loop(module, x[:, 20:], state)
    close(torch.cat([y_head, y_tail], dim=1), y_whole)


@pytest.mark.parametrize("kind", ["m", "s", "stack"])
def test_init_state_is_the_same_as_none(
    kind: str, tiny_config: ConfigFactory, assert_states_close: StatesCheck
) -> None:
    module = build(tiny_config(**KIND_OVERRIDES[kind]), kind)
    x = torch.randn(3, 9, 8, dtype=torch.float64)
    fresh = module.init_state(3)  # dtype follows the (fp64) parameters
    with torch.no_grad():
        y_none, s_none = module(x, return_state=True)
        y_init, s_init = module(x, fresh, return_state=True)
        y_step, _ = module.step(x[:, 0], fresh)
    torch.testing.assert_close(y_init, y_none, atol=0.0, rtol=0.0)
    assert_states_close(s_init, s_none, atol=0.0, rtol=0.0)
    close(y_step, y_none[:, 0])
