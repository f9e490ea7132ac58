"""cross_validation (rolling-origin backtests) and conformal intervals (levels=)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

from xlstm_ts.forecaster import RecursiveForecastWarning, XLSTMForecaster
from xlstm_ts.forecasting.conformal import conformal_width, minimum_scores

SMALL = {"horizon": 6, "lookback": 24, "embedding_dim": 8, "num_blocks": 1, "num_heads": 2, "patch_len": 8,
         "patch_stride": 4, "max_epochs": 1, "batch_size": 64, "verbose": 0, "random_state": 0}


def noisy_cycles(n: int = 300, columns: tuple[str, ...] = ("a", "b"), seed: int = 0, noise: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    data = {"ds": pd.date_range("2024-01-01", periods=n, freq="h")}
    for k, name in enumerate(columns):
        data[name] = 10.0 + k + np.sin(2 * np.pi * t / 24 + k) + noise * rng.standard_normal(n)
    return pd.DataFrame(data)


def test_cross_validation_frame_layout() -> None:
    frame = noisy_cycles()
    cv = XLSTMForecaster(**SMALL).cross_validation(frame, n_windows=3, step_size=4)
    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "y", "forecast"]
    assert len(cv) == 2 * 3 * 6
    for name, part in cv.groupby("unique_id", sort=False):
        cutoffs = sorted(part["cutoff"].unique())
        assert len(cutoffs) == 3
        assert np.diff(cutoffs).tolist() == [pd.Timedelta(hours=4)] * 2
        assert part["ds"].max() == frame["ds"].iloc[-1]  # the last window ends at the series' end
        truth = frame.set_index("ds")[name].loc[part["ds"]].to_numpy()
        np.testing.assert_array_equal(part["y"].to_numpy(), truth)
        assert (part["ds"] > part["cutoff"]).all()
    assert np.isfinite(cv["forecast"]).all()
    assert list(cv["unique_id"].unique()) == ["a", "b"]  # by series, then cutoff


@pytest.mark.parametrize("refit", [False, True])
def test_cross_validation_is_out_of_sample(refit: bool) -> None:
    """Each window's forecast equals a model fitted only on the history before (the first) window."""
    frame = noisy_cycles()
    model = XLSTMForecaster(**SMALL)
    cv = model.cross_validation(frame, n_windows=2, refit=refit)
    assert not hasattr(model, "state_")  # self is left untouched
    starts = [len(frame) - 12, len(frame) - 6]
    for k, start in enumerate(starts):
        trained_until = start if refit else starts[0]
        reference = XLSTMForecaster(**SMALL).fit(frame.iloc[:trained_until])
        expected = reference.predict(frame.iloc[:start])
        window = cv[cv["cutoff"] == frame["ds"].iloc[start - 1]]
        for name in ("a", "b"):
            np.testing.assert_allclose(window[window["unique_id"] == name]["forecast"], expected[name], rtol=1e-6)


def test_cross_validation_long_and_polars_input() -> None:
    long = noisy_cycles().melt(id_vars="ds", var_name="unique_id", value_name="y")[["unique_id", "ds", "y"]]
    cv = XLSTMForecaster(**SMALL).cross_validation(pl.from_pandas(long), n_windows=2)
    assert isinstance(cv, pl.DataFrame)
    assert cv.height == 2 * 2 * 6 and cv.columns[:4] == ["unique_id", "ds", "cutoff", "y"]


def test_cross_validation_errors() -> None:
    frame = noisy_cycles(n=80)
    with pytest.raises(ValueError, match=r"series 'a' has 80 time steps; 20 backtest window"):
        XLSTMForecaster(**SMALL).cross_validation(frame, n_windows=20)
    with pytest.raises(ValueError, match="leave future= out"):
        XLSTMForecaster(**SMALL).cross_validation(frame, future=frame)
    with pytest.raises(ValueError, match="n_windows must be an integer >= 1"):
        XLSTMForecaster(**SMALL).cross_validation(frame, n_windows=0)


