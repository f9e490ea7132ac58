"""model="auto": the network, a simple forecast or a mean of several, chosen on held-out windows;
the network forecasts only where it beats the simple forecasts and their means."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlstm_ts.forecaster import XLSTMForecaster
from xlstm_ts.forecasting.selection import MEMBERS, baseline_forecast, candidates, choose, label

SMALL = {"horizon": 6, "lookback": 24, "embedding_dim": 8, "num_blocks": 1, "num_heads": 2, "patch_len": 8,
         "patch_stride": 4, "max_epochs": 1, "batch_size": 64, "verbose": 0, "random_state": 0}


def exact_cycle(n: int = 300) -> pd.DataFrame:
    """A noise-free daily cycle: seasonal naive is exact, nothing can beat it."""
    t = np.arange(n)
    return pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=n, freq="h"),
                         "a": 10 + np.sin(2 * np.pi * t / 24) + 0.3 * np.cos(2 * np.pi * t / 8)})


def test_an_exact_season_is_forecast_exactly_by_a_simple_model(tmp_path) -> None:
    frame = exact_cycle()
    model = XLSTMForecaster(**SMALL).fit(frame)
    chosen = model.fit_info_["model"]
    assert chosen in ("seasonal_naive", "theta")  # both are exact on a noise-free cycle read over its history
    errors = model.fit_info_["model_selection"]["validation_mae"]
    assert errors["seasonal_naive"] == pytest.approx(0.0, abs=1e-12)
    assert errors[chosen] == pytest.approx(0.0, abs=1e-12)
    assert "not beaten" in model.fit_info_["model_selection"]["reason"]
    expected = frame["a"].to_numpy()[-24:][:6]
    np.testing.assert_allclose(model.predict()["a"], expected, atol=1e-9)
    model.save(tmp_path / "m")
    loaded = XLSTMForecaster.load(tmp_path / "m")
    assert loaded.state_.chosen_model == chosen
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
    assert set(errors) == {label(c) for c in candidates(MEMBERS)} and len(errors) == 31
    assert errors[model.fit_info_["model_selection"]["chosen"]] == min(errors.values())
    assert min(errors.values()) <= errors["seasonal_naive"]


def _members_of(model: XLSTMForecaster) -> tuple[str, ...]:
    return model.state_.members()


@pytest.mark.parametrize("chosen", [("naive", "theta"), ("seasonal_naive", "ets", "xlstm"), ("xlstm", "naive")])
def test_a_mean_forecasts_the_mean_of_its_members_and_survives_save_and_load(chosen, tmp_path) -> None:
    frame = trend_cycle(300)
    model = XLSTMForecaster(**SMALL, refit=False).fit(frame)
    state = model.state_
    singles = {}
    for name in MEMBERS:
        state.chosen_model, state.ensemble_members = name, None
        singles[name] = model.predict()["a"].to_numpy()
    state.chosen_model, state.ensemble_members = "ensemble", tuple(chosen)
    got = model.predict()["a"].to_numpy()
    np.testing.assert_allclose(got, np.mean([singles[name] for name in chosen], axis=0), rtol=1e-6)
    model.save(tmp_path / "m")
    loaded = XLSTMForecaster.load(tmp_path / "m")
    assert _members_of(loaded) == tuple(chosen)
    np.testing.assert_allclose(loaded.predict()["a"].to_numpy(), got, rtol=1e-6)


def test_a_file_with_the_old_single_partner_ensemble_loads_as_the_network_plus_partner(tmp_path) -> None:
    import json

    model = XLSTMForecaster(**SMALL, refit=False).fit(trend_cycle(300))
    model.state_.chosen_model, model.state_.ensemble_members = "ensemble", ("xlstm", "theta")
    model.save(tmp_path / "m")
    meta = tmp_path / "m" / "forecaster.json"
    description = json.loads(meta.read_text())
    fitted = description["fitted"]
    del fitted["ensemble_members"]
    fitted["ensemble_partner"] = "theta"
    meta.write_text(json.dumps(description))
    loaded = XLSTMForecaster.load(tmp_path / "m")
    assert _members_of(loaded) == ("xlstm", "theta")
    pd.testing.assert_frame_equal(loaded.predict(), model.predict())


def test_quantile_models_keep_the_network() -> None:
    model = XLSTMForecaster(**SMALL, quantiles=[0.1, 0.9]).fit(exact_cycle())
    assert model.fit_info_["model"] == "xlstm"
    assert "quantiles" in model.fit_info_["model_selection"]["reason"]


def _residuals(**errors: float) -> dict[str, np.ndarray]:
    """Validation errors (N=4, H=2) of constant sign per member: a member's MAE is its value."""
    return {name: np.full((4, 2), value) for name, value in errors.items()}


