"""The estimator never fabricates history and refuses covariate steps its window cannot carry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlstm_ts.forecaster import XLSTMForecaster

SMALL = {"horizon": 6, "lookback": 24, "embedding_dim": 8, "num_blocks": 1, "num_heads": 2, "patch_len": 8,
         "patch_stride": 4, "max_epochs": 1, "batch_size": 64, "verbose": 0, "random_state": 0}


def late_start_frame(gap: int = 40, n: int = 300) -> pd.DataFrame:
    """Two hourly series; "late" has no values for its first ``gap`` steps."""
    rng = np.random.default_rng(1)
    t = np.arange(n)
    late = 50 + np.sin(2 * np.pi * t / 24) + 0.1 * rng.standard_normal(n)
    late[:gap] = np.nan
    return pd.DataFrame({
        "ds": pd.date_range("2024-01-01", periods=n, freq="h"),
        "early": 10 + np.cos(2 * np.pi * t / 24) + 0.1 * rng.standard_normal(n),
        "late": late,
    })


@pytest.mark.parametrize("policy", ["ffill", "interpolate"])
def test_a_leading_gap_is_never_back_filled(policy: str) -> None:
    with pytest.raises(ValueError, match=r"'late'.*starts with 40 step\(s\).*leading_missing='drop'"):
        XLSTMForecaster(**SMALL, fill_missing=policy).fit(late_start_frame())


@pytest.mark.parametrize("policy", ["raise", "ffill", "interpolate"])
def test_leading_missing_drop_starts_the_series_at_its_first_value(policy: str) -> None:
    frame = late_start_frame()
    model = XLSTMForecaster(**SMALL, fill_missing=policy, leading_missing="drop", validation_size=0).fit(frame)
    observed = frame["late"].to_numpy()[40:]
    # the scaler saw exactly the observed values (a back-filled start would pull the mean and std)
    assert model.scalers_["late"].mean_[0] == pytest.approx(observed.mean())
    assert model.scalers_["late"].std_[0] == pytest.approx(observed.std(), rel=1e-6)
    assert model.fit_info_["train_windows"] == (300 - 24 - 6 + 1) + (260 - 24 - 6 + 1)
    forecast = model.predict(frame)
    assert np.isfinite(forecast[["early", "late"]].to_numpy()).all()


def test_interior_gaps_are_still_filled() -> None:
    frame = late_start_frame(gap=0)
    frame.loc[100:104, "late"] = np.nan
    model = XLSTMForecaster(**SMALL, fill_missing="interpolate").fit(frame)
    assert np.isfinite(model.predict()[["early", "late"]].to_numpy()).all()


def test_unknown_leading_policy() -> None:
    with pytest.raises(ValueError, match="leading_missing must be one of"):
        XLSTMForecaster(**SMALL, leading_missing="bfill").fit(late_start_frame(gap=0))


def test_future_covariates_need_a_lookback_of_at_least_the_horizon() -> None:
    n = 400
    frame = pd.DataFrame({
        "ds": pd.date_range("2024-01-01", periods=n, freq="h"),
        "y": np.sin(np.arange(n) / 5.0),
        "promo": (np.arange(n) % 7 == 0).astype(float),
    })
    settings = {**SMALL, "horizon": 24, "lookback": 16}
    with pytest.raises(ValueError, match=r"lookback >= horizon.*first 8 forecast step\(s\).*lookback=24"):
        XLSTMForecaster(**settings, future_covariates=["promo"]).fit(frame)
    XLSTMForecaster(**settings).fit(frame[["ds", "y"]])  # without covariates a short window is fine
