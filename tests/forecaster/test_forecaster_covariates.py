"""Future covariates: extra input channels whose future values predict() takes from ``future=``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest


@pytest.fixture(scope="module")
def promo_frame() -> pd.DataFrame:
    """Sales = daily cycle + 3 x promo (a known-in-advance 0/1 covariate) + noise."""
    rng = np.random.default_rng(0)
    n = 600
    t = np.arange(n)
    promo = (rng.random(n + 24) < 0.2).astype(float)
    return pd.DataFrame(
        {
            "ds": pd.date_range("2024-01-01", periods=n + 24, freq="h"),
            "sales": np.r_[
                10 + np.sin(2 * np.pi * t / 24) + 3 * promo[:n] + 0.1 * rng.standard_normal(n), np.full(24, np.nan)
            ],
            "promo": promo,
        }
    )


@pytest.fixture(scope="module")
def fitted(promo_frame):
    import torch

    from xlstm_ts.forecaster import XLSTMForecaster

    torch.set_num_threads(1)
    history = promo_frame.iloc[:600]
    model = XLSTMForecaster(
        horizon=6,
        lookback=24,
        embedding_dim=16,
        num_blocks=1,
        num_heads=2,
        patch_len=8,
        patch_stride=4,
        future_covariates=["promo"],
        learning_rate=1e-2,
        max_epochs=10,
        verbose=0,
        random_state=0,
    ).fit(history)
    return model, history


def test_covariate_effect_is_learned(fitted, promo_frame) -> None:
    model, history = fitted
    future = promo_frame.iloc[600:606][["ds", "promo"]]
    on = model.predict(future=future.assign(promo=1.0))["sales"].to_numpy()
    off = model.predict(future=future.assign(promo=0.0))["sales"].to_numpy()
    assert np.all(on - off > 1.5), on - off  # true effect: +3
    scores = model.evaluate(history, n_windows=20)
    assert scores["mae"] < 0.5, scores  # without the covariate the MAE is about 1 (see below)


def test_future_frame_forms(fitted, promo_frame) -> None:
    model, history = fitted
    future = promo_frame.iloc[600:606][["ds", "promo"]]
    expected = model.predict(future=future)
    assert list(expected.columns) == ["ds", "sales"]
    assert expected["ds"].iloc[0] == pd.Timestamp("2024-01-26 00:00")
    polars_out = model.predict(pl.from_pandas(history), future=pl.from_pandas(future))
    np.testing.assert_allclose(polars_out["sales"].to_numpy(), expected["sales"].to_numpy())
    # extra future rows are fine; rows are matched by timestamp, not position
    shuffled = promo_frame.iloc[600:][["ds", "promo"]].sample(frac=1.0, random_state=1)
    np.testing.assert_allclose(model.predict(future=shuffled)["sales"], expected["sales"])


def test_future_errors(fitted, promo_frame) -> None:
    model, _ = fitted
    with pytest.raises(
        ValueError, match=r"uses the future covariates \['promo'\]: pass future= with their values for the 6 steps"
    ):
        model.predict()
    short = promo_frame.iloc[600:603][["ds", "promo"]]
    with pytest.raises(
        ValueError,
        match=r"future= lacks the covariates of series 'sales' at 2024-01-26 03:00:00 \(3 of the 6 needed steps",
    ):
        model.predict(future=short)
    with pytest.raises(ValueError, match=r"future has other columns than the frame seen in fit: missing \['promo'\]"):
        model.predict(future=promo_frame.iloc[600:606][["ds"]])
    holes = promo_frame.iloc[600:606][["ds", "promo"]].copy()
    holes.iloc[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"future has 1 missing or infinite covariate value\(s\)"):
        model.predict(future=holes)
    with pytest.raises(
        ValueError, match=r"for the 12 steps after each series' end \(h=8 rounded up to whole blocks of horizon=6\)"
    ):
        model.predict(h=8)


def test_future_given_to_a_model_without_covariates(tiny, wide) -> None:
    model = tiny().fit(wide)
    with pytest.raises(ValueError, match="future= was given but the model has no future_covariates"):
        model.predict(future=wide[["ds"]])


def test_long_form_covariates_and_numpy_future(tiny, to_long, make_frame) -> None:
    wide = make_frame(n=120, columns=("a", "b"))
    long = to_long(wide)
    long["temp"] = np.tile(np.cos(np.arange(120) / 5.0), 2)
    model = tiny(future_covariates=["temp"]).fit(long)
    last = long["ds"].max()
    future = pd.DataFrame(
        {
            "unique_id": np.repeat(["a", "b"], 6),
            "ds": np.tile(pd.date_range(last, periods=7, freq="h")[1:], 2),
            "temp": 0.5,
        }
    )
    forecast = model.predict(future=future)
    assert list(forecast.columns) == ["unique_id", "ds", "y"] and len(forecast) == 12
    with pytest.raises(ValueError, match=r"future= has no rows for series 'b'"):
        model.predict(future=future[future.unique_id == "a"])
    array_model = tiny(future_covariates=[2]).fit(np.column_stack([wide["a"], wide["b"], np.cos(np.arange(120) / 5.0)]))
    assert array_model.predict(future=np.full((6, 1), 0.5)).shape == (6, 2)
