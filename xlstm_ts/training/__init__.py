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

from importlib import import_module
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'xlstm_ts.training' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
