"""The streaming network (xlstm_ts.models.streaming_net): its stream, advanced row by row, equals
the forward over the last L rows at the stream's phase; it never depends on older rows."""

from __future__ import annotations

import pytest
import torch

from xlstm_ts.models.config import XLSTMForecastConfig
from xlstm_ts.models.streaming_net import StreamingForecastNet, flatten_state, unflatten_state


def _net(lookback: int = 40, patch_len: int = 8, **overrides) -> StreamingForecastNet:
    torch.manual_seed(0)
    settings = dict(lookback=lookback, horizon=5, patch_len=patch_len, embedding_dim=8, num_heads=2, num_blocks=2,
                    backend="torch", dropout=0.0)
    config = XLSTMForecastConfig(**{**settings, **overrides})
    net = StreamingForecastNet(config).double().eval()
    with torch.no_grad():  # a non-trivial phase embedding and head
        net.phase_embedding.normal_()
    return net


def _series(n_series: int, steps: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (0.3 * torch.randn(n_series, steps, generator=generator, dtype=torch.float64)).cumsum(dim=1)


@pytest.mark.parametrize("pattern", ["ms", "mm", "ss"])
@pytest.mark.parametrize("lookback", [15, 40, 47])
def test_the_stream_equals_the_window_forward_at_every_row(pattern: str, lookback: int) -> None:
    net = _net(lookback, pattern=pattern)
    data = _series(3, 260)
    L, P = net.lookback, net.patch_len
    end = torch.full((3,), L)  # per series: rows seen so far
    stream = net.start_stream(data[:, :L])
    generator = torch.Generator().manual_seed(1)
    for step in range(40):
        counts = torch.randint(0, 2 * P, (3,), generator=generator)
        counts[0] = 1  # one series row by row
        if step == 20:
            counts[2] = 3 * L  # more rows than the lookback at once
        counts = torch.minimum(counts, data.shape[1] - end)
        end = end + counts
        windows = torch.stack([data[k, int(end[k]) - L : int(end[k])] for k in range(3)])
        stream = net.push_rows(stream, windows, counts)
        assert torch.equal(stream.phase, (end - L) % P)
        expected = net(windows[..., None], phase=stream.phase)[..., 0]
        torch.testing.assert_close(net.forecast(stream, windows), expected, rtol=1e-10, atol=1e-10)


def test_the_stream_forgets_rows_older_than_the_lookback() -> None:
    net = _net()
    data = _series(1, 400, seed=2)
    L, P = net.lookback, net.patch_len
    stream = net.start_stream(data[:, :L])
    for t in range(L + 1, 400 - 5 * P):  # a stream running since row L
        stream = net.push_rows(stream, data[:, t - L : t], torch.ones(1, dtype=torch.long))
    t = 400 - 5 * P
    stream = net.push_rows(stream, data[:, t - L : t], torch.ones(1, dtype=torch.long))
    if int(stream.phase) == 0:  # at a boundary: the same state as a stream started on the last L rows
        fresh = net.start_stream(data[:, t - L : t])
        torch.testing.assert_close(net.forecast(stream, data[:, t - L : t]), net.forecast(fresh, data[:, t - L : t]))
    changed = data.clone()
    changed[:, : t - L] += 100.0  # rows before the window change nothing
    torch.testing.assert_close(
        net(changed[:, t - L : t, None], phase=stream.phase), net(data[:, t - L : t, None], phase=stream.phase)
    )


def test_one_stack_step_per_completed_patch(monkeypatch: pytest.MonkeyPatch) -> None:
    net = _net()
    data = _series(2, 200)
    L, P = net.lookback, net.patch_len
    stream = net.start_stream(data[:, :L])
    calls = []
    step = net.stack.step
    monkeypatch.setattr(net.stack, "step", lambda x, s: calls.append(x.shape) or step(x, s))
    for t in range(L + 1, L + 1 + 3 * P):
        stream = net.push_rows(stream, data[:, t - L : t], torch.ones(2, dtype=torch.long))
    assert len(calls) == 3  # both series' N slots in one batched step per boundary
    assert all(shape == (2 * net.num_patches, 8) for shape in calls)


def test_phases_in_forward() -> None:
    net = _net()
    x = _series(4, net.lookback)[..., None]
    torch.testing.assert_close(net(x), net(x, phase=0))
    assert not torch.allclose(net(x, phase=0), net(x, phase=3))
    with pytest.raises(ValueError, match="phase must be in"):
        net(x, phase=net.patch_len)
    net.train()
    torch.manual_seed(0)
    phases = {tuple(net._phases(None, 64, x.device).tolist()) for _ in range(2)}
    assert len(phases) == 2 and max(max(p) for p in phases) == net.patch_len - 1


def test_it_trains() -> None:
    net = _net().float().train()
    x = torch.randn(8, net.lookback, 1)
    net(x).pow(2).mean().backward()
    for name in ("embed", "head", "skip"):
        assert getattr(net, name).weight.grad.abs().sum() > 0
    assert net.phase_embedding.grad.abs().sum() > 0


def test_last_value_start_is_the_naive_forecast() -> None:
    net = _net(linear_skip_init="last_value")
    x = _series(3, net.lookback)[..., None] + 5.0
    torch.testing.assert_close(net(x, phase=2), x[:, -1:, :].expand(-1, net.horizon, -1))
    short = _net(linear_skip=False)
    assert short.skip_len == short.patch_len


def test_refused_settings() -> None:
    with pytest.raises(ValueError, match="lookback >= 2 \\* patch_len - 1 = 15"):
        _net(lookback=14)
    with pytest.raises(ValueError, match="token_axis must be 'patch'"):
        _net(token_axis="variate")
    with pytest.raises(ValueError, match="no trend decomposition"):
        _net(decomposition=True)
    net = _net()
    with pytest.raises(ValueError, match="need at least"):
        net.push_rows(net.blank_stream(1), torch.zeros(1, net.lookback - 10, dtype=torch.float64), torch.ones(1))


def test_state_flattening_round_trips() -> None:
    net = _net()
    stream = net.start_stream(_series(2, net.lookback))
    tensors = flatten_state(stream.slots)
    again = unflatten_state(net.blank_stream(2).slots, tensors)
    assert all(torch.equal(a, b) for a, b in zip(flatten_state(again).values(), tensors.values(), strict=True))
    name = next(iter(tensors))
    with pytest.raises(ValueError, match="has shape"):
        unflatten_state(net.blank_stream(3).slots, tensors)
    with pytest.raises(ValueError, match="is missing"):
        unflatten_state(net.blank_stream(2).slots, {k: v for k, v in tensors.items() if k != name})
