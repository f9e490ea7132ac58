"""xlstm_ts.metrics: hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from xlstm_ts import metrics


def test_point_metrics() -> None:
    y, f = np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 2.0])
    assert metrics.mse(y, f) == pytest.approx((1 + 0 + 4) / 3)
    assert metrics.mae(y, f) == pytest.approx(1.0)
    assert metrics.smape(y, f) == pytest.approx(100 * np.mean([2 / 3, 0.0, 2 / 6 * 2]))
    assert metrics.smape([0.0], [0.0]) == 0.0


def test_mase_uses_seasonal_naive_scale() -> None:
    train = np.array([1.0, 2.0, 3.0, 1.5, 2.5, 3.5])  # season 3: |1.5-1|, |2.5-2|, |3.5-3| -> scale 0.5
    assert metrics.mase([4.0, 5.0], [3.0, 5.0], train, season_length=3) == pytest.approx(0.5 / 0.5)
    with pytest.raises(ValueError, match="needs more than 6"):
        metrics.mase([1.0], [1.0], train, season_length=6)
    with pytest.raises(ValueError, match="scale is zero"):
        metrics.mase([1.0], [1.0], [2.0, 2.0, 2.0])


def test_pinball_and_crps() -> None:
    y = np.array([1.0, 3.0])
    q = np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]])  # levels 0.1, 0.5, 0.9
    levels = [0.1, 0.5, 0.9]
    # y=1: e = 1, 0, -1 -> 0.1, 0, 0.1 ; y=3: e = 3, 2, 1 -> 0.3, 1.0, 0.9
    expected = np.mean([0.1, 0.0, 0.1, 0.3, 1.0, 0.9])
    assert metrics.pinball_loss(y, q, levels) == pytest.approx(expected)
    assert metrics.crps_from_quantiles(y, q, levels) == pytest.approx(2 * expected)
    with pytest.raises(ValueError, match=r"shape y_true.shape \+ \(n_quantiles,\)"):
        metrics.pinball_loss(y, q[:, :2], levels)
    with pytest.raises(ValueError, match=r"levels in \(0, 1\)"):
        metrics.pinball_loss(y, q, [0.0, 0.5, 1.0])


def test_crps_approximation_converges_for_a_normal() -> None:
    from scipy.stats import norm

    levels = np.linspace(0.005, 0.995, 199)
    y = np.array([0.3])
    approx = metrics.crps_from_quantiles(y, norm.ppf(levels)[None, :], levels)
    z = 0.3
    exact = z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi)
    assert approx == pytest.approx(exact, rel=0.02)


def test_seasonal_naive_forecast() -> None:
    np.testing.assert_array_equal(metrics.seasonal_naive_forecast([1, 2, 3, 4, 5], 4, 2), [4, 5, 4, 5])
    np.testing.assert_array_equal(metrics.seasonal_naive_forecast([1, 2, 3], 2), [3, 3])


def test_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="different shapes"):
        metrics.mae([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="empty input"):
        metrics.mse([], [])
