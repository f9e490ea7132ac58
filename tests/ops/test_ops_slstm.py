"""sLSTM against a plain step loop of the paper's equations (eqs. 8-17), forward and gradients."""

from __future__ import annotations

import pytest
import torch

from xlstm_ts.ops import slstm, slstm_step


def make_inputs(B: int, T: int, H: int, Dh: int, dtype=torch.float64, scale: float = 1.0, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    wx = scale * torch.randn(B, T, 4, H, Dh, generator=g, dtype=dtype)
    r = torch.randn(4, H, Dh, Dh, generator=g, dtype=dtype) / Dh**0.5
    b = torch.randn(4, H, Dh, generator=g, dtype=dtype)
    return [t.requires_grad_() for t in (wx, r, b)]


def paper_equations(wx, r, b):
    """Unstabilized sLSTM written out per head and per gate, one step at a time (the oracle)."""
    B, T, _, H, Dh = wx.shape
    h = wx.new_zeros(B, H, Dh)
    c = wx.new_zeros(B, H, Dh)
    n = wx.new_zeros(B, H, Dh)
    outs = []
    for t in range(T):
        pre = [
            wx[:, t, g] + torch.stack([h[:, hd] @ r[g, hd] for hd in range(H)], dim=1) + b[g] for g in range(4)
        ]
        i_gate, f_gate = torch.exp(pre[0]), torch.sigmoid(pre[1])
        z, o = torch.tanh(pre[2]), torch.sigmoid(pre[3])
        c = f_gate * c + i_gate * z
        n = f_gate * n + i_gate
        h = o * c / n
        outs.append(h)
    return torch.stack(outs, dim=1), (h, c, n)


@pytest.mark.parametrize("T", [1, 63, 257])
def test_matches_paper_equations_forward_and_grad(T: int) -> None:
    inputs = make_inputs(2, T, 3, 4)
    h, state = slstm(*inputs, return_state=True, backend="torch")
    assert h.shape == (2, T, 3, 4)
    g = torch.Generator().manual_seed(5)
    cot = torch.randn(h.shape, generator=g, dtype=h.dtype)
    grads = torch.autograd.grad((h * cot).sum(), inputs)

    ref_inputs = [x.detach().clone().requires_grad_() for x in inputs]
    h_ref, (_, c_ref, n_ref) = paper_equations(*ref_inputs)
    ref_grads = torch.autograd.grad((h_ref * cot).sum(), ref_inputs)
    torch.testing.assert_close(h, h_ref, rtol=1e-9, atol=1e-10)
    # the stabilized state is the paper's state times exp(-m)
    torch.testing.assert_close(state.c, c_ref * torch.exp(-state.m), rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(state.n, n_ref * torch.exp(-state.m), rtol=1e-8, atol=1e-10)
    for name, a, bb in zip(("wx", "r", "b"), grads, ref_grads):
        torch.testing.assert_close(a, bb, rtol=1e-8, atol=1e-9, msg=f"grad of {name}")


def test_step_loop_and_state_passing() -> None:
    wx, r, b = (x.detach() for x in make_inputs(2, 50, 2, 5))
    h_whole, s_whole = slstm(wx, r, b, return_state=True, backend="torch")
    state, hs = None, []
    for t in range(20):
        h_t, state = slstm_step(wx[:, t], r, b, state, backend="torch")
        hs.append(h_t)
    h_rest, s_rest = slstm(wx[:, 20:], r, b, initial_state=state, return_state=True, backend="torch")
    torch.testing.assert_close(torch.cat([torch.stack(hs, 1), h_rest], 1), h_whole, rtol=1e-10, atol=1e-12)
    for a, bb in zip(s_rest, s_whole):
        torch.testing.assert_close(a, bb, rtol=1e-10, atol=1e-12)


def test_extreme_gates_stay_finite_fp32() -> None:
    wx, r, b = (x.detach().float() for x in make_inputs(2, 80, 2, 8))
    g = torch.Generator().manual_seed(2)
    wx = (60.0 * (torch.randint(0, 2, wx.shape, generator=g) * 2 - 1)).float().requires_grad_()
    r.requires_grad_()
    h, state = slstm(wx, r, b, return_state=True, backend="torch")
    assert torch.isfinite(h).all() and all(torch.isfinite(s).all() for s in state[:3])
    (h.sum() + state.c.sum()).backward()
    assert torch.isfinite(wx.grad).all() and torch.isfinite(r.grad).all()


def test_bad_shapes_raise() -> None:
    wx, r, b = (x.detach() for x in make_inputs(1, 3, 2, 4))
    with pytest.raises(ValueError, match=r"r must be \(4, H, Dh, Dh\)"):
        slstm(wx, r[:, :, :3], b)
    with pytest.raises(ValueError, match="wx must be"):
        slstm(wx[:, :, :3], r, b)
