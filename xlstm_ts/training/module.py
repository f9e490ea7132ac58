"""The one LightningModule: trains any forecasting network on (x, y) batches.

It holds the loss, the optimizer, the schedule and logging only; the network is a plain
``nn.Module`` that knows nothing of Lightning.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import lightning.pytorch as pl
import torch
from torch import nn

from xlstm_ts.training.config import TrainConfig
from xlstm_ts.training.losses import pinball_loss, point_loss

__all__ = ["ForecastModule", "point_loss", "pinball_loss"]


class ForecastModule(pl.LightningModule):
    """Trains ``network`` (x (B, L, C_in) -> y (B, H, C_out), or (B, H, C_out, Q) for quantiles).

    Point forecasts train with ``config.loss`` (MSE or MAE); quantile forecasts (``quantiles``
    given, ascending levels in (0, 1)) with the pinball loss. Logs ``train_loss`` per step and, per
    epoch, ``val_loss`` -- the selection metric: the MSE for point forecasts (whatever the training
    loss) and the pinball loss for quantiles, both on the scaled data -- and ``val_mae``.
    """

    def __init__(self, network: nn.Module, config: TrainConfig, quantiles: Sequence[float] | None = None) -> None:
        super().__init__()
        self.network = network
        self.config = config
        levels = torch.tensor(list(quantiles or []), dtype=torch.float32)
        self.register_buffer("levels", levels, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)

    def loss(self, prediction: torch.Tensor, target: torch.Tensor, name: str) -> torch.Tensor:
        """The pinball loss for quantile forecasts, else the point loss ``name``."""
        if self.levels.numel():
            return pinball_loss(prediction, target, self.levels)
        return point_loss(name, prediction, target)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = self.loss(self.network(x), y, self.config.loss)
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=False, batch_size=x.shape[0])
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        prediction = self.network(x)
        n = x.shape[0]
        self.log("val_loss", self.loss(prediction, y, "mse"), prog_bar=True, sync_dist=True, batch_size=n)
        if not self.levels.numel():
            self.log("val_mae", point_loss("mae", prediction, y), sync_dist=True, batch_size=n)

    def configure_optimizers(self):  # type: ignore[override]
        decay, no_decay = [], []
        for name, parameter in self.network.named_parameters():
            if not parameter.requires_grad:
                continue
            # norms, biases and 1-d gate parameters are not weight-decayed
            (no_decay if parameter.dim() < 2 else decay).append(parameter)
        optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": self.config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=self.config.learning_rate,
        )
        if self.config.scheduler == "constant":
            return optimizer
        total = max(1, int(self.trainer.estimated_stepping_batches))
        if self.config.scheduler == "onecycle":
            scheduler = torch.optim.lr_scheduler.OneCycleLR(
                optimizer, max_lr=self.config.learning_rate, total_steps=total, pct_start=0.3
            )
        else:
            warmup = int(total * self.config.warmup_fraction)

            def factor(step: int) -> float:
                if step < warmup:
                    return (step + 1) / (warmup + 1)
                progress = (step - warmup) / max(1, total - warmup)
                return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
