"""save/load: safetensors + JSON, identical forecasts, CPU loading, refusing untrusted files."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from xlstm_ts.forecaster import RecursiveForecastWarning, XLSTMForecaster
from xlstm_ts.io import ModelFileError, load_network


@pytest.fixture
def saved(tiny, wide, tmp_path):
    model = tiny(quantiles=[0.1, 0.9]).fit(wide)
    path = model.save(tmp_path / "model")
    return model, path


def test_files_written_and_no_pickle(saved) -> None:
    _, path = saved
    assert sorted(p.name for p in path.iterdir()) == [
        "forecaster.json",
        "forecaster.safetensors",
        "model.json",
        "model.safetensors",
    ]
    description = json.loads((path / "forecaster.json").read_text())
    assert description["format"] == "xlstm-ts-forecaster" and description["format_version"] == 2
    assert description["library_version"]
    fitted = description["fitted"]
    assert fitted["freq"] == "h" and fitted["lookback"] == 24 and fitted["quantiles"] == [0.1, 0.5, 0.9]
    assert fitted["layout"]["columns"] == ["ds", "a", "b"]
    assert set(fitted["series"][0]["scaler"]) == {"mean", "std", "min_std"}
    assert description["params"]["quantiles"] == [0.1, 0.9]
    backbone, _ = load_network(path)  # the backbone alone is a regular xlstm-ts model directory
    assert next(backbone.parameters()).device.type == "cpu"


def test_load_gives_identical_forecasts(saved, wide) -> None:
    model, path = saved
    loaded = XLSTMForecaster.load(path)
    assert loaded.get_params() == {**model.get_params(), "quantiles": [0.1, 0.9]}
    pd.testing.assert_frame_equal(loaded.predict(), model.predict())
    with pytest.warns(RecursiveForecastWarning):
        pd.testing.assert_frame_equal(loaded.predict(wide.iloc[:80], h=9), model.predict(wide.iloc[:80], h=9))
    assert loaded.evaluate(wide) == model.evaluate(wide)
    assert loaded.fit_info_["seed"] == model.fit_info_["seed"]


def test_round_trip_long_polars_covariates_integer_time(tiny, to_long, make_frame, tmp_path) -> None:
    import polars as pl

    long = to_long(make_frame(n=120))
    long["temp"] = np.tile(np.sin(np.arange(120) / 7.0), 2)
    model = tiny(future_covariates=["temp"]).fit(pl.from_pandas(long))
    future = pl.DataFrame(
        {
            "unique_id": ["a"] * 6 + ["b"] * 6,
            "ds": list(pd.date_range(long.ds.max(), periods=7, freq="h")[1:]) * 2,
            "temp": [0.3] * 12,
        }
    )
    loaded = XLSTMForecaster.load(model.save(tmp_path / "cov"))
    assert loaded.predict(future=future).equals(model.predict(future=future))
    array_model = tiny().fit(np.column_stack([long.y[:120], long.y[120:]]))
    loaded = XLSTMForecaster.load(array_model.save(tmp_path / "array"))
    np.testing.assert_array_equal(loaded.predict(), array_model.predict())


def test_refuses_a_pickle_file(saved, tmp_path) -> None:
    model, _ = saved
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(pickle.dumps({"not": "loaded"}))
    with pytest.raises(
        ModelFileError,
        match="is a file, not a model directory written by XLSTMForecaster.save\\(\\); pickled models are never loaded",
    ):
        XLSTMForecaster.load(pickled)
    folder = tmp_path / "only-pickle"
    folder.mkdir()
    (folder / "model.pkl").write_bytes(pickle.dumps(model))
    with pytest.raises(ModelFileError, match="forecaster.json not found"):
        XLSTMForecaster.load(folder)
    with pytest.raises(ModelFileError, match="does not exist"):
        XLSTMForecaster.load(tmp_path / "nowhere")


def test_refuses_tampered_descriptions(saved) -> None:
    _, path = saved
    meta = path / "forecaster.json"
    original = meta.read_text()
    meta.write_text("{not json")
    with pytest.raises(ModelFileError, match="is not valid JSON"):
        XLSTMForecaster.load(path)
    description = json.loads(original)
    meta.write_text(json.dumps({**description, "format": "something-else"}))
    with pytest.raises(ModelFileError, match="not an XLSTMForecaster description"):
        XLSTMForecaster.load(path)
    meta.write_text(json.dumps({**description, "format_version": 99}))
    with pytest.raises(ModelFileError, match="format_version 99; this xlstm-ts reads up to 2: upgrade"):
        XLSTMForecaster.load(path)
    broken = json.loads(original)
    del broken["fitted"]["lookback"]
    meta.write_text(json.dumps(broken))
    with pytest.raises(ModelFileError, match="malformed or incomplete: KeyError"):
        XLSTMForecaster.load(path)
    broken = json.loads(original)
    broken["fitted"]["lookback"] = 48
    meta.write_text(json.dumps(broken))
    with pytest.raises(
        ModelFileError,
        match=r"lookback=48, horizon=6 and 3 quantiles disagree with the network config \(lookback=24, horizon=18\)",
    ):
        XLSTMForecaster.load(path)


def test_refuses_corrupt_weights(saved) -> None:
    _, path = saved
    (path / "forecaster.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(ModelFileError, match="forecaster.safetensors is not a readable safetensors file"):
        XLSTMForecaster.load(path)
    (path / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(ModelFileError, match="model.safetensors is not a readable safetensors file"):
        XLSTMForecaster.load(path)


def test_save_refuses_a_file_path(saved, tmp_path) -> None:
    model, _ = saved
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(ValueError, match="exists and is not a directory"):
        model.save(target)
