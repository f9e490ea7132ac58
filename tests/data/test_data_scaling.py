"""StandardScaler: train-only statistics, round trips on numpy and torch, serialisation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from xlstm_ts.data.loading import fit_train_scaler
from xlstm_ts.data.scaling import StandardScaler
from xlstm_ts.data.splits import split_borders


@pytest.fixture
def values() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.normal(loc=[10.0, -3.0, 500.0], scale=[2.0, 0.1, 40.0], size=(966, 3))


def test_statistics_are_those_of_the_train_rows(values: np.ndarray) -> None:
    borders = split_borders("ratio", len(values), 104)
    scaler = fit_train_scaler(values, borders)
    train = values[:676]
    np.testing.assert_allclose(scaler.mean_, train.mean(axis=0))
    np.testing.assert_allclose(scaler.std_, train.std(axis=0))
    assert not np.allclose(scaler.mean_, values.mean(axis=0))

    changed = values.copy()
    changed[-193:] += 1e6  # test rows
    changed[676:773] *= -5  # validation rows
    again = fit_train_scaler(changed, borders)
    np.testing.assert_array_equal(again.mean_, scaler.mean_)
    np.testing.assert_array_equal(again.std_, scaler.std_)


def test_numpy_round_trip_keeps_dtype(values: np.ndarray) -> None:
    scaler = StandardScaler().fit(values[:676])
    scaled = scaler.transform(values[:676])
    np.testing.assert_allclose(scaled.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled.std(axis=0), 1.0)
    as32 = values.astype(np.float32)
    out = scaler.transform(as32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(scaler.inverse_transform(out), as32, rtol=1e-5)


def test_torch_inverse_on_model_outputs(values: np.ndarray) -> None:
    scaler = StandardScaler().fit(values)
    y = torch.randn(4, 24, 3, dtype=torch.float32)  # (B, H, C)
    restored = scaler.inverse_transform(y)
    assert isinstance(restored, torch.Tensor) and restored.dtype == torch.float32 and restored.shape == y.shape
    expected = y.numpy().astype(np.float64) * scaler.std_ + scaler.mean_
    np.testing.assert_allclose(restored.numpy(), expected, rtol=1e-5)
    torch.testing.assert_close(scaler.transform(restored), y, rtol=1e-4, atol=1e-4)


def test_channel_subset_for_target_only_outputs(values: np.ndarray) -> None:
    scaler = StandardScaler().fit(values)
    y = torch.zeros(2, 5, 1)
    out = scaler.inverse_transform(y, channels=[2])
    torch.testing.assert_close(out, torch.full((2, 5, 1), float(scaler.mean_[2])))
    np.testing.assert_array_equal(scaler.select([2]).std_, scaler.std_[[2]])
    with pytest.raises(ValueError, match="channels"):
        scaler.inverse_transform(y)  # 1 channel given to a 3-channel scaler


def test_constant_channel_is_centred_not_divided_by_zero() -> None:
    data = np.column_stack([np.full(10, 7.0), np.arange(10.0)])
    scaler = StandardScaler().fit(data)
    assert scaler.std_[0] == 1.0
    out = scaler.transform(data)
    assert np.isfinite(out).all() and (out[:, 0] == 0).all()


def test_state_dict_is_json_and_round_trips(values: np.ndarray) -> None:
    scaler = StandardScaler().fit(values)
    state = json.loads(json.dumps(scaler.state_dict()))
    assert isinstance(state["mean"], list) and len(state["std"]) == 3
    clone = StandardScaler.from_state_dict(state)
    np.testing.assert_array_equal(clone.transform(values), scaler.transform(values))
    with pytest.raises(ValueError, match="equal-length"):
        StandardScaler.from_state_dict({"mean": [0.0, 1.0], "std": [1.0]})


def test_unfitted_scaler_raises() -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        StandardScaler().transform(np.zeros((2, 2)))
