"""``XLSTMForecaster.update`` (xlstm_ts.forecasting.streaming): new rows roll the kept context
forward without a refit, and ``predict()`` then equals ``predict(history + new rows)``."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest

from xlstm_ts.forecaster import XLSTMForecaster
from xlstm_ts.forecasting.streaming import update

SMALL: dict[str, Any] = {
    "horizon": 6,
    "lookback": 24,
    "embedding_dim": 8,
    "num_blocks": 1,
    "patch_len": 8,
    "patch_stride": 4,
    "max_epochs": 1,
    "verbose": 0,
    "random_state": 0,
    "model": "xlstm",  # the network forecasts (a simple model would hide a wrong context less)
}
N, CUT = 160, 100
"""Steps of the full series, steps the models are fitted on."""


def _wide(n: int = N, columns: tuple[str, ...] = ("a", "b"), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    data: dict[str, Any] = {"ds": pd.date_range("2024-01-01", periods=n, freq="h")}
    for k, name in enumerate(columns):
        data[name] = 10.0 * (k + 1) + np.sin(2 * np.pi * t / 24 + k) + 0.2 * rng.standard_normal(n)
    return pd.DataFrame(data)


def _long(wide: pd.DataFrame) -> pd.DataFrame:
    long = wide.melt(id_vars="ds", var_name="unique_id", value_name="y")
    return long[["unique_id", "ds", "y"]].reset_index(drop=True)


WIDE = _wide()
LONG = _long(WIDE)
START = WIDE["ds"][CUT]
"""First time step after the fit part."""


@pytest.fixture(scope="module")
def wide_model() -> XLSTMForecaster:
    return XLSTMForecaster(**SMALL).fit(WIDE.iloc[:CUT])


@pytest.fixture(scope="module")
def long_model() -> XLSTMForecaster:
    return XLSTMForecaster(**SMALL).fit(LONG[LONG["ds"] < START])


def _fresh(model: XLSTMForecaster) -> XLSTMForecaster:
    """A copy to update (the module's fitted models stay as fitted)."""
    return copy.deepcopy(model)


def _values(forecast: Any) -> np.ndarray:
    frame = forecast.to_pandas() if hasattr(forecast, "to_pandas") else forecast
    if isinstance(frame, np.ndarray):
        return frame
    return frame.select_dtypes("number").to_numpy()


def _assert_same_forecast(updated: Any, full: Any, rtol: float = 1e-9) -> None:
    """Equal forecasts (the same float32 network inputs; ``rtol`` for other batch compositions)."""
    np.testing.assert_allclose(_values(updated), _values(full), rtol=rtol, atol=rtol)
    if isinstance(full, pd.DataFrame):
        assert list(updated.columns) == list(full.columns)
        time = "ds"
        assert updated[time].tolist() == full[time].tolist()


# --------------------------------------------------------------------------- equal to predict(full history)
@pytest.mark.parametrize("chunks", [[N - CUT], [1] * 12 + [N - CUT - 12], [1, 5, 20, 1, N - CUT - 27]])
def test_wide_updates_equal_predict_on_the_whole_history(wide_model, chunks: list[int]) -> None:
    model = _fresh(wide_model)
    start = CUT
    for size in chunks:
        assert update(model, WIDE.iloc[start : start + size]) is model
        start += size
        _assert_same_forecast(model.predict(), wide_model.predict(WIDE.iloc[:start]))
    assert model.state_.context_target.shape == (2, 24)
    assert model.state_.last_times == [WIDE["ds"].iloc[-1]] * 2


@pytest.mark.parametrize("rows_per_update", [1, 7, 2 * (N - CUT)])
def test_long_updates_equal_predict_on_the_whole_history(long_model, rows_per_update: int) -> None:
    model = _fresh(long_model)
    rest = LONG[LONG["ds"] >= START].sort_values(["ds", "unique_id"])  # rows of both series interleaved
    for start in range(0, len(rest), rows_per_update):
        update(model, rest.iloc[start : start + rows_per_update])
    _assert_same_forecast(model.predict(), long_model.predict(LONG))


def test_long_series_advance_unevenly(long_model) -> None:
    model = _fresh(long_model)
    a = LONG[(LONG["unique_id"] == "a") & (LONG["ds"] >= START)]
    b = LONG[(LONG["unique_id"] == "b") & (LONG["ds"] >= START)]
    update(model, a.iloc[:10])
    update(model, pd.concat([b.iloc[:3], a.iloc[10:11]]))
    update(model, b.iloc[3:4])  # only b advances
    seen = pd.concat([LONG[LONG["ds"] < START], a.iloc[:11], b.iloc[:4]])
    _assert_same_forecast(model.predict(), long_model.predict(seen))
    assert model.state_.last_times == [a["ds"].iloc[10], b["ds"].iloc[3]]


def test_polars_and_numpy_updates() -> None:
    pl = pytest.importorskip("polars")
    fitted = XLSTMForecaster(**SMALL).fit(pl.from_pandas(WIDE.iloc[:CUT]))
    model = update(_fresh(fitted), pl.from_pandas(WIDE.iloc[CUT : CUT + 9]))
    update(model, WIDE.iloc[CUT + 9 : CUT + 10])  # a pandas frame works for a polars model too
    _assert_same_forecast(model.predict(), fitted.predict(pl.from_pandas(WIDE.iloc[: CUT + 10])))

    array = WIDE[["a", "b"]].to_numpy()
    on_array = XLSTMForecaster(**SMALL).fit(array[:CUT])
    model = _fresh(on_array)
    update(model, array[CUT : CUT + 1])
    update(model, array[CUT + 1 : CUT + 30])  # array rows are the steps right after the kept end
    np.testing.assert_allclose(model.predict(), on_array.predict(array[: CUT + 30]), rtol=1e-9)
    assert model.state_.last_times == [CUT + 29] * 2
    with pytest.raises(ValueError, match="has 3 columns, the model was fitted on 2"):
        update(model, np.ones((1, 3)))
    with pytest.raises(ValueError, match="fitted on a numpy array; pass an array"):
        update(model, WIDE.iloc[:1])
    with pytest.raises(ValueError, match="fitted on a polars frame; pass a frame, not an array"):
        update(_fresh(fitted), array[:1])


@pytest.mark.parametrize("axis", ["integer", "MS"])
def test_integer_and_calendar_time_axes(axis: str) -> None:
    frame = WIDE.copy()
    frame["ds"] = 10 + 5 * np.arange(N) if axis == "integer" else pd.date_range("2000-01-01", periods=N, freq="MS")
    fitted = XLSTMForecaster(**SMALL).fit(frame.iloc[:CUT])
    model = _fresh(fitted)
    update(model, frame.iloc[CUT : CUT + 1])
    update(model, frame.iloc[CUT + 1 : CUT + 20])
    _assert_same_forecast(model.predict(), fitted.predict(frame.iloc[: CUT + 20]))
    with pytest.raises(ValueError, match="jumps from"):
        update(model, frame.iloc[CUT + 21 : CUT + 22])


def test_memory_stays_bounded_by_the_lookback() -> None:
    steps = 2000
    series = _wide(CUT + steps, columns=("a",), seed=3)
    fitted = XLSTMForecaster(**SMALL).fit(series.iloc[:CUT])
    model = _fresh(fitted)
    kept = model.state_.context_target.shape
    for i in range(CUT, CUT + steps):
        update(model, series.iloc[i : i + 1])
        assert model.state_.context_target.shape == kept == (1, 24)
    assert model.state_.context_covariates.shape == (1, 24, 0)
    assert model.state_.last_times == [series["ds"].iloc[-1]]
    assert model.fit_info_["updates"] == {"calls": steps, "steps": steps}
    np.testing.assert_array_equal(model.state_.context_target[0], series["a"].to_numpy()[-24:])
    _assert_same_forecast(model.predict(), fitted.predict(series))


# --------------------------------------------------------------------------- gaps, repeats, checks
def test_gaps_follow_fill_missing(wide_model) -> None:
    with_gap = WIDE.drop(index=[CUT + 1, CUT + 2])
    model = _fresh(wide_model)
    with pytest.raises(ValueError, match=r"series 'a' jumps from its last kept time .* 2 step\(s\) absent"):
        update(model, with_gap.loc[CUT:CUT + 5])
    model.set_params(fill_missing="interpolate")
    update(model, with_gap.loc[CUT:CUT])
    update(model, with_gap.loc[CUT + 3:CUT + 5])  # the gap is interpolated, as in predict(whole history)
    reference = _fresh(wide_model).set_params(fill_missing="interpolate")
    _assert_same_forecast(model.predict(), reference.predict(with_gap.loc[: CUT + 5]))


def test_missing_and_infinite_values(wide_model) -> None:
    rows = WIDE.iloc[CUT : CUT + 3].copy()
    rows.loc[CUT + 1, "b"] = np.nan
    model = _fresh(wide_model)
    with pytest.raises(ValueError, match=r"1 missing value\(s\) \(NaN\) in update\(df_new\).*series 'b'"):
        update(model, rows)
    model.set_params(fill_missing="ffill")
    update(model, rows)
    assert model.state_.context_target[1, -2] == rows.loc[CUT, "b"]  # carried forward
    rows = WIDE.iloc[CUT + 3 : CUT + 4].copy()
    rows["a"] = np.inf
    with pytest.raises(ValueError, match="infinite value in update"):
        update(model, rows)


def test_rows_already_seen(wide_model) -> None:
    model = _fresh(wide_model)
    update(model, WIDE.iloc[CUT : CUT + 3])
    before = model.state_.context_target.copy()
    update(model, WIDE.iloc[CUT + 1 : CUT + 3])  # exact repeats of kept rows are skipped
    np.testing.assert_array_equal(model.state_.context_target, before)
    update(model, WIDE.iloc[CUT + 2 : CUT + 5])  # a repeat then new rows
    _assert_same_forecast(model.predict(), wide_model.predict(WIDE.iloc[: CUT + 5]))
    changed = WIDE.iloc[CUT + 4 : CUT + 5].copy()
    changed["a"] += 1.0
    with pytest.raises(ValueError, match=r"series 'a' already has time 2024-01-05 08:00:00 .* drop the rows already"):
        update(model, changed)
    with pytest.raises(ValueError, match="before the kept window"):
        update(model, WIDE.iloc[10:11])


def test_time_axis_checks(wide_model, long_model) -> None:
    model = _fresh(wide_model)
    off_grid = WIDE.iloc[CUT : CUT + 1].assign(ds=START + pd.Timedelta(minutes=30))
    with pytest.raises(ValueError, match="is not on the 'h' grid"):
        update(model, off_grid)
    daily = pd.DataFrame({"ds": pd.date_range(START, periods=4, freq="D"), "a": 1.0, "b": 2.0})
    with pytest.raises(ValueError, match="has frequency 'D', the model was trained on 'h'"):
        update(model.set_params(fill_missing="interpolate"), daily)
    with pytest.raises(ValueError, match="holds integer time steps, the model was fitted on dates"):
        update(model, pd.DataFrame({"ds": [1000], "a": [1.0], "b": [2.0]}))
    with pytest.raises(ValueError, match="with a time zone"):
        update(model, WIDE.iloc[CUT : CUT + 1].assign(ds=lambda f: f["ds"].dt.tz_localize("UTC")))
    with pytest.raises(ValueError, match=r"has other columns than the frame seen in fit: missing \['b'\]"):
        update(model, WIDE.iloc[CUT : CUT + 1][["ds", "a"]])
    with pytest.raises(ValueError, match="duplicated timestamps"):
        update(_fresh(long_model), pd.concat([LONG.iloc[[CUT]], LONG.iloc[[CUT]]]))


def test_a_refused_update_leaves_the_model_unchanged(long_model) -> None:
    model = _fresh(long_model)
    good = LONG[(LONG["unique_id"] == "a") & (LONG["ds"] == START)]
    bad = LONG[(LONG["unique_id"] == "b") & (LONG["ds"] == START + pd.Timedelta(hours=5))]  # a gap
    state = model.state_
    with pytest.raises(ValueError, match="jumps from"):
        update(model, pd.concat([good, bad]))
    assert model.state_ is state
    with pytest.raises(ValueError, match="new_series must be one of"):
        update(model, good, new_series="ignore")
    with pytest.raises(Exception, match="not fitted"):
        update(XLSTMForecaster(**SMALL), good)


# --------------------------------------------------------------------------- new series
def test_new_series_are_refused_or_join(long_model) -> None:
    other = _long(_wide(60, columns=("c",), seed=5))
    model = _fresh(long_model)
    with pytest.raises(ValueError, match=r"rows of 1 series the model was not fitted on: \['c'\]; pass new_series='add'"):
        update(model, other)
    with pytest.raises(ValueError, match="new series 'c' has 10 time step"):
        update(model, other.iloc[:10], new_series="add")
    update(model, other.iloc[:40], new_series="add")
    assert model.series_ids_ == ["a", "b", "c"]
    assert model.state_.context_target.shape == (3, 24)
    joined = model.predict()
    # scaled by its own statistics over the rows it joined with, as predict(df) scales a new series
    alone = long_model.predict(other.iloc[:40])  # a batch of 1, not 3: float32 rounding differs
    _assert_same_forecast(joined[joined["unique_id"] == "c"].reset_index(drop=True), alone, rtol=1e-6)
    update(model, other.iloc[40:])  # from then on it is a kept series like the others
    assert model.state_.last_times[2] == other["ds"].iloc[-1]
    np.testing.assert_array_equal(model.state_.context_target[2], other["y"].to_numpy()[-24:])


def test_new_columns_of_a_wide_frame_are_refused(wide_model) -> None:
    with pytest.raises(ValueError, match=r"unexpected \['c'\]"):
        update(_fresh(wide_model), _wide(30, columns=("a", "b", "c")), new_series="add")


# --------------------------------------------------------------------------- the rest of the model
def test_update_keeps_the_network_and_fit_info(long_model) -> None:
    model = _fresh(long_model)
    weights = {k: v.clone() for k, v in model.network_.state_dict().items()}
    info = copy.deepcopy(model.fit_info_)
    update(model, LONG[LONG["ds"] == START])
    update(model, LONG[LONG["ds"] == START + pd.Timedelta(hours=1)])
    assert all(v.equal(weights[k]) for k, v in model.network_.state_dict().items())
    assert model.fit_info_ == {**info, "updates": {"calls": 2, "steps": 4}}
    assert long_model.fit_info_ == info and "updates" not in long_model.fit_info_
    assert {k: v.state_dict() for k, v in model.scalers_.items()} == {
        k: v.state_dict() for k, v in long_model.scalers_.items()
    }


def test_save_and_load_keep_the_updated_context(long_model, tmp_path) -> None:
    other = _long(_wide(40, columns=("c",), seed=5))
    model = _fresh(long_model)
    update(model, LONG[LONG["ds"] >= START].iloc[:25])
    update(model, other, new_series="add")
    model.save(tmp_path / "m")
    loaded = XLSTMForecaster.load(tmp_path / "m")
    _assert_same_forecast(loaded.predict(), model.predict())
    assert loaded.series_ids_ == ["a", "b", "c"] and loaded.state_.last_times == model.state_.last_times
    assert loaded.fit_info_["updates"] == model.fit_info_["updates"]
    np.testing.assert_array_equal(loaded.state_.context_target, model.state_.context_target)


def test_future_covariates_carry_their_realized_values() -> None:
    n = N + 6
    wide = _wide(n, columns=("a",), seed=7)
    wide["c"] = np.cos(np.arange(n) / 3.0)
    wide["a"] += 2.0 * wide["c"]
    fitted = XLSTMForecaster(**{**SMALL, "future_covariates": ["c"]}).fit(wide.iloc[:CUT])
    model = _fresh(fitted)
    update(model, wide.iloc[CUT : CUT + 1])
    update(model, wide.iloc[CUT + 1 : N])
    future = wide.iloc[N:][["ds", "c"]]
    _assert_same_forecast(model.predict(future=future), fitted.predict(wide.iloc[:N], future=future))
    np.testing.assert_array_equal(model.state_.context_covariates[0, :, 0], wide["c"].to_numpy()[N - 24 : N])
    with pytest.raises(ValueError, match="pass future= with their values"):
        model.predict()


def test_static_covariates_keep_their_value() -> None:
    long = LONG.assign(size=LONG["unique_id"].map({"a": 1.0, "b": 3.0}))
    fitted = XLSTMForecaster(**{**SMALL, "static_covariates": ["size"]}).fit(long[long["ds"] < START])
    model = _fresh(fitted)
    rest = long[long["ds"] >= START]
    update(model, rest.iloc[:5])
    _assert_same_forecast(model.predict(), fitted.predict(pd.concat([long[long["ds"] < START], rest.iloc[:5]])))
    with pytest.raises(ValueError, match="static covariate 'size' of series 'a' is 1.0, a new row has 2.0"):
        update(model, rest.iloc[5:6].assign(size=2.0))


@pytest.mark.skipif(not hasattr(XLSTMForecaster, "update"), reason="XLSTMForecaster.update is not wired in yet")
def test_the_estimator_method_delegates(wide_model) -> None:
    model = _fresh(wide_model)
    assert model.update(WIDE.iloc[CUT:]) is model
    _assert_same_forecast(model.predict(), wide_model.predict(WIDE))


# --------------------------------------------------------------------------- streaming=True: the network's stream
STREAMING: dict[str, Any] = {**SMALL, "streaming": True}
"""Patches of 8, lookback 24: the stack reads N = 2 patches; one stack step every 8 rows."""


@pytest.fixture(scope="module")
def streaming_model() -> XLSTMForecaster:
    return XLSTMForecaster(**STREAMING).fit(WIDE.iloc[:CUT])


def _window_forecast(model: XLSTMForecaster) -> np.ndarray:
    """The network's forward over each kept context at the stream's phase, in data units (S, H)."""
    import torch

    state = model.state_
    scale = [state.scalers[i] for i in state.series_ids]
    z = np.stack([(state.context_target[k] - s.mean_[0]) / s.std_[0] for k, s in enumerate(scale)])
    with torch.no_grad():
        y = model.network_(torch.from_numpy(z.astype(np.float32))[..., None], phase=state.stream.phase)[..., 0]
    return np.stack([y[k].double().numpy() * s.std_[0] + s.mean_[0] for k, s in enumerate(scale)])


def test_streaming_predict_reads_the_stream_and_equals_the_window_forward(streaming_model) -> None:
    from xlstm_ts.models.streaming_net import StreamingForecastNet

    model = _fresh(streaming_model)
    assert isinstance(model.network_, StreamingForecastNet)
    assert model.state_.stream.phase.tolist() == [0, 0]
    for i in range(CUT, CUT + 21):  # row by row through 2 patch boundaries and a partial patch
        update(model, WIDE.iloc[i : i + 1])
        np.testing.assert_allclose(_values(model.predict()).T, _window_forecast(model), rtol=1e-5, atol=1e-5)
    assert model.state_.stream.phase.tolist() == [21 % 8] * 2
    update(model, WIDE.iloc[CUT + 21 : CUT + 24])  # at a boundary the stream equals predict(history + rows)
    _assert_same_forecast(model.predict(), streaming_model.predict(WIDE.iloc[: CUT + 24]), rtol=1e-5)
    update(model, WIDE.iloc[CUT + 24 : N])  # many rows at once
    np.testing.assert_allclose(_values(model.predict()).T, _window_forecast(model), rtol=1e-5, atol=1e-5)


def test_streaming_costs_one_stack_step_per_patch(streaming_model, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _fresh(streaming_model)
    calls = []
    step = model.network_.stack.step
    monkeypatch.setattr(model.network_.stack, "step", lambda x, s: calls.append(x.shape) or step(x, s))
    forward = model.network_.stack.forward
    monkeypatch.setattr(model.network_.stack, "forward", lambda *a, **k: calls.append("forward") or forward(*a, **k))
    for i in range(CUT, CUT + 16):
        model.update(WIDE.iloc[i : i + 1]).predict()
    assert calls == [(2 * 2, 8)] * 2  # 2 series x N = 2 slots, once per 8 rows; no pass over the lookback


def test_streaming_longer_forecasts_and_persistence(streaming_model, tmp_path) -> None:
    from xlstm_ts.forecasting.rolling import RecursiveForecastWarning

    model = update(_fresh(streaming_model), WIDE.iloc[CUT : CUT + 5])
    with pytest.warns(RecursiveForecastWarning):
        longer = model.predict(h=15)
    np.testing.assert_allclose(_values(longer)[:6], _values(model.predict()), rtol=1e-6)
    model.save(tmp_path / "m")
    again = XLSTMForecaster.load(tmp_path / "m")
    assert again.streaming and again.state_.stream.phase.tolist() == [5, 5]
    _assert_same_forecast(again.predict(), model.predict(), rtol=0)
    update(again, WIDE.iloc[CUT + 5 : CUT + 30])
    update(model, WIDE.iloc[CUT + 5 : CUT + 30])
    _assert_same_forecast(again.predict(), model.predict(), rtol=0)


def test_streaming_new_series_join_at_their_end(long_model) -> None:
    fitted = XLSTMForecaster(**STREAMING).fit(LONG[(LONG["ds"] < START) & (LONG["unique_id"] == "a")])
    model = _fresh(fitted)
    update(model, LONG[(LONG["unique_id"] == "a") & (LONG["ds"] >= START)].iloc[:3])
    update(model, LONG[(LONG["unique_id"] == "b") & (LONG["ds"] < START)], new_series="add")
    assert model.state_.stream.phase.tolist() == [3, 0]
    rest = LONG[LONG["ds"] >= START]
    update(model, pd.concat([rest[rest["unique_id"] == "a"].iloc[3:14], rest[rest["unique_id"] == "b"].iloc[:10]]))
    assert model.state_.stream.phase.tolist() == [14 % 8, 10 % 8]
    forecasts = model.predict()
    for k, series_id in enumerate(model.series_ids_):
        got = forecasts[forecasts["unique_id"] == series_id]["y"].to_numpy()
        np.testing.assert_allclose(got, _window_forecast(model)[k], rtol=1e-5, atol=1e-5)


def test_streaming_with_a_simple_model_keeps_no_stream() -> None:
    flat = WIDE.assign(a=10.0 + 0.01 * np.arange(N), b=5.0 + 0.02 * np.arange(N))  # the naive forecast wins
    fitted = XLSTMForecaster(**{**STREAMING, "model": "auto"}).fit(flat.iloc[:CUT])
    if fitted.fit_info_["model"] in ("xlstm", "ensemble"):
        pytest.skip("the network won on this data")
    assert fitted.state_.stream is None
    model = update(_fresh(fitted), flat.iloc[CUT : CUT + 3])
    _assert_same_forecast(model.predict(), fitted.predict(flat.iloc[: CUT + 3]))


@pytest.mark.parametrize(
    "settings,message",
    [
        ({"quantiles": [0.1, 0.9]}, "quantiles are not supported"),
        ({"future_covariates": ["c"]}, "future_covariates are not supported"),
        ({"token_axis": "variate"}, "token_axis must be 'patch'"),
        ({"model_kwargs": {"decomposition": True}}, "decomposition=True is not supported"),
        ({"streaming": "yes"}, "streaming must be True or False"),
        ({"lookback": 12}, "lookback >= 2 \\* patch_len - 1 = 15"),
    ],
)
def test_streaming_refuses_what_it_cannot_do(settings: dict[str, Any], message: str) -> None:
    frame = WIDE.iloc[:CUT].assign(c=1.0) if "future_covariates" in settings else WIDE.iloc[:CUT]
    with pytest.raises(ValueError, match=message):
        XLSTMForecaster(**{**STREAMING, **settings}).fit(frame)


def test_streaming_derives_a_lookback_long_enough_for_its_patches() -> None:
    """Daily data (season 7) would get 4 weeks = 28 steps; streaming=True with patch_len=16 needs
    2 * 16 - 1 = 31 and must derive at least that instead of refusing its own default."""
    n = 400
    frame = pd.DataFrame(
        {"ds": pd.date_range("2020-01-01", periods=n, freq="D"),
         "y": np.sin(2 * np.pi * np.arange(n) / 7) + 0.01 * np.arange(n)}
    )
    model = XLSTMForecaster(horizon=7, max_epochs=1, model="xlstm", embedding_dim=8, num_heads=2, num_blocks=1,
                            verbose=0, random_state=0, streaming=True).fit(frame)
    assert model.lookback_ >= 31
    assert np.isfinite(model.predict()["y"].to_numpy()).all()
