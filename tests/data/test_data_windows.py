"""WindowDataset: lengths, contents, feature modes and views."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from xlstm_ts.data.windows import WindowDataset

N, C, L, H = 50, 4, 8, 5


@pytest.fixture
def data() -> np.ndarray:
    return np.arange(N * C, dtype=np.float32).reshape(N, C)


def test_length_and_contents(data: np.ndarray) -> None:
    ds = WindowDataset(data, L, H)
    assert len(ds) == N - L - H + 1
    for i in (0, 7, len(ds) - 1):
        x, y = ds[i]
        np.testing.assert_array_equal(x.numpy(), data[i : i + L])
        np.testing.assert_array_equal(y.numpy(), data[i + L : i + L + H])
    assert ds[len(ds) - 1][1][-1, -1].item() == data[-1, -1]  # the last window ends at the last row
    torch.testing.assert_close(ds[-1][0], ds[len(ds) - 1][0])
    with pytest.raises(IndexError):
        ds[len(ds)]


@pytest.mark.parametrize(
    ("features", "c_in", "c_out"),
    [("M", C, C), ("S", 1, 1), ("MS", C, 1)],
)
def test_feature_modes(data: np.ndarray, features: str, c_in: int, c_out: int) -> None:
    ds = WindowDataset(data, L, H, features=features, target_index=2)  # type: ignore[arg-type]
    x, y = ds[3]
    assert x.shape == (L, c_in) and y.shape == (H, c_out)
    assert (ds.n_channels_in, ds.n_channels_out) == (c_in, c_out)
    if features != "M":
        np.testing.assert_array_equal(y[:, 0].numpy(), data[3 + L : 3 + L + H, 2])
    if features == "S":
        np.testing.assert_array_equal(x[:, 0].numpy(), data[3 : 3 + L, 2])


def test_items_are_views_of_one_tensor(data: np.ndarray) -> None:
    ds = WindowDataset(data, L, H, features="MS", target_index=-1)
    x, y = ds[10]
    base = ds.data.untyped_storage().data_ptr()
    assert x.untyped_storage().data_ptr() == base and y.untyped_storage().data_ptr() == base
    assert ds.data.data_ptr() == torch.from_numpy(data).data_ptr()  # float32 input is not copied either


def test_batches_from_a_loader(data: np.ndarray) -> None:
    ds = WindowDataset(data, L, H, features="MS")
    x, y = next(iter(DataLoader(ds, batch_size=6)))
    assert x.shape == (6, L, C) and y.shape == (6, H, 1) and x.dtype == torch.float32


def test_window_rows_use_start_row(data: np.ndarray) -> None:
    ds = WindowDataset(data[20:], L, H, start_row=20)
    x_rows, y_rows = ds.window_rows(0)
    assert (x_rows.start, x_rows.stop, y_rows.stop) == (20, 20 + L, 20 + L + H)
    assert ds.window_rows(-1)[1].stop == N


def test_invalid_arguments(data: np.ndarray) -> None:
    with pytest.raises(ValueError, match="too few for one window"):
        WindowDataset(data[: L + H - 1], L, H)
    WindowDataset(data[: L + H], L, H)  # exactly one window
    with pytest.raises(ValueError, match="features"):
        WindowDataset(data, L, H, features="X")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="target_index"):
        WindowDataset(data, L, H, features="S", target_index=C)
    with pytest.raises(ValueError, match="shape"):
        WindowDataset(data[:, 0], L, H)
