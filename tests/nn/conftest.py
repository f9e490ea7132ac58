"""Shared fixtures for the nn tests: tiny configs and state comparison (as fixtures, so that no
test imports this file and the tests work under any pytest import mode)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import torch

from xlstm_ts.nn import XLSTMStackConfig


def _tiny_config(**overrides) -> XLSTMStackConfig:
    fields = {"embedding_dim": 8, "num_heads": 2, "num_blocks": 4, "chunk_size": 16, "backend": "torch"}
    fields.update(overrides)
    return XLSTMStackConfig(**fields)


def _state_tensors(state) -> Iterator[torch.Tensor]:
    if isinstance(state, torch.Tensor):
        yield state
    elif state is not None:
        for item in state:
            yield from _state_tensors(item)


def _assert_states_close(a, b, atol: float = 1e-10, rtol: float = 1e-8) -> None:
    ta, tb = list(_state_tensors(a)), list(_state_tensors(b))
    assert len(ta) == len(tb) and len(ta) > 0
    for x, y in zip(ta, tb):
        torch.testing.assert_close(x, y, atol=atol, rtol=rtol)


@pytest.fixture
def tiny_config() -> Callable[..., XLSTMStackConfig]:
    """Factory: D = 8, 2 heads, 4 blocks, chunk 16 (T = 63 and 257 run the chunkwise mLSTM with a
    ragged tail), torch backend; keyword arguments override."""
    return _tiny_config


@pytest.fixture
def assert_states_close() -> Callable[..., None]:
    """Compare two (nested) states tensor by tensor; None entries (no conv) are skipped."""
    return _assert_states_close


@pytest.fixture(autouse=True)
def _seed_and_one_thread() -> Iterator[None]:
    """Fixed seed; one intra-op thread while an nn test runs (restored after).

    The tensors here are tiny, and on a busy shared CPU the idle spinning of extra OpenMP
    threads made these tests ~40x slower (150 s instead of 4 s).
    """
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
