"""Streaming: new observations appended to a fitted forecaster's kept context, no refit."""

from __future__ import annotations

from typing import Any


def update(estimator: Any, df_new: Any, *, new_series: str = "raise") -> Any:
    """Append ``df_new``'s rows to the kept context of ``estimator``; returns ``estimator``."""
    raise NotImplementedError("XLSTMForecaster.update is not implemented yet")
