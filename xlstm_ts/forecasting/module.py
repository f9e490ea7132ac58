"""The LightningModule that trains the estimator's network (imported by ``fit`` only, so that
loading a saved model and predicting never import Lightning)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from xlstm_ts.forecasting.network import ForecastNetwork, pinball_loss
from xlstm_ts.training.config import TrainConfig
from xlstm_ts.training.module import ForecastModule, point_loss


class ForecasterModule(ForecastModule):
    """:class:`ForecastModule` with the pinball loss when the network forecasts quantiles.

    ``val_loss`` (what early stopping and best-weight selection watch) is the MSE for point
    forecasts and the mean pinball loss for quantiles, both on the per-series scaled data.
    """

    def __init__(self, network: ForecastNetwork, config: TrainConfig, quantiles: Sequence[float] | None) -> None:
        super().__init__(network, config)
        levels = torch.tensor(list(quantiles or []), dtype=torch.float32)
        self.register_buffer("levels", levels, persistent=False)

    def _loss(self, prediction: torch.Tensor, target: torch.Tensor, name: str) -> torch.Tensor:
        if self.levels.numel():
            return pinball_loss(prediction, target, self.levels)
        return point_loss(name, prediction, target)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = self._loss(self.network(x), y, self.config.loss)
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=False, batch_size=x.shape[0])
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        loss = self._loss(self.network(x), y, "mse")
        self.log("val_loss", loss, prog_bar=True, batch_size=x.shape[0])
