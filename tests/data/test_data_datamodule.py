"""ForecastDataModule and load_splits on the real benchmark files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import pytest
import torch

from xlstm_ts.data.config import DataConfig
from xlstm_ts.data.datamodule import ForecastDataModule
from xlstm_ts.data.download import DatasetIntegrityError, DatasetIntegrityWarning, DatasetNotFoundError
from xlstm_ts.data.frames import read_benchmark
from xlstm_ts.data.loading import load_splits
from xlstm_ts.data.quality import DataQualityWarning
from xlstm_ts.data.registry import get_spec

pytestmark = pytest.mark.filterwarnings(f"ignore::{DataQualityWarning.__module__}.{DataQualityWarning.__name__}")


def make_dm(data_dir: Path, dataset: str = "ETTh1", **changes: object) -> ForecastDataModule:
    config = DataConfig(dataset=dataset, data_dir=str(data_dir), download=False, **changes)  # type: ignore[arg-type]
    dm = ForecastDataModule(config)
    dm.prepare_data()
    dm.setup("fit")
    return dm


def raw_values(data_dir: Path, dataset: str) -> np.ndarray:
    spec = get_spec(dataset)
    return read_benchmark(spec, data_dir / spec.file_name).to_numpy(np.float64)


def test_etth1_lengths_shapes_and_no_dropped_windows(shared_data_dir: Path) -> None:
    dm = make_dm(shared_data_dir, lookback=336, horizon=96, batch_size=64, eval_batch_size=256)
    assert len(dm.dataset("train")) == 8640 - 336 - 96 + 1
    assert len(dm.dataset("val")) == 2880 - 96 + 1
    assert len(dm.dataset("test")) == 2880 - 96 + 1
    assert len(dm.train_dataloader()) == math.ceil(8209 / 64)
    assert len(dm.val_dataloader()) == math.ceil(2785 / 256)
    assert (dm.n_channels_in, dm.n_channels_out) == (7, 7)
    assert dm.channel_names == ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]

    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (64, 336, 7) and y.shape == (64, 96, 7) and x.dtype == torch.float32
    sizes = [xb.shape[0] for xb, _ in dm.test_dataloader()]
    assert sum(sizes) == 2785 and sizes[-1] == 2785 % 256  # the short last batch is kept


def test_test_windows_cover_the_protocol_rows(shared_data_dir: Path) -> None:
    dm = make_dm(shared_data_dir, lookback=336, horizon=96)
    test = dm.dataset("test")
    assert test.window_rows(0)[0].start == 11520 - 336
    assert test.window_rows(-1)[1].stop == 14400
    values = dm.scaler.transform(raw_values(shared_data_dir, "ETTh1")).astype(np.float32)  # type: ignore[union-attr]
    np.testing.assert_array_equal(test[0][0].numpy(), values[11520 - 336 : 11520])
    np.testing.assert_array_equal(test[-1][1].numpy(), values[14400 - 96 : 14400])


@pytest.mark.parametrize(
    ("dataset", "lookback", "horizon", "n_train", "n_val", "n_test"),
    [("Weather", 336, 96, 36887, 5270, 10539), ("Exchange", 96, 192, 5311, 760, 1517), ("ILI", 104, 24, 676, 97, 193)],
)
def test_ratio_datasets_every_window_present(
    shared_data_dir: Path, dataset: str, lookback: int, horizon: int, n_train: int, n_val: int, n_test: int
) -> None:
    dm = make_dm(shared_data_dir, dataset, lookback=lookback, horizon=horizon)
    n = get_spec(dataset).n_rows
    assert len(dm.dataset("train")) == n_train - lookback - horizon + 1
    assert len(dm.dataset("val")) == n_val - horizon + 1
    test = dm.dataset("test")
    assert len(test) == n_test - horizon + 1
    assert sum(xb.shape[0] for xb, _ in dm.test_dataloader()) == n_test - horizon + 1
    assert test.window_rows(0)[0].start == n - n_test - lookback
    assert test.window_rows(-1)[1].stop == n  # the last window's target ends at the last row
    values = dm.scaler.transform(raw_values(shared_data_dir, dataset)).astype(np.float32)  # type: ignore[union-attr]
    np.testing.assert_array_equal(test[0][0].numpy(), values[n - n_test - lookback : n - n_test])
    np.testing.assert_array_equal(test[-1][1].numpy()[-1], values[-1])


@pytest.mark.parametrize(("features", "c_in", "c_out"), [("MS", 7, 1), ("S", 1, 1)])
def test_target_feature_modes(shared_data_dir: Path, features: str, c_in: int, c_out: int) -> None:
    dm = make_dm(shared_data_dir, "ILI", lookback=104, horizon=24, features=features, eval_batch_size=16)
    assert (dm.n_channels_in, dm.n_channels_out) == (c_in, c_out)
    assert dm.target_index == 6 and dm.output_names == ["OT"]
    x, y = next(iter(dm.val_dataloader()))
    assert x.shape == (16, 104, c_in) and y.shape == (16, 24, c_out)
    full = make_dm(shared_data_dir, "ILI", lookback=104, horizon=24, eval_batch_size=16)
    _, y_all = next(iter(full.val_dataloader()))
    torch.testing.assert_close(y[..., 0], y_all[..., 6])
    restored = dm.scaler.inverse_transform(y, channels=[dm.target_index])  # type: ignore[union-attr]
    raw = raw_values(shared_data_dir, "ILI")
    np.testing.assert_allclose(restored[0, :, 0].numpy(), raw[676 : 676 + 24, 6], rtol=1e-5)


def test_unknown_target_column(shared_data_dir: Path) -> None:
    with pytest.raises(ValueError, match="target column 'CO2' not found"):
        make_dm(shared_data_dir, "ILI", lookback=104, horizon=24, features="MS", target="CO2")


def test_scaler_uses_train_rows_only(shared_data_dir: Path, tmp_path: Path) -> None:
    original = make_dm(shared_data_dir, "ILI", lookback=104, horizon=24)
    raw = raw_values(shared_data_dir, "ILI")
    np.testing.assert_allclose(original.scaler.mean_, raw[:676].mean(axis=0))  # type: ignore[union-attr]
    np.testing.assert_allclose(original.scaler.std_, raw[:676].std(axis=0))  # type: ignore[union-attr]

    lines = (shared_data_dir / "national_illness.csv").read_bytes().split(b"\r\n")
    last = lines[-2].split(b",") if lines[-1] == b"" else lines[-1].split(b",")
    edited = b",".join([last[0]] + [b"123456.0"] * (len(last) - 1))
    lines[lines.index(b",".join(last))] = edited  # change the final test row
    (tmp_path / "national_illness.csv").write_bytes(b"\r\n".join(lines))
    with pytest.raises(DatasetIntegrityError, match="is not the canonical national_illness.csv"):
        make_dm(tmp_path, "ILI", lookback=104, horizon=24)
    with pytest.warns(DatasetIntegrityWarning, match="does not match the canonical national_illness.csv"):
        changed = make_dm(tmp_path, "ILI", lookback=104, horizon=24, allow_modified_data=True)
    assert changed.data_file.modified and not original.data_file.modified
    np.testing.assert_array_equal(changed.scaler.mean_, original.scaler.mean_)  # type: ignore[union-attr]
    np.testing.assert_array_equal(changed.scaler.std_, original.scaler.std_)  # type: ignore[union-attr]
    assert not torch.equal(changed.dataset("test")[-1][1], original.dataset("test")[-1][1])


def test_state_dict_round_trip_restores_the_scaler(shared_data_dir: Path) -> None:
    dm = make_dm(shared_data_dir, "ILI", lookback=104, horizon=24)
    state = json.loads(json.dumps(dm.state_dict()))  # plain JSON types only
    assert state["dataset"] == "ILI" and len(state["scaler"]["mean"]) == 7
    state["scaler"]["mean"] = [m + 1.0 for m in state["scaler"]["mean"]]

    config = DataConfig(dataset="ili", data_dir=str(shared_data_dir), lookback=104, horizon=24)
    before_setup = ForecastDataModule(config)
    before_setup.load_state_dict(state)
    before_setup.setup("test")
    np.testing.assert_allclose(before_setup.scaler.mean_, dm.scaler.mean_ + 1.0)  # type: ignore[union-attr]

    after_setup = make_dm(shared_data_dir, "ILI", lookback=104, horizon=24)
    after_setup.load_state_dict(state)  # restored after setup(): the data is rescaled
    x_old, x_new = dm.dataset("test")[0][0], after_setup.dataset("test")[0][0]
    std = torch.tensor(dm.scaler.std_, dtype=torch.float32)  # type: ignore[union-attr]
    torch.testing.assert_close(x_new, x_old - 1.0 / std)
    torch.testing.assert_close(before_setup.dataset("test")[0][0], x_new)

    state["scaler"].update(mean=[0.0, 1.0], std=[1.0, 1.0])
    with pytest.raises(ValueError, match="2 channels, the data has 7"):
        after_setup.load_state_dict(state)


def test_the_data_module_is_not_a_lightning_datamodule(shared_data_dir: Path) -> None:
    """Its state never rides in a (pickled) Lightning checkpoint: the scaler travels as JSON in model.json."""
    dm = make_dm(shared_data_dir, "ILI", lookback=104, horizon=24)
    assert not isinstance(dm, pl.LightningDataModule)
    assert not hasattr(dm, "on_save_checkpoint")


def test_load_splits_without_lightning(shared_data_dir: Path) -> None:
    train, val, test, scaler = load_splits(DataConfig(dataset="ETTh1", data_dir=str(shared_data_dir), lookback=336))
    assert train.shape == (8640, 7) and val.shape == (2880 + 336, 7) and test.shape == (2880 + 336, 7)
    assert train.dtype == np.float32 and scaler is not None
    np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1.0, atol=1e-4)
    np.testing.assert_array_equal(val[:336], train[-336:])  # validation context = last training rows

    unscaled = load_splits(DataConfig(dataset="ETTh1", data_dir=str(shared_data_dir), lookback=336, scale=False))
    assert unscaled.scaler is None
    np.testing.assert_allclose(unscaled.test[-1], raw_values(shared_data_dir, "ETTh1")[14399], rtol=1e-6)


def test_missing_file_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XLSTM_TS_DATA", raising=False)
    dm = ForecastDataModule(DataConfig(dataset="Traffic", data_dir=str(tmp_path), download=False))
    assert (dm.n_channels_in, dm.n_channels_out) == (862, 862)  # known from the registry before setup
    with pytest.raises(DatasetNotFoundError, match=r"traffic\.csv"):
        dm.prepare_data()
    with pytest.raises(RuntimeError, match="setup"):
        _ = dm.channel_names
