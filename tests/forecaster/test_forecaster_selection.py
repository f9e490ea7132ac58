"""model="auto": the network forecasts only where it beats the simple forecasts on held-out windows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlstm_ts.forecaster import XLSTMForecaster
from xlstm_ts.forecasting.selection import baseline_forecast, choose

SMALL = {"horizon": 6, "lookback": 24, "embedding_dim": 8, "num_blocks": 1, "num_heads": 2, "patch_len": 8,
         "patch_stride": 4, "max_epochs": 1, "batch_size": 64, "verbose": 0, "random_state": 0}


def exact_cycle(n: int = 300) -> pd.DataFrame:
    """A noise-free daily cycle: seasonal naive is exact, nothing can beat it."""
    t = np.arange(n)
    return pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=n, freq="h"),
                         "a": 10 + np.sin(2 * np.pi * t / 24) + 0.3 * np.cos(2 * np.pi * t / 8)})


def test_an_exact_season_is_forecast_by_seasonal_naive(tmp_path) -> None:
    frame = exact_cycle()
    model = XLSTMForecaster(**SMALL).fit(frame)
    assert model.fit_info_["model"] == "seasonal_naive"
    errors = model.fit_info_["model_selection"]["validation_mae"]
    assert errors["seasonal_naive"] == pytest.approx(0.0, abs=1e-12)
    assert "not beaten" in model.fit_info_["model_selection"]["reason"]
    expected = frame["a"].to_numpy()[-24:][:6]
    np.testing.assert_allclose(model.predict()["a"], expected)
    model.save(tmp_path / "m")
    loaded = XLSTMForecaster.load(tmp_path / "m")
    assert loaded.state_.chosen_model == "seasonal_naive"
    pd.testing.assert_frame_equal(loaded.predict(), model.predict())


def test_model_xlstm_forces_the_network() -> None:
    model = XLSTMForecaster(**SMALL, model="xlstm").fit(exact_cycle())
    assert model.fit_info_["model"] == "xlstm"
    assert model.fit_info_["model_selection"]["reason"] == "model='xlstm' forces the network"


def test_the_choice_is_never_worse_than_seasonal_naive_on_validation() -> None:
    rng = np.random.default_rng(3)
    n = 400
    t = np.arange(n)
    frame = pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=n, freq="h"),
                          "a": np.cumsum(rng.standard_normal(n)) + np.sin(2 * np.pi * t / 24)})
    model = XLSTMForecaster(**SMALL).fit(frame)
    errors = model.fit_info_["model_selection"]["validation_mae"]
    assert set(errors) == {"xlstm", "naive", "seasonal_naive", "theta", "ensemble"}
    assert errors[model.fit_info_["model"]] <= min(errors["seasonal_naive"], errors["naive"], errors["theta"])


def test_quantile_models_keep_the_network() -> None:
    model = XLSTMForecaster(**SMALL, quantiles=[0.1, 0.9]).fit(exact_cycle())
    assert model.fit_info_["model"] == "xlstm"
    assert "quantiles" in model.fit_info_["model_selection"]["reason"]


@pytest.mark.parametrize(("errors", "chosen"), [
    ({"xlstm": 1.0, "ensemble": 0.9, "seasonal_naive": 0.95, "naive": 2.0}, "ensemble"),
    ({"xlstm": 0.5, "ensemble": 0.9, "seasonal_naive": 0.95, "naive": 2.0}, "xlstm"),
    ({"xlstm": 1.0, "ensemble": 1.0, "seasonal_naive": 1.0, "naive": 2.0}, "seasonal_naive"),  # ties: simple
    ({"xlstm": 1.0, "naive": 0.7}, "naive"),
])
def test_choose(errors: dict[str, float], chosen: str) -> None:
    assert choose(errors)[0] == chosen


def test_baseline_forecasts() -> None:
    history = np.arange(10.0)
    np.testing.assert_array_equal(baseline_forecast("naive", history, 3, 4), [9, 9, 9])
    np.testing.assert_array_equal(baseline_forecast("seasonal_naive", history, 6, 4), [6, 7, 8, 9, 6, 7])
    np.testing.assert_array_equal(baseline_forecast("seasonal_naive", history, 2, 20), [9, 9])  # season too long
    # theta on a line: the last level plus half the slope per step (the theta=0 line halves the trend)
    np.testing.assert_allclose(baseline_forecast("theta", history, 3, 1), [9.495, 9.995, 10.495], atol=0.01)


def test_unknown_model() -> None:
    with pytest.raises(ValueError, match="model must be one of"):
        XLSTMForecaster(**SMALL, model="ets").fit(exact_cycle())
