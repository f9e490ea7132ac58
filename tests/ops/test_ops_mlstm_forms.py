"""The mLSTM forms agree with each other: parallel == chunkwise == recurrent == step loop."""

from __future__ import annotations

import pytest
import torch

from xlstm_ts.ops import mlstm, mlstm_step


def make_inputs(B: int, H: int, T: int, Dqk: int, Dv: int, dtype=torch.float64, gate_scale: float = 3.0, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(B, H, T, Dqk, generator=g, dtype=dtype)
    k = torch.randn(B, H, T, Dqk, generator=g, dtype=dtype)
    v = torch.randn(B, H, T, Dv, generator=g, dtype=dtype)
    i = gate_scale * torch.randn(B, H, T, generator=g, dtype=dtype)
    f = gate_scale * torch.randn(B, H, T, generator=g, dtype=dtype) + 2.0
    return [t.requires_grad_() for t in (q, k, v, i, f)]


def run(form: str, inputs, chunk_size: int = 64, **kw):
    return mlstm(*inputs, form=form, chunk_size=chunk_size, return_state=True, backend="torch", **kw)


def step_loop(inputs):
    q, k, v, i, f = inputs
    state, hs = None, []
    for t in range(q.shape[2]):
        h, state = mlstm_step(q[:, :, t], k[:, :, t], v[:, :, t], i[:, :, t], f[:, :, t], state, backend="torch")
        hs.append(h)
    return torch.stack(hs, dim=2), state


@pytest.mark.parametrize("T", [1, 63, 64, 257])
@pytest.mark.parametrize("chunk_size", [16, 64, 100])
def test_forms_agree_forward_and_state(T: int, chunk_size: int) -> None:
    inputs = make_inputs(2, 3, T, 8, 5)
    h_ref, state_ref = step_loop(inputs)
    for form in ("parallel", "chunkwise", "recurrent"):
        h, state = run(form, inputs, chunk_size)
        assert h.shape == (2, 3, T, 5)
        torch.testing.assert_close(h, h_ref, rtol=1e-9, atol=1e-10, msg=f"h differs: {form}")
        for name, a, b in zip("Cnm", state, state_ref):
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10, msg=f"state {name} differs: {form}")


@pytest.mark.parametrize("T", [1, 63, 64, 257])
@pytest.mark.parametrize("chunk_size", [16, 64])
def test_forms_agree_gradients(T: int, chunk_size: int) -> None:
    """Gradients of q, k, v, i, f (through h and the final state) are equal across forms."""
    g = torch.Generator().manual_seed(1)
    grads = {}
    for form in ("parallel", "chunkwise", "recurrent"):
        inputs = make_inputs(1, 2, T, 4, 3)
        h, (C, n, m) = run(form, inputs, chunk_size)
        g.manual_seed(1)
        loss = sum((x * torch.randn(x.shape, generator=g, dtype=x.dtype)).sum() for x in (h, C, n))
        loss.backward()
        grads[form] = [x.grad for x in inputs]
    for form in ("chunkwise", "recurrent"):
        for name, a, b in zip(("q", "k", "v", "i", "f"), grads[form], grads["parallel"]):
            assert torch.isfinite(a).all()
            torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-9, msg=f"grad {name}: {form} vs parallel")


def test_auto_form_matches_reference() -> None:
    inputs = make_inputs(1, 1, 130, 4, 4)
    h_auto = mlstm(*inputs, backend="torch")
    h_rec, _ = run("recurrent", inputs)
    torch.testing.assert_close(h_auto, h_rec, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("form", ["parallel", "chunkwise", "recurrent"])
@pytest.mark.parametrize("split", [1, 40, 100])
def test_state_passing(form: str, split: int) -> None:
    """A sequence run whole equals the same sequence run in slices with the state carried."""
    inputs = make_inputs(2, 2, 129, 6, 4)
    h_whole, state_whole = run(form, inputs, chunk_size=16)
    first = [x[:, :, :split] for x in inputs]
    rest = [x[:, :, split:] for x in inputs]
    h1, s1 = run(form, first, chunk_size=16)
    h2, s2 = run("chunkwise", rest, chunk_size=16, initial_state=s1)
    torch.testing.assert_close(torch.cat([h1, h2], dim=2), h_whole, rtol=1e-9, atol=1e-10)
    for a, b in zip(s2, state_whole):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("form", ["parallel", "chunkwise", "recurrent"])
def test_extreme_gates_stay_finite_fp32(form: str) -> None:
    """Gate pre-activations up to +-60 give finite outputs and gradients in fp32."""
    g = torch.Generator().manual_seed(3)
    B, H, T, D = 2, 2, 97, 8
    q, k, v = (torch.randn(B, H, T, D, generator=g) for _ in range(3))
    signs = torch.randint(0, 2, (2, B, H, T), generator=g) * 2 - 1
    i = (60.0 * signs[0]).float()
    f = (60.0 * signs[1]).float()
    inputs = [t.requires_grad_() for t in (q, k, v, i, f)]
    h, (C, n, m) = run(form, inputs, chunk_size=32)
    assert torch.isfinite(h).all() and torch.isfinite(C).all() and torch.isfinite(n).all()
    (h.sum() + C.sum() + n.sum()).backward()
    for name, x in zip("qkvif", inputs):
        assert torch.isfinite(x.grad).all(), f"non-finite gradient of {name}"


def test_matches_unstabilized_definition() -> None:
    """Against the plain (unstabilized) mLSTM equations in fp64 with moderate gates.

    Unstabilized, the floor exp(-m_t) of the normalizer is exp(0) = 1.
    """
    q, k, v, i, f = (x.detach() for x in make_inputs(1, 1, 20, 4, 3, gate_scale=1.0))
    D = q.shape[-1]
    C = torch.zeros(D, 3, dtype=torch.float64)
    n = torch.zeros(D, dtype=torch.float64)
    expected = []
    for t in range(20):
        forget, inp = torch.sigmoid(f[0, 0, t]), torch.exp(i[0, 0, t])
        k_t = k[0, 0, t] / D**0.5
        C = forget * C + inp * torch.outer(k_t, v[0, 0, t])
        n = forget * n + inp * k_t
        q_t = q[0, 0, t]
        expected.append((q_t @ C) / torch.clamp((n @ q_t).abs(), min=1.0))
    h = mlstm(q, k, v, i, f, form="recurrent", eps=0.0, backend="torch")[0, 0]
    torch.testing.assert_close(h, torch.stack(expected), rtol=1e-9, atol=1e-10)


def test_bad_shapes_and_names_raise() -> None:
    q, k, v, i, f = (x.detach() for x in make_inputs(1, 2, 5, 4, 3))
    with pytest.raises(ValueError, match="i and f"):
        mlstm(q, k, v, i[..., :3], f)
    with pytest.raises(ValueError, match="unknown form"):
        mlstm(q, k, v, i, f, form="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown backend"):
        mlstm(q, k, v, i, f, backend="cuda")  # type: ignore[arg-type]
