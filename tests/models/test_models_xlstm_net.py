"""The xLSTM forecasting network's own options (shapes and baselines are in test_models_baselines)."""

from __future__ import annotations

import pytest
import torch

from xlstm_ts.models import XLSTMForecastConfig, XLSTMForecastNet


@pytest.mark.parametrize("token_axis", ["patch", "variate"])
@pytest.mark.parametrize("lookback,horizon", [(33, 1), (48, 7)])
def test_last_value_init_starts_as_the_naive_forecast(token_axis: str, lookback: int, horizon: int) -> None:
    torch.manual_seed(0)
    config = XLSTMForecastConfig(
        lookback=lookback, horizon=horizon, patch_len=8, patch_stride=4, token_axis=token_axis,
        linear_skip_init="last_value", embedding_dim=8, num_heads=2, num_blocks=2,
    )
    net = XLSTMForecastNet(config, n_channels=3).double().eval()
    x = torch.randn(4, lookback, 3, dtype=torch.float64) * 5 + 2
    expected = x[:, -1:, :].expand(-1, horizon, -1)
    torch.testing.assert_close(net(x), expected, rtol=1e-10, atol=1e-10)
    default = XLSTMForecastNet(XLSTMForecastConfig(lookback=lookback, horizon=horizon, patch_len=8, patch_stride=4,
                                                   token_axis=token_axis, embedding_dim=8), n_channels=3)
    assert default.linear_skip is not None and default.linear_skip.weight[:, :-1].abs().sum() > 0
    assert default.head.weight.abs().sum() > 0
    # it trains: the xLSTM head gets a gradient at the naive start
    net.train()
    net(x).pow(2).mean().backward()
    assert net.head.weight.grad is not None and net.head.weight.grad.abs().sum() > 0


def test_unknown_skip_init_is_rejected() -> None:
    with pytest.raises(ValueError, match="linear_skip_init must be 'default' or 'last_value'"):
        XLSTMForecastConfig(linear_skip_init="zeros")  # type: ignore[arg-type]


def test_last_value_init_without_a_skip_is_rejected() -> None:
    with pytest.raises(ValueError, match="needs linear_skip=True"):
        XLSTMForecastConfig(linear_skip=False, linear_skip_init="last_value")
