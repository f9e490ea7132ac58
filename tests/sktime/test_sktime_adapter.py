"""The sktime adapter: sktime's own conformance checks, then out-of-sample behaviour on synthetic
series (time indexes, exogenous X, intervals and quantiles, update)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sktime")

from sktime.forecasting.base import ForecastingHorizon  # noqa: E402
from sktime.utils.estimator_checks import check_estimator  # noqa: E402

from xlstm_ts.sktime import InSampleForecastError, XLSTMSktimeForecaster  # noqa: E402

TINY: dict[str, Any] = {
    "horizon": 6,
    "lookback": 12,
    "embedding_dim": 8,
    "num_blocks": 1,
    "num_heads": 1,
    "patch_len": 4,
    "patch_stride": 2,
    "max_epochs": 1,
    "model": "xlstm",
    "accelerator": "cpu",
    "random_state": 0,
    "verbose": 0,
}
"""A network that fits in a fraction of a second."""


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    """Lightning and sktime warn about small data and deprecations; these tests check behaviour."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def tiny(**overrides: Any) -> XLSTMSktimeForecaster:
    return XLSTMSktimeForecaster(**{**TINY, **overrides})


def sine(n: int, period: float = 7.0, noise: float = 0.1, index: str = "datetime", seed: int = 0) -> pd.Series:
    """A periodic series around 10 with Gaussian noise, on a daily DatetimeIndex, PeriodIndex or
    integer index."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 10 + 3 * np.sin(2 * np.pi * t / period) + noise * rng.standard_normal(n)
    if index == "datetime":
        idx: pd.Index = pd.date_range("2024-01-01", periods=n, freq="D")
    elif index == "period":
        idx = pd.period_range("2024-01-01", periods=n, freq="D")
    else:
        idx = pd.Index(np.arange(100, 100 + n), dtype=np.int64)
    return pd.Series(values, index=idx, name="sales")


# ---------------------------------------------------------------------- sktime's own checks
def test_sktime_check_estimator() -> None:
    """Every sktime conformance check on both ``get_test_params`` configurations passes."""
    results = check_estimator(XLSTMSktimeForecaster, raise_exceptions=True, verbose=False)
    failed = {name: result for name, result in results.items() if result != "PASSED"}
    assert not failed, failed
    assert len(results) > 100


def test_importing_xlstm_ts_does_not_import_sktime() -> None:
    code = "import sys, xlstm_ts, xlstm_ts.forecaster; print(any(m.split('.')[0] == 'sktime' for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------- indexes and fh
@pytest.mark.parametrize("index", ["datetime", "period", "integer"])
def test_relative_and_absolute_fh_give_sktimes_index(index: str) -> None:
    y = sine(80, index=index)
    train = y.iloc[:70]
    f = tiny().fit(train, fh=[1, 2, 3, 4, 5, 6])
    relative = f.predict()
    expected = ForecastingHorizon([1, 2, 3, 4, 5, 6], is_relative=True).to_absolute_index(f.cutoff)
    assert isinstance(relative, pd.Series)
    assert relative.name == "sales"
    pd.testing.assert_index_equal(relative.index, expected)
    assert np.isfinite(relative.to_numpy()).all()

    absolute_fh = ForecastingHorizon(y.index[[71, 73, 75]], is_relative=False)
    absolute = f.predict(fh=absolute_fh)
    pd.testing.assert_index_equal(absolute.index, absolute_fh.to_absolute_index(f.cutoff))
    pd.testing.assert_index_equal(absolute.index, y.index[[71, 73, 75]])
    # the same steps as the relative forecast: one network pass, read at steps 2, 4, 6
    np.testing.assert_allclose(absolute.to_numpy(), relative.to_numpy()[[1, 3, 5]])


def test_fh_beyond_horizon_rolls_forward() -> None:
    y = sine(80)
    f = tiny(horizon=None).fit(y.iloc[:70], fh=[1, 2, 3])  # horizon: max(fh) of fit
    pred = f.predict(fh=np.arange(1, 11))
    assert f.horizon_ == 3
    pd.testing.assert_index_equal(pred.index, y.index[70:80])
    assert np.isfinite(pred.to_numpy()).all()


def test_in_sample_fh_is_refused() -> None:
    y = sine(60)
    f = tiny().fit(y, fh=[1, 2])
    with pytest.raises(InSampleForecastError, match="forecasts only the steps after the cutoff"):
        f.predict(fh=[-1, 0, 1])
    with pytest.raises(ValueError):  # InSampleForecastError is a ValueError too
        f.predict(fh=ForecastingHorizon(y.index[-3:], is_relative=False))


def test_multivariate_y_keeps_columns() -> None:
    y = pd.concat([sine(60, seed=0).rename("a"), 5 * sine(60, seed=1).rename("b")], axis=1)
    f = tiny().fit(y.iloc[:50], fh=[1, 2, 3])
    pred = f.predict()
    assert list(pred.columns) == ["a", "b"]
    pd.testing.assert_index_equal(pred.index, y.index[50:53])
    assert np.isfinite(pred.to_numpy()).all()


# ---------------------------------------------------------------------- accuracy
def test_network_beats_flat_naive_on_a_periodic_series() -> None:
    y = sine(240, period=7, noise=0.1)
    train, test = y.iloc[:-14], y.iloc[-14:]
    f = tiny(horizon=14, lookback=28, patch_len=7, patch_stride=7, max_epochs=5).fit(train)
    pred = f.predict(fh=np.arange(1, 15))
    mae = np.abs(pred.to_numpy() - test.to_numpy()).mean()
    naive = np.abs(train.iloc[-1] - test.to_numpy()).mean()
    assert mae < 0.6 * naive, (mae, naive)


def test_auto_model_falls_back_to_exact_seasonal_naive() -> None:
    """An exactly periodic hourly series (season 24): model="auto" picks the seasonal naive, which
    repeats the last 24 observations."""
    n = 24 * 12
    t = np.arange(n)
    y = pd.Series(
        10 + 3 * np.sin(2 * np.pi * t / 24) + np.cos(2 * np.pi * t / 8),
        index=pd.date_range("2024-01-01", periods=n, freq="h"),
    )
    f = tiny(model="auto", horizon=12, lookback=48, patch_len=8, patch_stride=8).fit(y)
    assert f.forecaster_.fit_info_["model"] == "seasonal_naive"
    pred = f.predict(fh=np.arange(1, 13))
    np.testing.assert_allclose(pred.to_numpy(), y.to_numpy()[-24:-12], rtol=0, atol=1e-9)


# ---------------------------------------------------------------------- exogenous X
def exog(n: int, index: pd.Index, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"promo": rng.integers(0, 2, n).astype(float), "temp": rng.standard_normal(n)}, index=index)


def test_exogenous_X_reaches_the_forecast() -> None:
    y = sine(100)
    X = exog(100, y.index)
    y = y + 2 * X["promo"]
    f = tiny(token_axis="variate").fit(y.iloc[:90], X=X.iloc[:90], fh=[1, 2, 3, 4, 5, 6])
    future = X.iloc[90:96]
    pred = f.predict(X=future)
    assert np.isfinite(pred.to_numpy()).all()
    pd.testing.assert_index_equal(pred.index, y.index[90:96])
    changed = future.assign(promo=1.0 - future["promo"], temp=future["temp"] + 3.0)
    other = f.predict(X=changed)
    assert not np.allclose(pred.to_numpy(), other.to_numpy())
    np.testing.assert_allclose(f.predict(X=future).to_numpy(), pred.to_numpy())  # predict has no side effect


def test_missing_future_X_is_a_clear_error() -> None:
    y = sine(100)
    X = exog(100, y.index)
    f = tiny().fit(y.iloc[:90], X=X.iloc[:90], fh=[1, 2, 3, 4, 5, 6])
    with pytest.raises(ValueError, match="X lacks exogenous values for 6 of the 6 steps"):
        f.predict()
    with pytest.raises(ValueError, match="lacks the exogenous column"):
        f.predict(X=X.iloc[90:96][["promo"]])


# ---------------------------------------------------------------------- intervals and quantiles
QUANTILES = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]


def assert_monotone(frame: pd.DataFrame) -> None:
    values = frame.to_numpy()
    assert np.isfinite(values).all()
    assert (np.diff(values, axis=1) >= -1e-9).all(), frame


def test_quantile_network_intervals_and_quantiles() -> None:
    y = pd.concat([sine(80, seed=0).rename("a"), sine(80, seed=1).rename("b")], axis=1)
    f = tiny(quantiles=QUANTILES, model="auto", max_epochs=2).fit(y.iloc[:70], fh=[1, 2, 3, 4])
    assert f.get_tag("capability:pred_int")
    index = y.index[70:74]

    q = f.predict_quantiles(alpha=[0.05, 0.2, 0.5, 0.8, 0.95])
    assert q.shape == (4, 10)
    assert list(q.columns) == [(s, a) for s in ["a", "b"] for a in [0.05, 0.2, 0.5, 0.8, 0.95]]
    pd.testing.assert_index_equal(q.index, index)
    for s in ["a", "b"]:
        assert_monotone(q[s])
    np.testing.assert_allclose(q[("a", 0.5)].to_numpy(), f.predict()["a"].to_numpy())

    i = f.predict_interval(coverage=[0.5, 0.9])
    assert i.shape == (4, 8)
    assert list(i.columns) == [(s, c, e) for s in ["a", "b"] for c in [0.5, 0.9] for e in ["lower", "upper"]]
    pd.testing.assert_index_equal(i.index, index)
    for s in ["a", "b"]:
        nested = i[s][[(0.9, "lower"), (0.5, "lower"), (0.5, "upper"), (0.9, "upper")]]
        assert_monotone(nested)
    np.testing.assert_allclose(i[("a", 0.9, "lower")].to_numpy(), q[("a", 0.05)].to_numpy())

    with pytest.raises(ValueError, match="never extrapolated"):
        f.predict_quantiles(alpha=[0.01])


def test_conformal_levels_intervals() -> None:
    y = sine(200)
    f = tiny(levels=[80], validation_size=60).fit(y.iloc[:190], fh=[1, 2, 3, 4, 5, 6])
    i = f.predict_interval(coverage=0.8)
    assert i.shape == (6, 2)
    pd.testing.assert_index_equal(i.index, y.index[190:196])
    assert_monotone(i)
    point = f.predict().to_numpy()
    assert (i.iloc[:, 0].to_numpy() <= point + 1e-9).all() and (point <= i.iloc[:, 1].to_numpy() + 1e-9).all()
    q = f.predict_quantiles(alpha=[0.1, 0.9])
    np.testing.assert_allclose(q.to_numpy(), i.to_numpy())
    with pytest.raises(ValueError, match="coverage=0.5 is not available"):
        f.predict_interval(coverage=0.5)


def test_point_forecaster_has_no_interval_capability() -> None:
    f = tiny()
    assert not f.get_tag("capability:pred_int")
    assert tiny(quantiles=QUANTILES).get_tag("capability:pred_int")
    assert tiny(levels=[90]).get_tag("capability:pred_int")


# ---------------------------------------------------------------------- update
def test_update_without_refit_moves_the_cutoff_and_the_context() -> None:
    y = sine(100)
    f = tiny().fit(y.iloc[:80], fh=[1, 2, 3])
    weights = f.forecaster_
    before = f.predict()
    f.update(y.iloc[80:90], update_params=False)
    assert f.forecaster_ is weights  # same network
    assert f.cutoff[0] == y.index[89]
    after = f.predict()
    pd.testing.assert_index_equal(after.index, y.index[90:93])
    assert np.isfinite(after.to_numpy()).all()
    assert not np.allclose(before.to_numpy(), after.to_numpy())
    # the same as a forecast from the same network given the longer history directly
    g = tiny().fit(y.iloc[:80], fh=[1, 2, 3])
    g.update(y.iloc[80:90], update_params=False)
    np.testing.assert_allclose(g.predict().to_numpy(), after.to_numpy())


def test_update_with_refit_retrains_on_all_data() -> None:
    y = sine(100)
    X = exog(100, y.index)
    f = tiny(token_axis="variate").fit(y.iloc[:80], X=X.iloc[:80], fh=[1, 2, 3])
    weights = f.forecaster_
    f.update(y.iloc[80:90], X=X.iloc[80:90], update_params=True)
    assert f.forecaster_ is not weights
    assert f.cutoff[0] == y.index[89]
    pred = f.predict(X=X.iloc[90:96])
    pd.testing.assert_index_equal(pred.index, y.index[90:93])
    assert np.isfinite(pred.to_numpy()).all()
    # the refitted network equals one fitted on everything at once
    g = tiny(token_axis="variate").fit(y.iloc[:90], X=X.iloc[:90], fh=[1, 2, 3])
    np.testing.assert_allclose(g.predict(X=X.iloc[90:96]).to_numpy(), pred.to_numpy(), rtol=1e-5, atol=1e-6)


def test_update_with_other_columns_is_refused() -> None:
    y = pd.concat([sine(60, seed=0).rename("a"), sine(60, seed=1).rename("b")], axis=1)
    f = tiny().fit(y.iloc[:50], fh=[1])
    with pytest.raises(ValueError):
        f.update(y.iloc[50:55].rename(columns={"b": "c"}), update_params=False)


def test_fit_is_reproducible_with_random_state() -> None:
    y = sine(80)
    a = tiny(dropout=0.2, max_epochs=2).fit(y.iloc[:70], fh=[1, 2, 3]).predict()
    b = tiny(dropout=0.2, max_epochs=2).fit(y.iloc[:70], fh=[1, 2, 3]).predict()
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy())
