"""Input and output forms: pandas <-> polars, wide <-> long, numpy, frequencies and future timestamps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from xlstm_ts.forecasting import frames


def test_wide_pandas_output_form(tiny, wide) -> None:
    model = tiny().fit(wide)
    forecast = model.predict()
    assert isinstance(forecast, pd.DataFrame)
    assert list(forecast.columns) == ["ds", "a", "b"]
    expected = pd.date_range(wide["ds"].iloc[-1] + pd.Timedelta(hours=1), periods=6, freq="h")
    assert list(pd.DatetimeIndex(forecast["ds"])) == list(expected)
    assert forecast["ds"].dtype == wide["ds"].dtype


def test_long_and_wide_give_the_same_forecasts(tiny, wide, long) -> None:
    from_wide = tiny().fit(wide).predict()
    from_long = tiny().fit(long).predict()
    assert list(from_long.columns) == ["unique_id", "ds", "y"]
    assert list(from_long["unique_id"].unique()) == ["a", "b"]
    back_to_wide = from_long.pivot(index="ds", columns="unique_id", values="y").reset_index()
    np.testing.assert_allclose(back_to_wide[["a", "b"]].to_numpy(), from_wide[["a", "b"]].to_numpy(), rtol=1e-6)
    np.testing.assert_array_equal(back_to_wide["ds"].to_numpy(), from_wide["ds"].to_numpy())


@pytest.mark.parametrize("form", ["wide", "long"])
def test_polars_in_polars_out_same_values(tiny, wide, long, form) -> None:
    frame = wide if form == "wide" else long
    from_pandas = tiny().fit(frame).predict()
    model = tiny().fit(pl.from_pandas(frame))
    from_polars = model.predict()
    assert isinstance(from_polars, pl.DataFrame)
    assert from_polars.columns == list(from_pandas.columns)
    assert from_polars.schema["ds"] == pl.from_pandas(frame).schema["ds"]
    pd.testing.assert_frame_equal(from_polars.to_pandas(), from_pandas, check_dtype=False)
    # predicting from a pandas context with the polars-fitted model gives pandas back
    again = model.predict(frame)
    assert isinstance(again, pd.DataFrame)
    pd.testing.assert_frame_equal(again, from_pandas, check_dtype=False)


def test_datetime_index_wide_frame(tiny, wide) -> None:
    indexed = wide.set_index("ds")
    forecast = tiny().fit(indexed).predict()
    assert isinstance(forecast.index, pd.DatetimeIndex) and forecast.index.name == "ds"
    assert list(forecast.columns) == ["a", "b"]


def test_other_time_column_name_found_as_the_datetime_column(tiny, make_frame) -> None:
    frame = make_frame(time_col="date")
    forecast = tiny().fit(frame).predict()
    assert list(forecast.columns) == ["date", "a", "b"]


def test_string_dates_parsed_when_time_col_named(tiny, make_frame) -> None:
    frame = make_frame(time_col="date")
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d %H:%M:%S")
    forecast = tiny(time_col="date").fit(frame).predict()
    assert forecast["date"].iloc[0] == pd.Timestamp("2024-01-06 00:00:00")


def test_numpy_array_in_numpy_out(tiny, wide) -> None:
    values = wide[["a", "b"]].to_numpy()
    model = tiny().fit(values)
    forecast = model.predict()
    assert isinstance(forecast, np.ndarray) and forecast.shape == (6, 2)
    np.testing.assert_allclose(forecast, model.predict(values))
    assert model.freq_ == 1


def test_custom_long_column_names(tiny, long) -> None:
    renamed = long.rename(columns={"unique_id": "sensor", "ds": "time", "y": "load"})
    forecast = tiny(id_col="sensor", time_col="time", target_col="load").fit(renamed).predict()
    assert list(forecast.columns) == ["sensor", "time", "load"]


def test_unsorted_long_frame_is_sorted_not_dropped(tiny, long) -> None:
    shuffled = long.sample(frac=1.0, random_state=0)
    expected = tiny().fit(long).predict()
    got = tiny().fit(shuffled).predict()
    # series order follows first appearance; compare per series
    for series_id in ("a", "b"):
        np.testing.assert_allclose(
            got.loc[got.unique_id == series_id, "y"].to_numpy(),
            expected.loc[expected.unique_id == series_id, "y"].to_numpy(),
            rtol=1e-6,
        )


def test_integer_ids_keep_their_dtype(tiny, long) -> None:
    numbered = long.assign(unique_id=long["unique_id"].map({"a": 10, "b": 20}))
    forecast = tiny().fit(numbered).predict()
    assert forecast["unique_id"].dtype == numbered["unique_id"].dtype
    assert set(forecast["unique_id"]) == {10, 20}


@pytest.mark.parametrize(
    ("freq", "alias", "season"),
    [("h", "h", 24), ("15min", "15min", 96), ("D", "D", 7), ("W", "W-SUN", 52), ("MS", "MS", 12)],
)
def test_frequency_inferred_with_todays_aliases(make_frame, freq, alias, season) -> None:
    frame = make_frame(n=40, freq=freq)
    series = frames.extract_series(
        frame, frames.detect_layout(frame, "pandas", id_col="unique_id", time_col="ds", target_col="y", covariates=())
    )
    inferred = frames.infer_frequency(series, None, "datetime")
    assert inferred == alias
    assert frames.season_length(inferred, "datetime") == season
    future = frames.future_times(frame["ds"].iloc[-1], inferred, 3, "datetime")
    expected = pd.date_range(frame["ds"].iloc[-1], periods=4, freq=alias)[1:]
    pd.testing.assert_index_equal(future, expected)


def test_weekly_forecast_timestamps(tiny, make_frame) -> None:
    frame = make_frame(n=80, freq="W")
    model = tiny(horizon=4, lookback=16).fit(frame)
    forecast = model.predict()
    assert model.freq_ == "W-SUN"
    assert list(forecast["ds"]) == list(pd.date_range(frame["ds"].iloc[-1], periods=5, freq="W-SUN")[1:])


def test_timezone_is_kept(tiny, make_frame) -> None:
    frame = make_frame()
    frame["ds"] = frame["ds"].dt.tz_localize("Europe/Berlin")
    forecast = tiny().fit(frame).predict()
    assert str(forecast["ds"].dt.tz) == "Europe/Berlin"


@pytest.mark.parametrize(
    ("n", "freq", "expected"),
    [
        (3360, "h", 168),  # 7 days of hourly data once the series is 20x longer
        (720, "h", 48),  # 720 // 20 = 36 -> whole days: 24 -> at least 2 * horizon
        (80, "h", 32),  # capped by room: 80 - horizon 24 - validation 24
        (400, "D", 48),  # 4 weeks = 28 < 2 * horizon
    ],
)
def test_default_lookback_derived_from_frequency_and_length(make_frame, tiny, n, freq, expected) -> None:
    model = tiny(lookback=None, horizon=24, max_epochs=1).fit(make_frame(n=n, columns=("a",), freq=freq))
    assert model.lookback_ == expected
    assert "held out" in model.fit_info_["validation"]


def test_given_freq_fills_absent_steps_as_missing(tiny, make_frame) -> None:
    frame = make_frame(n=120).drop(index=[50, 51])
    with pytest.raises(ValueError, match="irregular timestamps.*pass freq='h'"):
        tiny().fit(frame)
    with pytest.raises(ValueError, match=r"2 missing value\(s\) \(NaN\) \(2 of them time steps absent"):
        tiny(freq="h").fit(frame)
    model = tiny(freq="h", fill_missing="interpolate").fit(frame)
    assert model.predict().shape == (6, 3)


def test_predict_from_new_context_and_new_series(tiny, wide, long) -> None:
    model = tiny().fit(long)
    later = long.groupby("unique_id").head(100)  # a shorter context of the same series
    forecast = model.predict(later)
    assert forecast["ds"].iloc[0] == later["ds"].max() + pd.Timedelta(hours=1)
    new = long.assign(unique_id=long["unique_id"] + "_new")
    forecast_new = model.predict(new)
    assert set(forecast_new["unique_id"]) == {"a_new", "b_new"}
    np.testing.assert_allclose(  # RevIN + per-series scaling: a new id with the same data forecasts the same
        forecast_new["y"].to_numpy(), model.predict(long)["y"].to_numpy(), rtol=1e-4, atol=1e-4
    )
