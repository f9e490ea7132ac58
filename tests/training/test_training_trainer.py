"""The one training core, train_network, on small synthetic problems (both faces train through it)."""

from __future__ import annotations

import logging
import warnings

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from xlstm_ts.training.config import TrainConfig
from xlstm_ts.training.trainer import train_network, validation_score

LOOKBACK, HORIZON = 7, 3


class LastValueNet(nn.Module):
    """x (B, L, 1) -> (B, H, 1) through one linear map over the lookback (starts at the naive forecast)."""

    def __init__(self, naive: bool) -> None:
        super().__init__()
        self.linear = nn.Linear(LOOKBACK, HORIZON)
        if naive:
            with torch.no_grad():
                self.linear.weight.zero_()
                self.linear.weight[:, -1] = 1.0
                self.linear.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x[..., 0])[..., None]


class QuantileNet(nn.Module):
    """x (B, L, 1) -> (B, H, 1, Q): one linear map per level."""

    def __init__(self, n_levels: int) -> None:
        super().__init__()
        self.linear = nn.Linear(LOOKBACK, HORIZON * n_levels)
        self.n_levels = n_levels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x[..., 0]).reshape(x.shape[0], self.n_levels, HORIZON).permute(0, 2, 1)[:, :, None, :]


class Untrainable(nn.Module):
    trainable = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, -1:, :].repeat(1, HORIZON, 1)


def random_walk_windows(n: int, seed: int) -> TensorDataset:
    """Windows whose best forecast is the last value (targets = last value + small noise)."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, LOOKBACK, 1, generator=generator).cumsum(1)
    y = x[:, -1:, :].repeat(1, HORIZON, 1) + 0.01 * torch.randn(n, HORIZON, 1, generator=generator)
    return TensorDataset(x, y)


def loaders(n_train: int = 96, n_val: int = 40) -> tuple[DataLoader, DataLoader]:
    train = DataLoader(random_walk_windows(n_train, 0), batch_size=16, shuffle=True,
                       generator=torch.Generator().manual_seed(0))
    val = DataLoader(random_walk_windows(n_val, 1), batch_size=13)
    return train, val


def config(**overrides: object) -> TrainConfig:
    values: dict[str, object] = {"max_epochs": 2, "accelerator": "cpu", "patience": 0, "seed": 0}
    values.update(overrides)
    return TrainConfig(**values)  # type: ignore[arg-type]


def test_select_initial_keeps_the_untrained_network_when_no_epoch_beats_it() -> None:
    torch.manual_seed(0)
    network = LastValueNet(naive=True)
    before = {k: v.clone() for k, v in network.state_dict().items()}
    train, val = loaders()
    initial = validation_score(network, val, None)
    # a learning rate this large moves the weights away from the (near) optimum at the first step
    outcome = train_network(network, train, val, config(learning_rate=5.0, select_initial=True), progress="none")
    assert outcome.best_epoch == -1
    assert outcome.best_val_loss == pytest.approx(initial)
    for name, tensor in outcome.network.state_dict().items():
        torch.testing.assert_close(tensor, before[name])


def test_without_select_initial_an_epoch_is_kept() -> None:
    torch.manual_seed(0)
    train, val = loaders()
    outcome = train_network(LastValueNet(naive=True), train, val, config(learning_rate=5.0), progress="none")
    assert outcome.best_epoch >= 0
    assert outcome.epochs == 2


def test_training_improves_on_validation_and_returns_a_cpu_eval_network() -> None:
    torch.manual_seed(0)
    network = LastValueNet(naive=False)
    train, val = loaders(n_train=256)
    start = validation_score(network, val, None)
    outcome = train_network(network, train, val, config(max_epochs=4, learning_rate=0.05), progress="none")
    assert outcome.best_val_loss is not None and outcome.best_val_loss < 0.5 * start
    assert validation_score(outcome.network, val, None) == pytest.approx(outcome.best_val_loss, rel=1e-5)
    assert not outcome.network.training
    assert all(p.device.type == "cpu" for p in outcome.network.parameters())


def test_no_validation_trains_every_epoch_without_early_stopping() -> None:
    torch.manual_seed(0)
    train, _ = loaders()
    outcome = train_network(LastValueNet(naive=False), train, None, config(max_epochs=3, patience=2), progress="none")
    assert outcome.epochs == 3
    assert outcome.early_stopping is False
    assert outcome.best_val_loss is None


def test_quantile_network_trains_with_the_pinball_loss() -> None:
    torch.manual_seed(0)
    levels = (0.1, 0.5, 0.9)
    train, val = loaders(n_train=256)
    network = QuantileNet(len(levels))
    start = validation_score(network, val, levels)
    outcome = train_network(network, train, val, config(max_epochs=4, learning_rate=0.05), quantiles=levels,
                            progress="none")
    assert outcome.best_val_loss is not None and outcome.best_val_loss < 0.5 * start
    assert validation_score(outcome.network, val, levels) == pytest.approx(outcome.best_val_loss, rel=1e-5)


def test_a_network_with_nothing_to_train_is_returned_as_is() -> None:
    train, val = loaders()
    network = Untrainable()
    outcome = train_network(network, train, val, config(), progress="none")
    assert outcome.network is network
    assert outcome.epochs == 0 and outcome.best_epoch == -1


@pytest.mark.parametrize("verbose_logs", [False, True])
def test_lightning_logging_and_warning_filters_are_restored(verbose_logs: bool) -> None:
    logger = logging.getLogger("lightning.pytorch")
    saved = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        filters = list(warnings.filters)
        train, val = loaders()
        train_network(LastValueNet(naive=False), train, val, config(max_epochs=1), progress="none",
                      verbose_logs=verbose_logs)
        assert logger.level == logging.DEBUG
        assert list(warnings.filters) == filters
    finally:
        logger.setLevel(saved)


def test_estimator_refuses_more_than_one_device() -> None:
    from xlstm_ts.forecaster import XLSTMForecaster

    frame = torch.randn(200).cumsum(0).numpy()[:, None]
    for devices in (2, "auto", [0, 1]):
        with pytest.raises(ValueError, match="devices=.*one device"):
            XLSTMForecaster(horizon=4, devices=devices, verbose=0).fit(frame)


def test_an_xlstm_network_trains_under_cpu_bf16_mixed_precision() -> None:
    """precision="bf16-mixed" on a CPU: both block kinds run under autocast (the sLSTM cell in fp32)
    and training lowers the validation loss; the network comes back in fp32."""
    from xlstm_ts.models import XLSTMForecastConfig, XLSTMForecastNet

    torch.manual_seed(0)
    network = XLSTMForecastNet(XLSTMForecastConfig(lookback=LOOKBACK, horizon=HORIZON, patch_len=4, patch_stride=1,
                                                   embedding_dim=8, num_heads=2, num_blocks=2, dropout=0.0), 1)
    train, val = loaders(n_train=128)
    start = validation_score(network, val, None)
    outcome = train_network(network, train, val, config(max_epochs=3, learning_rate=0.01, precision="bf16-mixed"),
                            progress="none")
    assert outcome.best_val_loss is not None and outcome.best_val_loss < start
    assert all(p.dtype == torch.float32 for p in outcome.network.parameters())
