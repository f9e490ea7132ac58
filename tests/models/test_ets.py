"""Damped-trend exponential smoothing (xlstm_ts.models.ets): the filter form against a plain loop,
the batch form against the single series row by row, exact cases (a line, a pure season, a step,
constants, short inputs), the pipeline baseline "ets" (registry network, run config, a run)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from xlstm_ts.data.config import DataConfig
from xlstm_ts.models.ets import (
    ALPHAS,
    GRID,
    INIT_POINTS,
    PHIS,
    damped_sum,
    damped_trend_fit,
    ets_forecast,
    ets_forecast_batch,
)
from xlstm_ts.models.registry import build_network, is_trainable
from xlstm_ts.pipeline.fit import fit_run
from xlstm_ts.pipeline.run_config import RunConfig


def _loop(y: np.ndarray, alpha: float, beta: float, phi: float) -> tuple[np.ndarray, float, float]:
    """The error-correction equations step by step: one-step errors e_1 .. e_{n-1}, final l, b."""
    k = min(INIT_POINTS, len(y))
    slope, intercept = np.polyfit(np.arange(k, dtype=np.float64), y[:k], 1)
    level, trend = intercept, slope
    errors = []
    for value in y[1:]:
        forecast = level + phi * trend
        error = value - forecast
        level = level + phi * trend + alpha * error
        trend = phi * trend + beta * error
        errors.append(error)
    return np.array(errors), level, trend


POINTS = [(0.3, 0.075, 0.9), (0.99, 0.99, 0.98), (0.02, 0.0, 0.0), (0.5, 0.0, 0.8), (0.8, 0.04, 0.95)]


@pytest.mark.parametrize("n", [3, 4, 11, 97])
@pytest.mark.parametrize(("alpha", "beta", "phi"), POINTS)
def test_the_filter_form_is_the_recursion(n: int, alpha: float, beta: float, phi: float) -> None:
    rng = np.random.default_rng(n)
    rows = np.stack([100 + np.cumsum(rng.normal(0.2, 1, n)), rng.normal(0, 1, n), -3.0 + 0.7 * np.arange(n)])
    errors, level, trend = damped_trend_fit(rows, alpha, beta, phi)
    assert errors.shape == (3, n - 1)
    for i, row in enumerate(rows):
        expected_errors, expected_level, expected_trend = _loop(row, alpha, beta, phi)
        np.testing.assert_allclose(errors[i], expected_errors, rtol=1e-10, atol=1e-10)
        assert level[i] == pytest.approx(expected_level, rel=1e-12, abs=1e-10)
        assert trend[i] == pytest.approx(expected_trend, rel=1e-10, abs=1e-10)


def test_the_damped_sum_and_the_grid() -> None:
    np.testing.assert_allclose(damped_sum(0.9, 3), [0.9, 0.9 + 0.81, 0.9 + 0.81 + 0.729], rtol=1e-15)
    np.testing.assert_array_equal(damped_sum(0.0, 4), np.zeros(4))
    assert GRID.shape[1] == 3 and np.all(GRID[:, 1] <= GRID[:, 0]) and np.all((GRID[:, 0] > 0) & (GRID[:, 0] < 1))
    no_trend = GRID[:, 2] == 0.0
    assert np.all(GRID[no_trend, 1] == 0.0) and no_trend[: len(ALPHAS)].all(), "simple smoothing comes first"
    assert set(GRID[~no_trend, 2]) == set(PHIS) and max(PHIS) < 1.0


def test_a_line_gets_the_steady_state_of_the_strongest_damped_trend() -> None:
    """On y = c + s t the best grid point is the largest alpha, beta = alpha and the largest phi:
    the trend settles at exactly s, the error at (1 - phi) s / alpha, the level that much times
    (1 - alpha) below the last value; h steps ahead the trend counts phi + ... + phi^h times."""
    s, n, steps = 0.5, 200, 30
    y = 3.0 + s * np.arange(n, dtype=np.float64)
    alpha, phi = max(ALPHAS), max(PHIS)
    expected = y[-1] - (1 - alpha) * (1 - phi) * s / alpha + s * np.cumsum(phi ** np.arange(1, steps + 1))
    np.testing.assert_allclose(ets_forecast(y, steps, 1), expected, rtol=1e-12)
    np.testing.assert_allclose(ets_forecast_batch(np.stack([y, -y]), steps, 1), np.stack([expected, -expected]),
                               rtol=1e-12)
    assert ets_forecast(y, 1, 1)[0] == pytest.approx(y[-1] + s, rel=0.01)  # one step: nearly the line


@pytest.mark.parametrize("offset", [0.0, -6.0], ids=["multiplicative", "additive"])
def test_a_pure_season_is_repeated(offset: float) -> None:
    pattern = np.array([5.0, 7.0, 9.0, 6.0, 4.0, 3.0, 8.0]) + offset
    y = np.tile(pattern, 10) + 1e-9 * np.arange(70)
    for forecast in (ets_forecast(y, 15, 7), ets_forecast_batch(y[None], 15, 7)[0]):
        np.testing.assert_allclose(forecast, np.tile(pattern, 3)[:15], atol=1e-6)


def test_flat_series_get_no_trend() -> None:
    step = np.r_[np.full(100, 5.0), np.full(100, 7.0)]
    forecast = ets_forecast(step, 20, 1)
    np.testing.assert_allclose(forecast, 7.0, atol=1e-6)
    assert np.ptp(forecast) < 1e-9
    for seed in range(4):
        noise = np.random.default_rng(seed).normal(10, 1, 300)
        forecast = ets_forecast(noise, 48, 1)
        assert abs(forecast[-1] - forecast[0]) < 0.05 and abs(forecast[0] - 10) < 0.5


def test_constants_and_short_inputs() -> None:
    np.testing.assert_array_equal(ets_forecast(np.full(30, 4.2), 4, 7), np.full(4, 4.2))
    np.testing.assert_array_equal(ets_forecast(np.array([1.0, 2.0]), 3, 1), np.full(3, 2.0))
    np.testing.assert_array_equal(ets_forecast(np.array([3.0]), 2, 1), np.full(2, 3.0))
    rows = np.array([[4.2] * 5, [1.0, 2.0, 4.0, 3.0, 5.0]])
    batch = ets_forecast_batch(rows, 3, 1)
    np.testing.assert_array_equal(batch[0], np.full(3, 4.2))
    np.testing.assert_allclose(batch[1], ets_forecast(rows[1], 3, 1), rtol=1e-10)
    np.testing.assert_array_equal(ets_forecast_batch(np.array([[1.0, 2.0]]), 3, 1), [[2.0, 2.0, 2.0]])
    assert ets_forecast_batch(np.zeros((0, 30)), 4, 7).shape == (0, 4)
    with pytest.raises(ValueError, match=r"\(N, n\)"):
        ets_forecast_batch(np.zeros(30), 4, 7)


def _mixed_rows(n: int, season: int, seed: int) -> np.ndarray:
    """Rows of every kind: seasonal positive (multiplicative), seasonal crossing zero (additive),
    noise (no season), a random walk with drift, a constant, a line, a damped-trend-like curve."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    cycle = np.sin(2 * np.pi * t / season)
    return np.stack([
        20 + 0.05 * t + 3 * cycle + rng.normal(0, 0.5, n),
        -1 + 0.01 * t + 2 * cycle + rng.normal(0, 0.3, n),
        rng.normal(10, 1, n),
        np.cumsum(rng.normal(0.1, 1, n)),
        np.full(n, 4.2),
        3.0 + 0.5 * t,
        1000 + 50 * (1 - 0.97**t) + rng.normal(0, 0.2, n),
    ])


