"""HeadwiseLinear: each head maps its own slice; the dense (narrow heads) and the batched (wide
heads) forms give the per-head reference, forward and backward, in float64."""

from __future__ import annotations

import pytest
import torch

from xlstm_ts.nn.layers import BATCHED_HEAD_MIN_FEATURES, HeadwiseLinear


def reference(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    H, i, _ = weight.shape
    parts = [x[..., h * i : (h + 1) * i] @ weight[h] for h in range(H)]
    y = torch.cat(parts, dim=-1)
    return y if bias is None else y + bias


@pytest.mark.parametrize("heads,in_features,out_features", [(1, 7, 5), (3, 5, 7), (2, 16, 16), (4, 32, 33), (3, 40, 32)])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("lead", [(13,), (3, 5)])
def test_matches_the_per_head_reference(heads: int, in_features: int, out_features: int, bias: bool,
                                        lead: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    layer = HeadwiseLinear(heads, in_features, out_features, bias=bias).double()
    if bias:
        torch.nn.init.normal_(layer.bias)
    x = torch.randn(*lead, heads * in_features, dtype=torch.float64, requires_grad=True)
    y = layer(x)
    assert y.shape == (*lead, heads * out_features)
    expected = reference(x, layer.weight, layer.bias)
    torch.testing.assert_close(y, expected, rtol=1e-12, atol=1e-12)
    cotangent = torch.randn_like(y)
    params = [x, layer.weight] + ([layer.bias] if bias else [])
    got = torch.autograd.grad(y, params, cotangent)
    want = torch.autograd.grad(expected, params, cotangent)
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_both_forms_are_exercised() -> None:
    """The parameter grid above covers heads narrower and wider than the switch point."""
    assert 16 < BATCHED_HEAD_MIN_FEATURES <= 32
