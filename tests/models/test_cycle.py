"""The learnable cycle (``cycle_length > 0``): residual cycle forecasting and the phase channel."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader, RandomSampler

from xlstm_ts.data.windows import WindowDataset
from xlstm_ts.io import load_network, save_network
from xlstm_ts.models import XLSTMForecastConfig, XLSTMForecastNet, build_network
from xlstm_ts.models.cycle import CycleTable, cycle_indices
from xlstm_ts.pipeline.phase import PhaseWindows, phase_loader, with_phase

SMALL = {"patch_len": 8, "patch_stride": 4, "embedding_dim": 8, "num_heads": 2, "num_blocks": 2}


def nets(cycle: int, lookback: int = 50, horizon: int = 13, channels: int = 3, seed: int = 0, **extra: object):
    """A network with the cycle and the same network without it (equal weights elsewhere)."""
    torch.manual_seed(seed)
    with_cycle = XLSTMForecastNet(
        XLSTMForecastConfig(lookback=lookback, horizon=horizon, cycle_length=cycle, **SMALL, **extra), channels
    ).double().eval()
    torch.manual_seed(seed)
    plain = XLSTMForecastNet(XLSTMForecastConfig(lookback=lookback, horizon=horizon, **SMALL, **extra), channels)
    return with_cycle, plain.double().eval()


def phase_channel(phase: torch.Tensor, lookback: int, cycle: int) -> torch.Tensor:
    return torch.remainder(phase[:, None] + torch.arange(lookback), cycle).double()[..., None]  # (B, L, 1)


@pytest.mark.parametrize("value", [-1, True, 1.5, "24"])
def test_bad_cycle_lengths_are_rejected(value: object) -> None:
    with pytest.raises(ValueError, match="cycle_length must be an integer >= 0"):
        XLSTMForecastConfig(cycle_length=value)  # type: ignore[arg-type]


def test_off_by_default_and_the_network_is_unchanged() -> None:
    assert XLSTMForecastConfig().cycle_length == 0
    net = XLSTMForecastNet(XLSTMForecastConfig(lookback=50, horizon=13, **SMALL), 3)
    assert net.cycle is None
    assert not any("cycle" in name for name in net.state_dict())
    with pytest.raises(ValueError, match="without a cycle"):
        net(torch.randn(2, 50, 3), phase=torch.tensor([0, 1]))


@pytest.mark.parametrize("token_axis", ["patch", "variate"])
def test_a_zero_cycle_starts_as_the_network_without_it(token_axis: str) -> None:
    with_cycle, plain = nets(24, token_axis=token_axis)
    assert torch.equal(with_cycle.cycle.table, torch.zeros(24, 3))
    x = torch.randn(4, 50, 3, dtype=torch.float64)
    phase = torch.tensor([0, 5, 23, 11])
    torch.testing.assert_close(with_cycle(x, phase=phase), plain(x), rtol=0, atol=0)


@pytest.mark.parametrize("revin", [False, True])
@pytest.mark.parametrize("lookback,horizon,cycle", [(50, 13, 7), (33, 40, 24), (16, 5, 96), (24, 24, 1)])
def test_the_cycle_is_subtracted_from_the_input_and_added_to_the_forecast(
    revin: bool, lookback: int, horizon: int, cycle: int
) -> None:
    with_cycle, plain = nets(cycle, lookback, horizon, revin=revin, decomposition=True)
    with torch.no_grad():
        with_cycle.cycle.table.copy_(torch.randn(cycle, 3, dtype=torch.float64))
    q = with_cycle.cycle.table.detach()
    x = torch.randn(5, lookback, 3, dtype=torch.float64) * 3 + 1
    phase = torch.tensor([0, 1, cycle - 1, 3 * cycle + 2, 12345])
    steps = torch.remainder(phase[:, None] + torch.arange(lookback + horizon), cycle)  # (B, L + H)
    q_in, q_out = q[steps[:, :lookback]], q[steps[:, lookback:]]
    if revin:  # the cycle lives in the instance-normalized units
        mean = x.mean(1, keepdim=True)
        std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + 1e-5)
        plain.revin = None
        expected = (plain((x - mean) / std - q_in) + q_out) * std + mean
    else:
        expected = plain(x - q_in) + q_out
    torch.testing.assert_close(with_cycle(x, phase=phase), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("token_axis", ["patch", "variate"])
def test_the_phase_channel_is_read_and_stripped(token_axis: str) -> None:
    net, _ = nets(7, token_axis=token_axis)
    with torch.no_grad():
        net.cycle.table.normal_()
    x = torch.randn(4, 50, 3, dtype=torch.float64)
    phase = torch.tensor([0, 6, 7, 20])
    by_channel = net(torch.cat([x, phase_channel(phase, 50, 7)], dim=-1))
    torch.testing.assert_close(by_channel, net(x, phase=phase), rtol=0, atol=0)
    torch.testing.assert_close(net(x, phase=phase), net(x, phase=phase % 7), rtol=0, atol=0)
    torch.testing.assert_close(net(x, phase=phase - 7), net(x, phase=phase), rtol=0, atol=0)  # negative: modulo too
    assert by_channel.shape == (4, 13, 3)


def test_without_a_phase_the_cycle_network_says_what_it_needs() -> None:
    net, _ = nets(24)
    with pytest.raises(ValueError, match="needs the phase"):
        net(torch.randn(2, 50, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"phase must have shape \(batch,\)"):
        net(torch.randn(2, 50, 3, dtype=torch.float64), phase=torch.zeros(2, 1, dtype=torch.long))


def test_gradients_reach_exactly_the_rows_of_the_cycle_that_a_window_reads() -> None:
    net, _ = nets(24, lookback=16, horizon=5, revin=False)
    net.train()
    x = torch.randn(1, 16, 3, dtype=torch.float64)
    net(x, phase=torch.tensor([30])).pow(2).sum().backward()  # phase 6: steps read rows 6..26 mod 24
    grad = net.cycle.table.grad
    assert grad is not None
    read = {(6 + t) % 24 for t in range(16 + 5)}
    for row in range(24):
        assert (grad[row].abs().sum() > 0) == (row in read), row


def test_cycle_table_indices() -> None:
    table = CycleTable(5, 2)
    with torch.no_grad():
        table.table.copy_(torch.arange(10.0).reshape(5, 2))
    values = table(torch.tensor([3]), length=4, offset=2)  # steps 2..5 of a window starting at phase 3
    assert values[0, :, 0].tolist() == [0.0, 2.0, 4.0, 6.0]  # rows 0, 1, 2, 3
    assert cycle_indices(torch.tensor([-1]), 3, 5).tolist() == [[4, 0, 1]]
    with pytest.raises(ValueError):
        CycleTable(0, 2)


def test_output_channels_take_their_cycle() -> None:
    torch.manual_seed(1)
    config, net = build_network("xlstm", {"lookback": 50, "horizon": 13, "cycle_length": 7, **SMALL}, 3, [2])
    _, full = build_network("xlstm", config, 3)
    full.load_state_dict(net.state_dict())
    with torch.no_grad():
        net.cycle.table.normal_()
        full.cycle.table.copy_(net.cycle.table)
    x, phase = torch.randn(2, 50, 3), torch.tensor([1, 4])
    torch.testing.assert_close(net.eval()(x, phase=phase), full.eval()(x, phase=phase)[..., [2]])


def test_the_cycle_is_saved_and_loaded(tmp_path: Path) -> None:
    config, net = build_network("xlstm", {"lookback": 50, "horizon": 13, "cycle_length": 7, **SMALL}, 3)
    with torch.no_grad():
        net.cycle.table.normal_()
    save_network(tmp_path, net, "xlstm", config.to_dict(), 3)
    loaded, _ = load_network(tmp_path)
    x, phase = torch.randn(2, 50, 3), torch.tensor([1, 4])
    torch.testing.assert_close(loaded(x, phase=phase), net.eval()(x, phase=phase), rtol=0, atol=0)


@pytest.mark.parametrize("lookback,horizon,cycle,start_row", [(10, 3, 24, 0), (7, 2, 5, 13), (30, 4, 96, 8630)])
def test_phase_windows_append_the_phase_of_the_source_rows(lookback: int, horizon: int, cycle: int, start_row: int) -> None:
    data = torch.randn(60, 2)
    windows = WindowDataset(data, lookback, horizon, start_row=start_row)
    phased = PhaseWindows(windows, cycle)
    assert len(phased) == len(windows)
    for i in (0, 1, len(windows) - 1):
        x, y = phased[i]
        x0, y0 = windows[i]
        assert x.shape == (lookback, 3)
        assert torch.equal(x[:, :2], x0) and torch.equal(y, y0)
        assert x[:, 2].tolist() == [float((start_row + i + t) % cycle) for t in range(lookback)]
        assert phased.phase(i) == (start_row + i) % cycle


def test_with_phase_keeps_the_loader_settings_and_refuses_unknown_datasets() -> None:
    windows = WindowDataset(torch.randn(40, 2), 8, 2, start_row=3)
    shuffled = with_phase(DataLoader(windows, batch_size=5, shuffle=True), 4)
    assert isinstance(shuffled.sampler, RandomSampler) and shuffled.batch_size == 5
    ordered = with_phase(DataLoader(windows, batch_size=6), 4)
    x, _ = next(iter(ordered))
    assert x.shape == (6, 8, 3)
    assert x[:, 0, -1].tolist() == [float((3 + i) % 4) for i in range(6)]
    with pytest.raises(ValueError, match="needs the phase of each window"):
        with_phase(DataLoader(torch.utils.data.TensorDataset(torch.randn(4, 8, 2)), batch_size=2), 4)
    plain_loader = DataLoader(windows, batch_size=6)
    _, plain_net = nets(0)
    assert phase_loader(plain_loader, plain_net) is plain_loader


def test_a_cycle_run_trains_and_its_saved_network_reproduces_its_metrics(shared_data_dir: Path, tmp_path: Path) -> None:
    from xlstm_ts.data.config import DataConfig
    from xlstm_ts.pipeline.evaluate import evaluate_run
    from xlstm_ts.pipeline.fit import fit_run
    from xlstm_ts.pipeline.run_config import RunConfig
    from xlstm_ts.training.config import TrainConfig

    config = RunConfig(
        data=DataConfig(dataset="ETTh1", data_dir=str(shared_data_dir), lookback=48, horizon=24, batch_size=64),
        network={**SMALL, "cycle_length": 24},
        train=TrainConfig(max_epochs=1, limit_train_batches=4, patience=0, seed=3),
    )
    result = fit_run(config, tmp_path, progress=False, quiet=True)
    assert result is not None
    assert result.network.cycle.table.abs().sum() > 0  # trained
    _, metrics = evaluate_run(tmp_path, shared_data_dir)
    assert metrics["test_mse"] == pytest.approx(result.metrics["test_mse"], rel=1e-9)
    assert metrics["test_windows"] == 2880 - 24 + 1
    # predict on a frame finds each window's phase from its dates: a test window forecast as in the run
    from xlstm_ts.data.loading import load_frame
    from xlstm_ts.pipeline.predict import predict_run

    test = result.data.dataset("test")
    frame = load_frame(result.data.config, result.data.data_file.path)
    for i in (0, 5, len(test) - 1):
        x_rows, _ = test.window_rows(i)
        window = frame.iloc[list(x_rows)].reset_index()
        forecast = predict_run(tmp_path, window)
        x, _ = PhaseWindows(test, 24)[i]
        with torch.no_grad():
            expected = result.data.scaler.inverse_transform(result.network(x[None]).double().numpy()[0])
        assert forecast.drop(columns="date").to_numpy() == pytest.approx(expected, rel=1e-5, abs=1e-5)
