"""A thin LightningModule around any forecasting network: loss, optimizer, schedule, logging."""

from __future__ import annotations

import math

import lightning.pytorch as pl
import torch
from torch import nn

from xlstm_ts.training.config import TrainConfig


def point_loss(name: str, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared or absolute error."""
    if name == "mae":
        return (prediction - target).abs().mean()
    return (prediction - target).pow(2).mean()


class ForecastModule(pl.LightningModule):
    """Trains `network` (x (B, L, C_in) -> y (B, H, C_out)) on (x, y) batches.

    Logs `train_loss` per step, and `val_loss` (MSE on the scaled data, the selection metric,
    whatever the training loss) and `val_mae` per epoch.
    """

    def __init__(self, network: nn.Module, config: TrainConfig) -> None:
        super().__init__()
        self.network = network
        self.config = config

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = point_loss(self.config.loss, self.network(x), y)
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=False)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        prediction = self.network(x)
        n = x.shape[0]
        self.log("val_loss", point_loss("mse", prediction, y), prog_bar=True, sync_dist=True, batch_size=n)
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
