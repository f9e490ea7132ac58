"""User frames in, series out, and forecasts back into the user's form.

Accepted inputs (see :func:`detect_layout`):

* **long** form (the frame has the id column, default ``unique_id``): one row per (series, time
  step) with the id, the timestamp (``ds``) and the target (``y``) columns, plus the future
  covariate columns if any. Every other column is an error (nothing is dropped silently).
* **wide** form (no id column): one timestamp axis -- the ``time_col`` column if present, else a
  pandas ``DatetimeIndex``, else the frame's only datetime column -- and one numeric column per
  series. Future covariate columns are shared by every series of the frame.
* a 2-D **numpy** array (n_steps, n_columns): wide form with integer time steps 0..n-1 and
  integer column names 0..n-1.

pandas and polars frames are both accepted (polars goes through ``to_pandas``); outputs come back
in the library and form of the input. Integer time columns (steps 0, 1, 2, ...) are accepted as well
as timestamps.

Submodules, one job each: ``layout`` (the data holders, reading the frame and detecting its form),
``time_axis`` (frequency inference, the time grid, future time stamps, seasonality), ``missing`` (the
``fill_missing`` policies), ``outputs`` (forecasts back into the user's form, and read back in), ``future``
(the ``future=`` covariate frame). Every name is re-exported here, so ``frames.detect_layout`` etc. keep working.
"""

from __future__ import annotations

from pandas.tseries.frequencies import to_offset

from xlstm_ts.forecasting.frames.future import FutureTables, _check_future_finite, future_values, read_future
from xlstm_ts.forecasting.frames.layout import (
    Form,
    FrameLayout,
    Library,
    Series,
    TimeKind,
    _covariate_matrix,
    _id_value,
    _is_numeric,
    _make_series,
    _parse_time,
    _time_kind,
    _wide_time_axis,
    as_pandas,
    read_input,
    check_same_columns,
    detect_layout,
    extract_series,
)
from xlstm_ts.forecasting.frames.missing import (
    LEADING_POLICIES,
    MISSING_POLICIES,
    _column_name,
    _position,
    fill_missing_values,
)
from xlstm_ts.forecasting.frames.outputs import _restore_time, build_output, quantile_column, read_forecast
from xlstm_ts.forecasting.frames.time_axis import (
    _alias_of,
    _infer_freq,
    _irregular_message,
    future_times,
    infer_freq,
    infer_frequency,
    regularize,
    rule_code,
    season_length,
    time_grid,
)

__all__ = [
    "Library",
    "Form",
    "TimeKind",
    "FrameLayout",
    "Series",
    "as_pandas",
    "read_input",
    "detect_layout",
    "check_same_columns",
    "extract_series",
    "infer_frequency",
    "infer_freq",
    "regularize",
    "time_grid",
    "future_times",
    "season_length",
    "rule_code",
    "to_offset",
    "LEADING_POLICIES",
    "MISSING_POLICIES",
    "fill_missing_values",
    "quantile_column",
    "build_output",
    "read_forecast",
    "FutureTables",
    "read_future",
    "future_values",
]
