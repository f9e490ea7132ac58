"""How any network is trained: one function, one LightningModule, callbacks, losses, config.

* :func:`~xlstm_ts.training.trainer.train_network` -- the package's only ``pl.Trainer``; the
  benchmark pipeline and the estimator both train through it;
* :class:`~xlstm_ts.training.module.ForecastModule` -- loss (point or pinball), optimizer,
  schedule, logging;
* :mod:`~xlstm_ts.training.callbacks` -- best-validation weights in memory, per-epoch lines;
* :class:`~xlstm_ts.training.config.TrainConfig` -- the flat training config;
* :mod:`~xlstm_ts.training.evaluate` -- forecasts of every window of a loader, error metrics.

Names are imported lazily, so ``from xlstm_ts.training.config import TrainConfig`` does not load
Lightning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xlstm_ts._lazy import lazy_exports

if TYPE_CHECKING:
    from xlstm_ts.training.config import TrainConfig
    from xlstm_ts.training.module import ForecastModule
    from xlstm_ts.training.trainer import TrainOutcome, train_network

_EXPORTS = {
    "TrainConfig": "xlstm_ts.training.config",
    "ForecastModule": "xlstm_ts.training.module",
    "TrainOutcome": "xlstm_ts.training.trainer",
    "train_network": "xlstm_ts.training.trainer",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
