"""The hand-written chunkwise backward against autograd of the plain forms, in the corners.

test_ops_mlstm_forms covers ordinary gates from an empty memory; these cover gradients into the
initial state (C0, n0, m0), rows where the exp(-m) floor of the normalizer wins (the path through
the stabilizer), non-contiguous inputs, and long sequences with many chunks.
"""

from __future__ import annotations

import pytest
import torch

from xlstm_ts.ops import mlstm
from xlstm_ts.ops.state import MLSTMState


def _inputs(B: int, H: int, T: int, D: int, seed: int, q_scale: torch.Tensor | float = 1.0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(B, H, T, D, generator=g, dtype=torch.float64) * q_scale
    k = torch.randn(B, H, T, D, generator=g, dtype=torch.float64)
    v = torch.randn(B, H, T, D + 1, generator=g, dtype=torch.float64)
    i = 2.0 * torch.randn(B, H, T, generator=g, dtype=torch.float64)
    f = 2.0 * torch.randn(B, H, T, generator=g, dtype=torch.float64) + 2.0
    C0 = torch.randn(B, H, D, D + 1, generator=g, dtype=torch.float64)
    n0 = torch.randn(B, H, D, generator=g, dtype=torch.float64)
    m0 = torch.randn(B, H, generator=g, dtype=torch.float64)
    return [x.requires_grad_() for x in (q, k, v, i, f, C0, n0, m0)]


def _grads(form: str, leaves: list[torch.Tensor], chunk_size: int = 16) -> list[torch.Tensor]:
    q, k, v, i, f, C0, n0, m0 = leaves
    h, (C, n, m) = mlstm(
        q, k, v, i, f, initial_state=MLSTMState(C0, n0, m0), return_state=True, form=form,
        chunk_size=chunk_size, backend="torch",
    )  # fmt: skip
    g = torch.Generator().manual_seed(99)
    # weights drawn in fp64 so that fp32 and fp64 runs see the same loss
    loss = sum((x * torch.randn(x.shape, generator=g, dtype=torch.float64).to(x.dtype)).sum() for x in (h, C, n, m))
    return list(torch.autograd.grad(loss, leaves))


NAMES = ("q", "k", "v", "i", "f", "C0", "n0", "m0")


@pytest.mark.parametrize("T", [1, 63, 257])
def test_gradients_into_the_initial_state(T: int) -> None:
    leaves = _inputs(2, 2, T, 4, seed=T)
    reference = _grads("recurrent", leaves)
    chunkwise = _grads("chunkwise", leaves)
    for name, a, b in zip(NAMES, chunkwise, reference):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10, msg=f"grad {name}")
    assert reference[5].abs().sum() > 0 and reference[7].abs().sum() > 0  # the state really matters


def test_gradients_where_the_normalizer_floor_wins() -> None:
    """Tiny queries make |n . q| < exp(-m) in most rows: the gradient then flows through m."""
    T = 95
    q_scale = torch.logspace(-5, 0, T, dtype=torch.float64)[None, None, :, None]
    leaves = _inputs(1, 2, T, 4, seed=5, q_scale=q_scale)
    with torch.no_grad():
        q, k, v, i, f = (x.detach() for x in leaves[:5])
        # the recurrent form's stabilizer and normalizer, to check the regime is really reached
        _, state = mlstm(q[:, :, :40], k[:, :, :40], v[:, :, :40], i[:, :, :40], f[:, :, :40],
                         return_state=True, form="recurrent", backend="torch")  # fmt: skip
        assert ((state.n * q[:, :, 39]).sum(-1).abs() < torch.exp(-state.m)).all()
    reference = _grads("parallel", [x.detach().requires_grad_() for x in leaves[:5]] + leaves[5:])
    chunkwise = _grads("chunkwise", leaves)
    for name, a, b in zip(NAMES, chunkwise, reference):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10, msg=f"grad {name}")


def test_non_contiguous_inputs_give_the_same_result() -> None:
    """Blocks produce q, k, v as transposed views of (B, T, H, D); no copy is needed by the caller."""
    g = torch.Generator().manual_seed(7)
    B, H, T, D = 2, 3, 50, 8
    q, k, v = (torch.randn(B, T, H, D, generator=g, dtype=torch.float64).transpose(1, 2) for _ in range(3))
    i, f = (torch.randn(B, T, H, generator=g, dtype=torch.float64).transpose(1, 2) for _ in range(2))
    assert not q.is_contiguous()
    leaves_nc = [x.requires_grad_() for x in (q, k, v, i, f)]
    leaves_c = [x.detach().contiguous().requires_grad_() for x in (q, k, v, i, f)]
    h_nc = mlstm(*leaves_nc, form="chunkwise", chunk_size=16, backend="torch")
    h_c = mlstm(*leaves_c, form="chunkwise", chunk_size=16, backend="torch")
    torch.testing.assert_close(h_nc, h_c, rtol=0, atol=0)
    (h_nc * h_nc).sum().backward()
    (h_c * h_c).sum().backward()
    for a, b in zip(leaves_nc, leaves_c):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-12, atol=1e-12)


def test_many_chunks_fp32_match_fp64() -> None:
    """T = 1000 in chunks of 32 (a padded tail): fp32 forward and gradients stay close to fp64."""
    leaves64 = _inputs(1, 2, 1000, 16, seed=11)
    leaves32 = [x.detach().float().requires_grad_() for x in leaves64]
    g64 = _grads("chunkwise", leaves64, chunk_size=32)
    g32 = _grads("chunkwise", leaves32, chunk_size=32)
    for name, a, b in zip(NAMES, g32, g64):
        scale = b.abs().max()
        assert (a.double() - b).abs().max() <= 1e-4 * scale + 1e-6, f"grad {name}"


@pytest.mark.parametrize("form", ["chunkwise", "parallel", "recurrent"])
@pytest.mark.parametrize("T", [1, 63, 257])
def test_closed_input_gates_keep_fp32_gradients_finite(form: str, T: int) -> None:
    """Input gates far below zero (as after a diverging optimizer step) push m below -88, where
    exp(-m) overflows fp32. The forward was finite (h = C q / inf = 0) but the backward took
    0 * inf = NaN, and one such batch turned every weight NaN. fp32 must stay finite and close
    to fp64 (which does not overflow there)."""
    leaves64 = _inputs(2, 2, T, 4, seed=T + 3)
    with torch.no_grad():
        leaves64[3].mul_(20.0).sub_(150.0)  # i ~ -150 +- 40: exp(i) is 0 in fp32
        leaves64[4].mul_(30.0)  # forget gates from fully closed to fully open
        leaves64[7].fill_(-200.0)  # the initial memory's stabilizer as low
    leaves32 = [x.detach().float().requires_grad_() for x in leaves64]
    g32 = _grads(form, leaves32, chunk_size=16)
    g64 = _grads(form, leaves64, chunk_size=16)
    for name, a, b in zip(NAMES, g32, g64):
        assert torch.isfinite(a).all(), f"grad {name} is not finite"
        scale = b.abs().max()
        assert (a.double() - b).abs().max() <= 1e-3 * scale + 1e-6, f"grad {name}"