@pytest.mark.parametrize(("errors", "chosen"), [
    # signed errors that cancel in a mean: the mean of naive (+1) and theta (-1) is exact
    ({"seasonal_naive": 2.0, "naive": 1.0, "theta": -1.0, "xlstm": 3.0}, ("naive", "theta")),
    ({"seasonal_naive": 0.95, "naive": 2.0, "xlstm": -1.0}, ("seasonal_naive", "xlstm")),
    ({"seasonal_naive": 0.95, "naive": 2.0, "xlstm": 0.5}, ("xlstm",)),
    ({"seasonal_naive": 1.0, "naive": 1.0, "xlstm": 1.0}, ("seasonal_naive",)),  # ties: the simplest
    ({"naive": 0.7, "xlstm": 1.0}, ("naive",)),
])
def test_choose(errors: dict[str, float], chosen: tuple[str, ...]) -> None:
    members, scores, _ = choose(_residuals(**errors))
    assert members == chosen
    assert scores[label(members)] == min(scores.values())


def test_candidates_are_ordered_simplest_first() -> None:
    order = candidates(["xlstm", "naive", "seasonal_naive"])
    assert order == [("seasonal_naive",), ("naive",), ("seasonal_naive", "naive"), ("xlstm",),
                     ("seasonal_naive", "xlstm"), ("naive", "xlstm"), ("seasonal_naive", "naive", "xlstm")]


def test_baseline_forecasts() -> None:
    history = np.arange(10.0)
    np.testing.assert_array_equal(baseline_forecast("naive", history, 3, 4), [9, 9, 9])
    np.testing.assert_array_equal(baseline_forecast("seasonal_naive", history, 6, 4), [6, 7, 8, 9, 6, 7])
    np.testing.assert_array_equal(baseline_forecast("seasonal_naive", history, 2, 20), [9, 9])  # season too long
    # theta on a line: the last level plus half the slope per step (the theta=0 line halves the trend)
    np.testing.assert_allclose(baseline_forecast("theta", history, 3, 1), [9.495, 9.995, 10.495], atol=0.01)
    # ets on a line: the damped trend keeps most of the slope (phi <= 0.98, so a little less than 10, 11, 12)
    line = baseline_forecast("ets", history, 3, 1)
    assert 9.9 < line[0] < 10.0 and np.all(np.diff(line) > 0.9) and np.all(np.diff(line) < 1.0)


def test_unknown_model() -> None:
    with pytest.raises(ValueError, match="model must be one of"):
        XLSTMForecaster(**SMALL, model="arima").fit(exact_cycle())


def trend_cycle(n: int, seed: int = 5) -> pd.DataFrame:
    """A trend plus a daily cycle plus noise: Theta wins over seasonal naive here."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 50 + 0.05 * t + 3 * np.sin(2 * np.pi * t / 24) + 0.3 * rng.standard_normal(n)
    return pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=n, freq="h"), "a": values})


@pytest.mark.parametrize("n", [131, 517])
def test_the_simple_forecasts_read_the_longer_kept_history(n: int, tmp_path) -> None:
    frame = trend_cycle(n)
    model = XLSTMForecaster(**SMALL).fit(frame)
    state = model.state_
    assert state.history_steps == n > state.lookback  # the whole series (shorter than SIMPLE_HISTORY)
    np.testing.assert_array_equal(state.simple_history(0), frame["a"].to_numpy())
    for name in ("theta", "ets", "naive", "seasonal_naive"):
        state.chosen_model = name
        expected = baseline_forecast(name, frame["a"].to_numpy(), 6, 24)
        np.testing.assert_allclose(model.predict()["a"], expected, rtol=1e-12)
        np.testing.assert_allclose(model.predict(frame)["a"], expected, rtol=1e-12)  # the same from the frame
    model.save(tmp_path / "m")
    loaded = XLSTMForecaster.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.state_.history_target, state.history_target)
    pd.testing.assert_frame_equal(loaded.predict(), model.predict())


def test_update_rolls_the_kept_history_and_matches_predict_on_the_whole_series() -> None:
    frame = trend_cycle(260)
    model = XLSTMForecaster(**SMALL).fit(frame.iloc[:200])
    model.state_.chosen_model = "theta"
    model.update(frame.iloc[200:])
    np.testing.assert_array_equal(model.state_.simple_history(0), frame["a"].to_numpy()[-200:])
    expected = baseline_forecast("theta", frame["a"].to_numpy()[-200:], 6, 24)
    np.testing.assert_allclose(model.predict()["a"], expected, rtol=1e-12)


def test_shorter_series_keep_a_nan_padded_history_and_forecast_from_their_own_steps() -> None:
    long, short = trend_cycle(300, seed=1), trend_cycle(150, seed=2)
    frame = pd.concat([long.assign(unique_id="long"), short.assign(unique_id="short")]).rename(columns={"a": "y"})
    model = XLSTMForecaster(**SMALL).fit(frame)
    state = model.state_
    assert state.history_target.shape == (2, 300)
    assert np.isnan(state.history_target[1, :150]).all()
    np.testing.assert_array_equal(state.simple_history(1), short["a"].to_numpy())
    state.chosen_model = "theta"
    out = model.predict()
    np.testing.assert_allclose(out[out.unique_id == "short"]["y"], baseline_forecast("theta", short["a"].to_numpy(), 6, 24))


def test_seasonal_naive_competes_when_the_season_is_longer_than_the_lookback() -> None:
    model = XLSTMForecaster(**{**SMALL, "lookback": 16}).fit(trend_cycle(300))
    assert model.lookback_ < 24
    assert "seasonal_naive" in model.fit_info_["model_selection"]["validation_mae"]