@pytest.mark.parametrize(
    ("n", "season", "steps"), [(120, 12, 6), (97, 7, 13), (50, 24, 5), (336, 24, 96), (5, 1, 3), (3, 1, 2), (61, 1, 7)]
)
def test_the_batch_form_gives_the_single_series_numbers_row_by_row(n: int, season: int, steps: int) -> None:
    rows = _mixed_rows(n, season, seed=n)
    batch = ets_forecast_batch(rows, steps, season)
    assert batch.shape == (len(rows), steps) and batch.dtype == np.float64
    for row, forecast in zip(rows, batch, strict=True):
        np.testing.assert_allclose(forecast, ets_forecast(row, steps, season), rtol=1e-10, atol=1e-10)


def test_ets_net_is_the_method_on_each_channel_window() -> None:
    L, H, C = 48, 12, 3
    torch.manual_seed(0)
    x = 10.0 + torch.randn(4, L, C, dtype=torch.float64).cumsum(1)
    x[..., 1] += 3 * torch.sin(2 * torch.pi * torch.arange(L) / 5)
    config, net = build_network("ets", {"lookback": L, "horizon": H, "season_length": 5}, C)
    assert not is_trainable(net)
    y = net.double()(x).detach()
    assert y.shape == (4, H, C) and y.dtype == torch.float64
    for c in range(C):
        expected = ets_forecast_batch(x[:, :, c].numpy(), H, 5)
        np.testing.assert_allclose(y[:, :, c].numpy(), expected, rtol=1e-12, atol=1e-12)
    _, only = build_network("ets", config, C, [2])
    torch.testing.assert_close(only.double()(x).detach(), y[..., 2:])


@pytest.mark.parametrize(("dataset", "season"), [("ETTh1", 24), ("ETTm1", 96)])
def test_the_run_config_takes_the_dataset_season(dataset: str, season: int) -> None:
    config = RunConfig.from_dict({"model": "ets", "data": {"dataset": dataset, "lookback": 336}})
    assert config.network_config().season_length == season
    assert config.to_dict()["network"]["season_length"] == season
    explicit = RunConfig.from_dict(
        {"model": "ets", "data": {"dataset": dataset, "lookback": 336}, "network": {"season_length": 12}}
    )
    assert explicit.network_config().season_length == 12


def test_the_ets_baseline_runs_without_training(shared_data_dir: Path) -> None:
    config = RunConfig(
        data=DataConfig(dataset="ETTh1", data_dir=str(shared_data_dir), lookback=96, horizon=24), model="ets"
    )
    result = fit_run(config, None, progress=False, quiet=True)
    assert result is not None
    assert result.metrics["epochs"] == 0 and result.metrics["n_parameters"] == 0
    assert result.metrics["test_windows"] == 2880 - 24 + 1
    assert 0.0 < result.metrics["test_mse"] < 2.0
