"""Horizons other than the trained one: truncation, and recursion (with a warning) beyond it."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from xlstm_ts.forecaster import RecursiveForecastWarning


def test_shorter_h_truncates(tiny, wide) -> None:
    model = tiny().fit(wide)
    full = model.predict()
    short = model.predict(h=2)
    assert len(short) == 2
    np.testing.assert_allclose(short[["a", "b"]].to_numpy(), full[["a", "b"]].to_numpy()[:2])


def test_longer_h_rolls_forward_and_warns(tiny, wide) -> None:
    model = tiny(model="xlstm").fit(wide)  # the recursion is the network's (a simple forecast needs none)
    with pytest.warns(
        RecursiveForecastWarning,
        match=r"h=15 is longer than the trained horizon=6: forecasting recursively in 3 blocks",
    ):
        long_forecast = model.predict(h=15)
    assert len(long_forecast) == 15
    assert long_forecast["ds"].is_monotonic_increasing and long_forecast["ds"].diff().dropna().nunique() == 1
    np.testing.assert_allclose(long_forecast[["a", "b"]].to_numpy()[:6], model.predict()[["a", "b"]].to_numpy())
    # block 2 is the forecast from the history extended by block 1
    first = model.predict()
    extended = pd.concat([wide, first], ignore_index=True)
    np.testing.assert_allclose(
        long_forecast[["a", "b"]].to_numpy()[6:12], model.predict(extended)[["a", "b"]].to_numpy(), rtol=1e-5
    )


def test_no_warning_within_horizon(tiny, wide) -> None:
    model = tiny().fit(wide)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RecursiveForecastWarning)
        model.predict(h=6)


def test_predict_does_not_change_the_model(tiny, wide) -> None:
    model = tiny().fit(wide)
    before = {k: v.clone() for k, v in model.network_.state_dict().items()}
    model.predict()
    model.predict(wide)
    for k, v in model.network_.state_dict().items():
        assert (v == before[k]).all()
