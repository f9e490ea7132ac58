"""The standard Theta method (xlstm_ts.models.theta) against statsmodels' ThetaModel
(0.14, Hyndman & Billah's form; numbers recorded here since statsmodels is not a dependency)."""

from __future__ import annotations

import numpy as np
import pytest

from xlstm_ts.models.theta import seasonal_indices, seasonal_test, theta_forecast, theta_forecast_batch


def _cases() -> dict[str, tuple[np.ndarray, int]]:
    rng = np.random.default_rng(7)
    t = np.arange(120)
    return {
        "multiplicative": (20 + 0.05 * t + 3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, 120), 12),
        "additive_negative": (-5 + 0.02 * t + 2 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.3, 120), 7),
        "no_season": (np.cumsum(rng.normal(0.1, 1, 120)), 1),
    }


STATSMODELS = {  # ThetaModel(y, period=m, deseasonalize=m > 1).fit().forecast(6)
    "multiplicative": [26.2133, 28.1266, 29.2597, 29.6609, 29.2922, 28.1716],
    "additive_negative": [-1.289, -0.7828, -1.9889, -3.6299, -4.6299, -4.2954],
    "no_season": [10.6809, 10.7463, 10.8117, 10.877, 10.9424, 11.0078],
}


@pytest.mark.parametrize("name", list(STATSMODELS))
def test_matches_statsmodels_theta(name: str) -> None:
    y, m = _cases()[name]
    mine = theta_forecast(y, 6, m)
    # statsmodels estimates the smoothing weight by maximum likelihood, we by a grid: close, not equal
    np.testing.assert_allclose(mine, STATSMODELS[name], atol=0.05 * np.std(y))


def test_drift_follows_a_trend_and_constants_stay() -> None:
    t = np.arange(60, dtype=np.float64)
    forecast = theta_forecast(3.0 + 0.5 * t, 5, 1)
    assert np.all(np.diff(forecast) > 0), "a rising line keeps rising (half its slope as drift)"
    np.testing.assert_allclose(np.diff(forecast), 0.25, rtol=1e-6)
    np.testing.assert_array_equal(theta_forecast(np.full(30, 4.2), 4, 7), np.full(4, 4.2))
    np.testing.assert_array_equal(theta_forecast(np.array([1.0, 2.0]), 3, 1), np.full(3, 2.0))


def test_a_pure_season_is_repeated() -> None:
    pattern = np.array([5.0, 7.0, 9.0, 6.0, 4.0, 3.0, 8.0])
    y = np.tile(pattern, 10) + 1e-9 * np.arange(70)
    forecast = theta_forecast(y, 14, 7)
    np.testing.assert_allclose(forecast, np.tile(pattern, 2), atol=1e-3)


def test_seasonality_is_used_only_when_significant() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(10, 1, 200)
    assert not seasonal_test(noise, 12) and seasonal_indices(noise, 12) == (None, False)
    seasonal = 10 + np.sin(2 * np.pi * np.arange(200) / 12)
    indices, multiplicative = seasonal_indices(seasonal, 12)
    assert multiplicative and indices is not None and indices.shape == (12,)
    assert indices.mean() == pytest.approx(1.0)
    assert seasonal_indices(seasonal[:20], 12) == (None, False), "fewer than two seasons: no adjustment"


def _mixed_rows(n: int, season: int, seed: int) -> np.ndarray:
    """Rows of every kind: seasonal positive (multiplicative), seasonal crossing zero (additive),
    noise (no season), a random walk, a constant, a line."""
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
    ])


@pytest.mark.parametrize(("n", "season", "steps"), [(120, 12, 6), (97, 7, 13), (50, 24, 5), (336, 24, 96), (5, 1, 3)])
def test_the_batch_form_gives_the_single_series_numbers_row_by_row(n: int, season: int, steps: int) -> None:
    rows = _mixed_rows(n, season, seed=n)
    batch = theta_forecast_batch(rows, steps, season)
    assert batch.shape == (len(rows), steps)
    for row, forecast in zip(rows, batch, strict=True):
        np.testing.assert_allclose(forecast, theta_forecast(row, steps, season), rtol=1e-9, atol=1e-9)


def test_the_batch_form_takes_short_and_empty_batches() -> None:
    np.testing.assert_array_equal(theta_forecast_batch(np.array([[1.0, 2.0]]), 3, 1), [[2.0, 2.0, 2.0]])
    assert theta_forecast_batch(np.zeros((0, 30)), 4, 7).shape == (0, 4)
    with pytest.raises(ValueError, match=r"\(N, n\)"):
        theta_forecast_batch(np.zeros(30), 4, 7)