@pytest.mark.parametrize(("level", "need"), [(50, 1), (80, 4), (90, 9), (95, 19)])
def test_minimum_scores(level: int, need: int) -> None:
    assert minimum_scores(level) == need
    scores = np.arange(1.0, need + 1)
    assert np.isfinite(conformal_width(scores, level))
    assert conformal_width(scores[:-1], level) == np.inf


def test_conformal_width_is_the_finite_sample_quantile() -> None:
    scores = np.arange(1.0, 11.0)  # n = 10: rank ceil(11 * 0.8) = 9
    assert conformal_width(scores, 80) == 9.0


def test_intervals_cover_new_series_at_about_their_level() -> None:
    """Calibrated on the fit series' held-out windows, scored on series the model never saw."""
    def long(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.melt(id_vars="ds", var_name="unique_id", value_name="y")[["unique_id", "ds", "y"]]

    train = long(noisy_cycles(n=400, columns=tuple(f"s{k}" for k in range(12)), seed=1, noise=0.5))
    model = XLSTMForecaster(**{**SMALL, "max_epochs": 2}, levels=[80, 95]).fit(train)
    assert model.fit_info_["calibration_windows"] >= 19
    fresh = long(noisy_cycles(n=400, columns=tuple(f"n{k}" for k in range(30)), seed=7, noise=0.5))
    last = fresh["ds"].max() - pd.Timedelta(hours=6)
    history, future = fresh[fresh["ds"] <= last], fresh[fresh["ds"] > last]
    forecast = model.predict(history).merge(future.rename(columns={"y": "truth"}), on=["unique_id", "ds"])
    assert len(forecast) == 30 * 6
    inside80 = (forecast["truth"] >= forecast["y-lo-80"]) & (forecast["truth"] <= forecast["y-hi-80"])
    inside95 = (forecast["truth"] >= forecast["y-lo-95"]) & (forecast["truth"] <= forecast["y-hi-95"])
    cover80, cover95 = np.mean(inside80), np.mean(inside95)
    assert 0.65 <= cover80 <= 0.93, cover80
    assert 0.85 <= cover95 <= 1.0 and cover95 >= cover80
    assert (forecast["y-lo-95"] <= forecast["y-lo-80"]).all() and (forecast["y-hi-80"] <= forecast["y-hi-95"]).all()


def test_intervals_with_quantiles_in_backtests_and_after_loading(tmp_path) -> None:
    frame = noisy_cycles(n=400)
    model = XLSTMForecaster(**SMALL, quantiles=[0.1, 0.9], levels=[80]).fit(frame)
    forecast = model.predict()
    assert {"a_q0.1", "a_q0.9", "a-lo-80", "a-hi-80"} <= set(forecast.columns)
    np.testing.assert_allclose(forecast["a-hi-80"] - forecast["a"], forecast["a"] - forecast["a-lo-80"])
    model.save(tmp_path / "model")
    pd.testing.assert_frame_equal(XLSTMForecaster.load(tmp_path / "model").predict(), forecast)
    cv = model.cross_validation(frame, n_windows=2)
    assert {"forecast_q0.1", "forecast-lo-80", "forecast-hi-80"} <= set(cv.columns)


def test_intervals_past_the_horizon_are_nan() -> None:
    model = XLSTMForecaster(**SMALL, levels=[80], model="xlstm").fit(noisy_cycles(n=400))
    with pytest.warns(RecursiveForecastWarning, match="NaN there"):
        forecast = model.predict(h=9)
    assert forecast["a-lo-80"].iloc[:6].notna().all() and forecast["a-lo-80"].iloc[6:].isna().all()


@pytest.mark.parametrize("levels", [[0], [100], "80", [80, 80], [True]])
def test_invalid_levels(levels) -> None:
    with pytest.raises(ValueError, match="levels"):
        XLSTMForecaster(**SMALL, levels=levels).fit(noisy_cycles())


def test_levels_without_enough_held_out_windows_are_refused() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"need at least 19; the validation hold-out gives"):
            XLSTMForecaster(**SMALL, levels=[95], validation_size=6).fit(noisy_cycles(n=120, columns=("a",)))
