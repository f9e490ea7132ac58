"""Probabilistic forecasts: pinball-loss training, one column per level, no crossing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from xlstm_ts.models.forecast_network import ForecastNetwork
from xlstm_ts.training.losses import pinball_loss
from xlstm_ts.models.registry import build_network


def test_quantile_columns_and_order(tiny, wide, long) -> None:
    model = tiny(quantiles=[0.9, 0.1, 0.5], max_epochs=2).fit(wide)
    forecast = model.predict()
    assert list(forecast.columns) == ["ds", "a", "a_q0.1", "a_q0.5", "a_q0.9", "b", "b_q0.1", "b_q0.5", "b_q0.9"]
    for name in ("a", "b"):
        q = forecast[[f"{name}_q0.1", f"{name}_q0.5", f"{name}_q0.9"]].to_numpy()
        assert np.all(np.diff(q, axis=1) >= 0)
        np.testing.assert_array_equal(forecast[name].to_numpy(), forecast[f"{name}_q0.5"].to_numpy())
    long_forecast = tiny(quantiles=[0.1, 0.9]).fit(long).predict()
    assert list(long_forecast.columns) == ["unique_id", "ds", "y", "y_q0.1", "y_q0.9"]
    assert np.all(long_forecast["y_q0.1"] <= long_forecast["y"]) and np.all(
        long_forecast["y"] <= long_forecast["y_q0.9"]
    )


def test_median_always_trained(tiny, wide) -> None:
    model = tiny(quantiles=[0.05, 0.95]).fit(wide)
    assert model.quantiles_ == (0.05, 0.5, 0.95)
    assert model.model_config_["horizon"] == 3 * 6  # the backbone's head is widened to H x Q


def test_quantiles_never_cross_even_untrained() -> None:
    torch.manual_seed(0)
    _, backbone = build_network(
        "xlstm",
        {"lookback": 16, "horizon": 4 * 5, "embedding_dim": 16, "num_blocks": 1, "patch_len": 8, "patch_stride": 4},
        n_channels=1,
        output_channels=[0],
    )
    network = ForecastNetwork(backbone, horizon=4, lookback=16, n_covariates=0, n_quantiles=5).eval()
    out = network(torch.randn(32, 16, 1) * 5)
    assert out.shape == (32, 4, 1, 5)
    assert torch.all(out.diff(dim=-1) >= 0)


def test_pinball_loss_values() -> None:
    levels = torch.tensor([0.1, 0.9])
    prediction = torch.tensor([[[0.0, 0.0]]])  # (1, 1, Q)
    target = torch.tensor([[1.0]])
    # error +1: 0.1 * 1 and 0.9 * 1 -> mean 0.5
    assert pinball_loss(prediction, target, levels).item() == pytest.approx(0.5)
    assert pinball_loss(prediction, -target, levels).item() == pytest.approx(0.5)  # 0.9 and 0.1


def test_interval_coverage_is_sensible(tiny, make_frame) -> None:
    frame = make_frame(n=400, columns=("a",), seed=3)
    model = tiny(quantiles=[0.1, 0.9], max_epochs=4, learning_rate=3e-3).fit(frame)
    scores = model.evaluate(frame, n_windows=10)
    assert {"pinball", "crps"} <= set(scores)
    assert scores["crps"] == pytest.approx(2 * scores["pinball"])
    inside = []
    for w in range(10, 0, -1):  # the same 10 windows, through predict
        cut = len(frame) - 6 * w
        forecast = model.predict(frame.iloc[:cut])
        actual = frame["a"].to_numpy()[cut : cut + 6]
        inside.append((forecast["a_q0.1"].to_numpy() <= actual) & (actual <= forecast["a_q0.9"].to_numpy()))
    coverage = float(np.mean(inside))
    assert 0.5 <= coverage <= 1.0, coverage  # nominal 80 %; measured 0.92 with this seed
