"""Bad input gets a clear error naming the problem (and nothing is dropped silently)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from xlstm_ts.forecaster import XLSTMForecaster


# --------------------------------------------------------------------------- empty / shape
def test_empty_frame(tiny, wide) -> None:
    with pytest.raises(ValueError, match=r"fit\(df\) is empty: 0 sample\(s\)"):
        tiny().fit(wide.iloc[:0])
    with pytest.raises(ValueError, match=r"fit\(df\) is empty: 0 sample\(s\)"):
        tiny().fit(pl.from_pandas(wide).head(0))
    with pytest.raises(ValueError, match=r"0 feature\(s\)"):
        tiny().fit(pd.DataFrame(index=pd.date_range("2024", periods=50, freq="h")))


def test_only_a_time_column_is_no_target(tiny, wide) -> None:
    with pytest.raises(ValueError, match="no target column: the frame has only"):
        tiny().fit(wide[["ds"]])


def test_not_a_frame(tiny, wide) -> None:
    with pytest.raises(TypeError, match="pandas Series: use series.to_frame"):
        tiny().fit(wide["a"])
    with pytest.raises(ValueError, match="Reshape your data"):
        tiny().fit(wide["a"].to_numpy())
    with pytest.raises(TypeError, match="must be a pandas or polars DataFrame"):
        tiny().fit({"a": [1, 2, 3]})


# --------------------------------------------------------------------------- target columns
def test_missing_target_column_long(tiny, long) -> None:
    with pytest.raises(
        ValueError, match=r"long-form frame lacks the target column 'y'; columns are \['unique_id', 'ds', 'value'\]"
    ):
        tiny().fit(long.rename(columns={"y": "value"}))


def test_non_numeric_target_column(tiny, wide, long) -> None:
    text = wide.assign(b=wide["b"].astype(str))
    with pytest.raises(ValueError, match=r"non-numeric column\(s\) \{'b': '(object|str)'\}"):
        tiny().fit(text)
    with pytest.raises(ValueError, match=r"target column 'y' is not numeric"):
        tiny().fit(long.assign(y=long["y"].astype(str)))


def test_unexpected_columns_in_long_frame_are_not_dropped(tiny, long) -> None:
    with pytest.raises(ValueError, match=r"unexpected column\(s\) \['note'\] in the long-form frame"):
        tiny().fit(long.assign(note="x"))


def test_no_timestamp_column(tiny, wide) -> None:
    with pytest.raises(ValueError, match="no timestamp column found"):
        tiny().fit(wide.drop(columns="ds"))


def test_unparseable_dates(tiny, wide) -> None:
    bad = wide.assign(ds=wide["ds"].astype(str))
    bad.loc[3, "ds"] = "not a date"
    with pytest.raises(ValueError, match="time column 'ds' of fit\\(df\\) could not be parsed as dates"):
        tiny().fit(bad)


# --------------------------------------------------------------------------- time axis
def test_duplicated_timestamps(tiny, wide, long) -> None:
    doubled = pd.concat([wide, wide.iloc[[10]]], ignore_index=True)
    with pytest.raises(
        ValueError,
        match=r"duplicated timestamps in fit\(df\): series 'a' has 1 row\(s\) whose time 2024-01-01 10:00:00 "
        r"was already seen \(first at row 120 of the frame\)",
    ):
        tiny().fit(doubled)
    doubled_long = pd.concat([long, long.iloc[[130]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"duplicated timestamps.*series 'b'.*row 240"):
        tiny().fit(doubled_long)


def test_irregular_timestamps_without_frequency(tiny, wide) -> None:
    irregular = wide.copy()
    irregular.loc[57, "ds"] += pd.Timedelta(minutes=7)
    with pytest.raises(
        ValueError,
        match=r"irregular timestamps in series 'a', cannot infer a frequency: the step from 2024-01-03 08:00:00 "
        r"\(row 56 of the frame\) to 2024-01-03 09:07:00 is 0 days 01:07:00, the most common step is 0 days 01:00:00; "
        r"pass freq='h'",
    ):
        tiny().fit(irregular)
    random_times = wide.assign(
        ds=pd.Timestamp("2024-01-01")
        + pd.to_timedelta(np.sort(np.random.default_rng(0).choice(10_000, 120, replace=False)), unit="min")
    )
    with pytest.raises(ValueError, match="irregular timestamps in series 'a', cannot infer a frequency"):
        tiny().fit(random_times)


def test_off_grid_timestamps_with_given_freq(tiny, wide) -> None:
    with pytest.raises(ValueError, match=r"timestamp .* is not on the 'D' grid|missing value"):
        tiny(freq="D").fit(wide)


def test_invalid_freq_alias(tiny, wide) -> None:
    with pytest.raises(ValueError, match="freq='hourly' is not a pandas frequency alias"):
        tiny(freq="hourly").fit(wide)


def test_mixed_frequencies(tiny, make_frame, to_long) -> None:
    hourly = to_long(make_frame(n=120, columns=("a",)))
    daily = to_long(make_frame(n=120, columns=("b",), freq="D"))
    with pytest.raises(
        ValueError, match=r"different frequencies \('a': h, 'b': D\)|different frequencies \('b': D, 'a': h\)"
    ):
        tiny().fit(pd.concat([hourly, daily]))


# --------------------------------------------------------------------------- missing values
def test_nan_target_raises_with_count_and_first_position(tiny, wide) -> None:
    holes = wide.copy()
    holes.loc[[30, 31, 70], "b"] = np.nan
    with pytest.raises(
        ValueError,
        match=r"3 missing value\(s\) \(NaN\) in fit\(df\): the first in series 'b', column 'b', "
        r"time 2024-01-02 06:00:00 \(row 30 of the frame\)\. Pass fill_missing='interpolate'",
    ):
        tiny().fit(holes)


@pytest.mark.parametrize("policy", ["interpolate", "ffill"])
def test_nan_target_filled_when_asked(tiny, wide, policy) -> None:
    holes = wide.copy()
    holes.loc[[30, 31], "b"] = np.nan
    model = tiny(fill_missing=policy).fit(holes)
    assert np.isfinite(model.predict()[["a", "b"]].to_numpy()).all()
    holes.loc[0, "b"] = np.nan  # a leading gap is not filled (that would invent history) unless dropped
    with pytest.raises(ValueError, match="starts with 1 step"):
        tiny(fill_missing=policy).fit(holes)
    model = tiny(fill_missing=policy, leading_missing="drop").fit(holes)
    assert np.isfinite(model.predict()[["a", "b"]].to_numpy()).all()


def test_invalid_fill_policy(tiny, wide) -> None:
    with pytest.raises(
        ValueError, match=r"fill_missing must be one of \('raise', 'interpolate', 'ffill'\); got 'zero'"
    ):
        tiny(fill_missing="zero").fit(wide)


def test_infinite_values(tiny, wide) -> None:
    bad = wide.copy()
    bad.loc[5, "a"] = np.inf
    with pytest.raises(
        ValueError,
        match=r"infinite value in fit\(df\): series 'a', column 'a', time 2024-01-01 05:00:00 \(row 5 of the frame\)",
    ):
        tiny().fit(bad)


# --------------------------------------------------------------------------- lengths
def test_series_shorter_than_lookback_plus_horizon(tiny, make_frame, to_long) -> None:
    long = pd.concat([to_long(make_frame(n=120, columns=("a",))), to_long(make_frame(n=25, columns=("short",)))])
    with pytest.raises(
        ValueError,
        match=r"series 'short' has 25 time step\(s\) \(n_samples=25\), fewer than lookback=24 \+ horizon=6 = 30 needed",
    ):
        tiny().fit(long)


def test_series_too_short_for_any_derived_lookback(tiny, make_frame) -> None:
    with pytest.raises(
        ValueError,
        match=r"series 'a' has 12 time step\(s\) \(n_samples=12\), too few: horizon=6 plus the shortest "
        r"lookback 8 \(patch_len\) need 14",
    ):
        tiny(lookback=None).fit(make_frame(n=12, columns=("a",)))


def test_predict_context_shorter_than_lookback(tiny, wide) -> None:
    model = tiny().fit(wide)
    with pytest.raises(
        ValueError, match=r"predict\(df\): series 'a' has 10 time step\(s\); forecasting needs at least lookback=24"
    ):
        model.predict(wide.iloc[:10])


# --------------------------------------------------------------------------- predict-time frames
def test_predict_frame_with_other_columns(tiny, wide) -> None:
    model = tiny().fit(wide)
    with pytest.raises(
        ValueError,
        match=r"predict\(df\) has other columns than the frame seen in fit: missing \['b'\], unexpected \['c'\]; "
        r"expected the columns \['ds', 'a', 'b'\]",
    ):
        model.predict(wide.rename(columns={"b": "c"}))
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        model.predict(wide.drop(columns="b"))


def test_predict_array_with_other_width(tiny, wide) -> None:
    model = tiny().fit(wide[["a", "b"]].to_numpy())
    with pytest.raises(ValueError, match="X has 1 features, but XLSTMForecaster is expecting 2 features as input"):
        model.predict(wide[["a"]].to_numpy())
    with pytest.raises(ValueError, match="fitted on a numpy array; pass an array"):
        model.predict(wide)


def test_predict_frame_with_other_frequency(tiny, make_frame) -> None:
    model = tiny().fit(make_frame())
    with pytest.raises(ValueError, match=r"series 'a' has frequency 'D', the model was trained on 'h'"):
        model.predict(make_frame(freq="D"))


def test_bad_h(tiny, wide) -> None:
    model = tiny().fit(wide)
    with pytest.raises(ValueError, match="h must be an integer >= 1"):
        model.predict(h=0)


# --------------------------------------------------------------------------- parameters
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"horizon": 0}, "horizon must be an integer >= 1; got 0"),
        ({"lookback": 2.5}, "lookback must be an integer >= 1; got 2.5"),
        ({"quantiles": [0.1, 1.2]}, r"quantile levels must be numbers in \(0, 1\); got 1.2"),
        ({"quantiles": "0.5"}, "quantiles must be a non-empty list"),
        ({"quantiles": [0.1, 0.1]}, "quantiles has repeated levels"),
        ({"loss": "huber"}, "loss must be 'mse' or 'mae'"),
        ({"validation_size": 3}, "validation_size=3 steps is shorter than horizon=6"),
        ({"validation_size": 1.5}, r"a float validation_size is a fraction in \[0, 1\)"),
        (
            {"model_kwargs": {"embedding_dim": 8}},
            r"model_kwargs sets \['embedding_dim'\]: set them as keyword arguments",
        ),
        ({"model_kwargs": {"no_such": 1}}, r"invalid network setting: unknown model setting\(s\) \['no_such'\]"),
        ({"model_kwargs": {"cycle_length": 24}}, "the estimator's network has no learnable cycle"),
        (
            {"embedding_dim": 18, "num_heads": 4},
            "invalid network setting: embedding_dim=18 must be divisible by num_heads=4",
        ),
        ({"patch_len": 32}, "invalid network setting: patch_len=32 is longer than lookback=24"),
        ({"future_covariates": "temp"}, "future_covariates must be a list of column names"),
    ],
)
def test_invalid_parameters_raise_in_fit(tiny, wide, params, message) -> None:
    model = tiny(**params)  # no validation in __init__ (scikit-learn rule)
    with pytest.raises(ValueError, match=message):
        model.fit(wide)


def test_unknown_future_covariate_column(tiny, wide) -> None:
    with pytest.raises(ValueError, match=r"future_covariates column\(s\) \['temp'\] not found"):
        tiny(future_covariates=["temp"]).fit(wide)


def test_error_classes_are_value_errors() -> None:
    from xlstm_ts.io import ModelFileError

    assert issubclass(ModelFileError, ValueError)
    assert XLSTMForecaster().get_params()["fill_missing"] == "raise"
