"""Baseline networks and the model registry: shapes, exact naive forecasts, gradients,
NLinear's shift equivariance, registry round trip and error messages."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from xlstm_ts.models import XLSTMForecastConfig, XLSTMForecastNet
from xlstm_ts.models.baselines import (
    DLinearConfig,
    DLinearNet,
    LSTMConfig,
    LSTMNet,
    NaiveConfig,
    NaiveNet,
    NLinearConfig,
    PatchTSTConfig,
    SeasonalNaiveConfig,
    SeasonalNaiveNet,
)
from xlstm_ts.models.registry import MODELS, build_network, config_class, is_trainable
from xlstm_ts.models.theta import theta_forecast

L, H, C = 48, 12, 3

# tiny settings per model (the window lengths are added by _config)
TINY: dict[str, dict] = {
    "xlstm": {"embedding_dim": 8, "num_heads": 2, "num_blocks": 2, "backend": "torch"},
    "naive": {},
    "seasonal_naive": {"season_length": 5},
    "theta": {"season_length": 5},
    "ets": {"season_length": 5},
    "dlinear": {"moving_avg": 7},
    "nlinear": {},
    "patchtst": {"d_model": 16, "n_heads": 4, "e_layers": 2, "d_ff": 32},
    "lstm": {"hidden_size": 8, "num_layers": 2},
}
BASELINES = [name for name in MODELS if name != "xlstm"]
TRAINABLE = ["dlinear", "nlinear", "patchtst", "lstm"]


@pytest.fixture(autouse=True)
def _seed_and_one_thread() -> Iterator[None]:
    """Fixed seed; one intra-op thread (idle OpenMP threads spin on a busy shared CPU)."""
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _config(name: str, **overrides):
    values = {"lookback": L, "horizon": H, **TINY[name], **overrides}
    return config_class(name)(**values)


def _net(name: str, output_channels=None, **overrides):
    return build_network(name, _config(name, **overrides).to_dict(), C, output_channels)[1]


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("output_channels", [None, [2]])
@pytest.mark.parametrize("name", list(MODELS))
def test_output_shape(name: str, output_channels) -> None:
    net = _net(name, output_channels)
    x = torch.randn(2, L, C)
    y = net(x)
    assert y.shape == (2, H, C if output_channels is None else 1)
    assert y.dtype == x.dtype and torch.isfinite(y).all()


@pytest.mark.parametrize("individual", [False, True])
@pytest.mark.parametrize("name", ["dlinear", "nlinear"])
def test_linear_individual_and_channel_selection(name: str, individual: bool) -> None:
    """Channel-independent: a net forecasting channel 2 alone, with the same weights (an
    individual net: channel 2's slice), equals channel 2 of the full forecast."""
    full = _net(name, individual=individual)
    only = _net(name, [2], individual=individual)
    state = full.state_dict()
    if individual:
        assert state["head.weight" if name == "nlinear" else "seasonal_head.weight"].shape == (C, H, L)
        state = {key: value[2:3] for key, value in state.items()}
    only.load_state_dict(state)
    x = torch.randn(2, L, C)
    torch.testing.assert_close(only(x), full(x)[..., [2]])


@pytest.mark.parametrize("overrides", [{"tokens": "step"}, {"tokens": "patch", "num_layers": 1, "revin": False}])
def test_lstm_variants(overrides: dict) -> None:
    net = _net("lstm", **overrides)
    assert net(torch.randn(2, L, C)).shape == (2, H, C)


def test_patchtst_defaults_and_affine_revin() -> None:
    cfg = PatchTSTConfig(lookback=L, horizon=H, revin_affine=True)
    assert (cfg.d_model, cfg.n_heads, cfg.e_layers, cfg.d_ff, cfg.dropout) == (128, 16, 3, 256, 0.2)
    assert (cfg.patch_len, cfg.patch_stride, cfg.num_patches) == (16, 8, 6)
    net = MODELS["patchtst"][1](cfg, C).eval()
    assert net(torch.randn(2, L, C)).shape == (2, H, C)


@pytest.mark.parametrize("name", BASELINES)
def test_wrong_input_shape_raises(name: str) -> None:
    net = _net(name)
    for shape in [(2, L + 1, C), (2, L, C - 1), (L, C)]:
        with pytest.raises(ValueError, match="expected input"):
            net(torch.randn(*shape))


@pytest.mark.parametrize("bad", [[3], [], [-1], [True]])
def test_bad_output_channels_raise(bad) -> None:
    with pytest.raises(ValueError, match="output_channels"):
        NaiveNet(NaiveConfig(lookback=L, horizon=H), C, bad)


# --------------------------------------------------------------------------- naive forecasts


def _ramp() -> torch.Tensor:
    """x[b, t, c] = 100 * b + 10 * c + t: every value tells where it came from."""
    b, t, c = torch.meshgrid(torch.arange(2), torch.arange(L), torch.arange(C), indexing="ij")
    return (100 * b + 10 * c + t).double()


def test_naive_exact() -> None:
    net = NaiveNet(NaiveConfig(lookback=L, horizon=H), C, [0, 2])
    assert not is_trainable(net) and NaiveNet.trainable is False
    y = net(_ramp())
    expected = torch.tensor([[0.0, 20.0], [100.0, 120.0]], dtype=torch.float64) + (L - 1)
    torch.testing.assert_close(y, expected[:, None, :].expand(2, H, 2), rtol=0, atol=0)
    assert y.dtype == torch.float64


@pytest.mark.parametrize("season_length, horizon", [(5, 12), (24, 12), (1, 3), (L, 50)])
def test_seasonal_naive_exact(season_length: int, horizon: int) -> None:
    net = SeasonalNaiveNet(SeasonalNaiveConfig(lookback=L, horizon=horizon, season_length=season_length), C)
    assert not is_trainable(net)
    x = _ramp()
    y = net(x)
    # the ramp's time value at forecast step h is L - m + (h mod m)
    steps = torch.tensor([L - season_length + h % season_length for h in range(horizon)], dtype=torch.float64)
    expected = x[:, :1, :] + steps[None, :, None]
    torch.testing.assert_close(y, expected, rtol=0, atol=0)


def test_seasonal_naive_hand_made_series() -> None:
    cfg = SeasonalNaiveConfig(lookback=6, horizon=5, season_length=3)
    x = torch.tensor([9.0, 9.0, 9.0, 1.0, 2.0, 3.0]).reshape(1, 6, 1)
    y = SeasonalNaiveNet(cfg, 1)(x)
    assert y.flatten().tolist() == [1.0, 2.0, 3.0, 1.0, 2.0]
    assert NaiveNet(NaiveConfig(lookback=6, horizon=2), 1)(x).flatten().tolist() == [3.0, 3.0]


@pytest.mark.parametrize("name", ["naive", "seasonal_naive", "theta", "ets"])
def test_untrainable_dummy_parameter_stays_zero(name: str) -> None:
    """A pipeline that does not check `trainable` still runs, and the forecast stays exact."""
    net = _net(name)
    params = list(net.parameters())
    assert len(params) == 1 and params[0].item() == 0.0
    optimizer = torch.optim.AdamW(net.parameters(), lr=0.1, weight_decay=0.1)
    x = torch.randn(2, L, C)
    before = net(x).detach()
    for _ in range(2):
        optimizer.zero_grad()
        (net(x) - 1.0).square().mean().backward()
        assert params[0].grad.item() == 0.0
        optimizer.step()
    assert params[0].item() == 0.0
    torch.testing.assert_close(net(x), before, rtol=0, atol=0)


def test_theta_net_is_the_theta_method_on_each_channel_window() -> None:
    x = 10.0 + torch.randn(4, L, C, dtype=torch.float64).cumsum(1)
    x[..., 1] += 3 * torch.sin(2 * torch.pi * torch.arange(L) / 5)
    net = _net("theta").double()
    y = net(x).detach()
    assert y.shape == (4, H, C) and y.dtype == torch.float64
    for b in range(4):
        for c in range(C):
            expected = theta_forecast(x[b, :, c].numpy(), H, 5)
            np.testing.assert_allclose(y[b, :, c].numpy(), expected, rtol=1e-10)
    only = _net("theta", output_channels=[2]).double()
    torch.testing.assert_close(only(x).detach(), y[..., 2:])


# --------------------------------------------------------------------------- gradients, invariance


@pytest.mark.parametrize("individual", [False, True])
@pytest.mark.parametrize("name", TRAINABLE)
def test_gradients_reach_every_parameter(name: str, individual: bool) -> None:
    if name in ("dlinear", "nlinear"):
        net = _net(name, individual=individual)
    elif individual:  # the second variant: affine RevIN, other token layout
        extra = {"tokens": "step"} if name == "lstm" else {}
        net = _net(name, revin_affine=True, **extra)
    else:
        net = _net(name)
    assert is_trainable(net)
    net.train()
    x = torch.randn(2, L, C)
    loss = (net(x) - torch.randn(2, H, C)).square().mean()
    loss.backward()
    params = dict(net.named_parameters())
    assert params
    for pname, p in params.items():
        assert p.grad is not None, f"{name}: no gradient for {pname}"
        assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, f"{name}: zero gradient for {pname}"


@pytest.mark.parametrize("individual", [False, True])
def test_nlinear_shift_equivariance(individual: bool) -> None:
    net = _net("nlinear", individual=individual).double()
    x = torch.randn(2, L, C, dtype=torch.float64)
    shift = torch.tensor([5.0, -3.0, 1000.0], dtype=torch.float64)
    torch.testing.assert_close(net(x + shift), net(x) + shift)
    torch.testing.assert_close(net(x + 7.5), net(x) + 7.5)


# --------------------------------------------------------------------------- registry


def test_registry_names() -> None:
    assert set(MODELS) == {"xlstm", "naive", "seasonal_naive", "theta", "ets", "dlinear", "nlinear", "patchtst", "lstm"}
    assert MODELS["xlstm"] == (XLSTMForecastConfig, XLSTMForecastNet)
    assert config_class("dlinear") is DLinearConfig
    assert config_class("lstm") is LSTMConfig
    assert config_class("nlinear") is NLinearConfig


@pytest.mark.parametrize("name", list(MODELS))
def test_registry_round_trip(name: str) -> None:
    cfg = _config(name)
    config, net = build_network(name, cfg.to_dict(), C, [1])
    assert config == cfg and type(config) is config_class(name)
    assert isinstance(net, MODELS[name][1]) and net.config == cfg
    assert type(cfg).from_dict(cfg.to_dict()) == cfg
    assert net(torch.randn(1, L, C)).shape == (1, H, 1)
    # defaults, and a config instance passed as it is
    assert build_network(name, {}, C)[0] == config_class(name)()
    assert build_network(name, cfg, C)[0] is cfg


def test_registry_unknown_name() -> None:
    with pytest.raises(ValueError, match=r"unknown model 'arima'.*valid names.*dlinear.*patchtst"):
        build_network("arima", {}, C)
    with pytest.raises(ValueError, match="valid names"):
        config_class("DLinear ")


def test_registry_unknown_key() -> None:
    with pytest.raises(ValueError, match=r"model 'dlinear'.*unknown model setting.*\['kernel'\].*moving_avg"):
        build_network("dlinear", {"lookback": L, "kernel": 25}, C)
    with pytest.raises(ValueError, match="unknown model setting"):
        PatchTSTConfig.from_dict({"d_modle": 64})


@pytest.mark.parametrize(
    "name, values, message",
    [
        ("naive", {"horizon": 0}, "horizon must be an integer >= 1"),
        ("seasonal_naive", {"lookback": 10, "season_length": 11}, "season_length=11 is longer"),
        ("dlinear", {"moving_avg": 24}, "moving_avg must be odd"),
        ("nlinear", {"individual": "yes"}, "individual must be True or False"),
        ("patchtst", {"d_model": 30, "n_heads": 4}, "divisible by n_heads"),
        ("patchtst", {"lookback": 8}, "patch_len=16 is longer"),
        ("patchtst", {"dropout": 1.0}, r"dropout must be a number in \[0, 1\)"),
        ("lstm", {"tokens": "steps"}, "tokens must be 'patch' or 'step'"),
        ("lstm", {"hidden_size": 0}, "hidden_size must be an integer >= 1"),
    ],
)
def test_invalid_values_raise(name: str, values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_network(name, values, C)


def test_configs_are_frozen() -> None:
    cfg = DLinearConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.horizon = 1  # type: ignore[misc]
    assert dataclasses.replace(cfg, individual=True).individual is True
    assert DLinearNet(cfg, 1).trainable and LSTMNet.trainable
