"""xlstm-ts: time-series forecasting with xLSTM.

Public API (imported lazily, so `import xlstm_ts` stays light):
`XLSTMForecaster` (scikit-learn-style estimator), `XLSTMForecastConfig`, `XLSTMStackConfig`,
`TrainConfig`, `DataConfig`, `RunConfig`, and `keep_freed_memory` (faster CPU training, see
docs/performance.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xlstm_ts._lazy import lazy_exports

__version__ = "0.1.0"

if TYPE_CHECKING:
    from xlstm_ts.cpu_memory import keep_freed_memory
    from xlstm_ts.data.config import DataConfig
    from xlstm_ts.forecaster import XLSTMForecaster
    from xlstm_ts.models.config import XLSTMForecastConfig
    from xlstm_ts.nn.config import XLSTMStackConfig
    from xlstm_ts.training.config import TrainConfig
    from xlstm_ts.pipeline.run_config import RunConfig

_EXPORTS = {
    "XLSTMForecaster": "xlstm_ts.forecaster",
    "XLSTMForecastConfig": "xlstm_ts.models.config",
    "XLSTMStackConfig": "xlstm_ts.nn.config",
    "TrainConfig": "xlstm_ts.training.config",
    "DataConfig": "xlstm_ts.data.config",
    "RunConfig": "xlstm_ts.pipeline.run_config",
    "keep_freed_memory": "xlstm_ts.cpu_memory",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
