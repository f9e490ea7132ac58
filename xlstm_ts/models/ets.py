"""Damped-trend exponential smoothing, ETS(A,Ad,N), on the seasonally adjusted series: the "Damped"
benchmark of the M4 competition (Makridakis et al., 2020), Gardner & McKenzie's (1985) damped
trend in the error-correction form of Hyndman et al. (2008).

Written from the published equations (numpy and scipy only). The seasonal adjustment is Theta's
(:mod:`xlstm_ts.models.theta`, imported, not repeated): the classical decomposition, multiplicative
when every value is positive and additive otherwise, used only when the autocorrelation at the
season lag passes the 90 % test. On the adjusted series y_0 .. y_{n-1}:

    forecast  yhat_t = l_{t-1} + phi b_{t-1}
    error     e_t    = y_t - yhat_t
    level     l_t    = l_{t-1} + phi b_{t-1} + alpha e_t
    trend     b_t    = phi b_{t-1} + beta e_t

from l_0, b_0: the intercept (value at t = 0) and slope of the least-squares line through the
first :data:`INIT_POINTS` values (Hyndman et al.'s heuristic start; a line is started exactly). The
one-step errors e_1 .. e_{n-1} are scored. The h-step forecast is
l_{n-1} + (phi + phi^2 + ... + phi^h) b_{n-1}, re-seasonalized.

(alpha, beta, phi) is the point of :data:`GRID` (170 points) with the least one-step in-sample
squared error (ties: the first), where the M4 benchmark estimates them by likelihood. phi = 0 with beta = 0 is the no-trend model, simple exponential smoothing (the
trend never enters a forecast), listed first so that a flat series is not given a trend it lacks.

For fixed parameters the recursion is linear and time invariant in y: with the state
x_t = (l_t, b_t), x_t = D x_{t-1} + g y_t, D = F - g w', F = [[1, phi], [0, phi]], g = (alpha, beta),
w = (1, phi), and e_t = y_t - w' x_{t-1}. So e is y through the filter

    E(z) / Y(z) = (1 - z^-1)(1 - phi z^-1) / (1 - tr(D) z^-1 + det(D) z^-2),
    tr(D) = 1 - alpha + phi (1 - beta),  det(D) = phi (1 - alpha),

plus the start's contribution -w' D^(t-1) x_0, which obeys the denominator's recursion
(Cayley-Hamilton) and so is the filter's initial condition: :func:`scipy.signal.lfilter` scores one
grid point for every row at once. The final state follows from the last two errors,
l_{n-1} = y_{n-1} - (1 - alpha) e_{n-1} and phi b_{n-2} = yhat_{n-1} - l_{n-2}.

:func:`ets_forecast` forecasts one series; :func:`ets_forecast_batch` forecasts many windows of one
length at once (the benchmark baseline :class:`~xlstm_ts.models.baselines.ETSNet`), with the same
numbers row by row.

References: E. S. Gardner & E. McKenzie (1985), "Forecasting trends in time series", Management
Science 31(10); R. J. Hyndman, A. B. Koehler, J. K. Ord & R. D. Snyder (2008), "Forecasting with
Exponential Smoothing: The State Space Approach", Springer; S. Makridakis, E. Spiliotis &
V. Assimakopoulos (2020), "The M4 Competition: 100,000 time series and 61 forecasting methods",
International Journal of Forecasting 36(1) (the "Damped" benchmark).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from xlstm_ts.models.theta import seasonal_forecast_batch, seasonal_indices

ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 0.99)
"""The level smoothing weights tried."""
PHIS = (0.8, 0.9, 0.95, 0.98)
"""The damping factors tried with a trend (the usual bounds on phi, 0.8 to 0.98; no undamped trend)."""
BETA_FRACTIONS = (0.0, 0.05, 0.25, 1.0)
"""The trend weights tried, as fractions of alpha (beta <= alpha)."""
GRID = np.array(
    [(alpha, 0.0, 0.0) for alpha in ALPHAS]
    + [(alpha, fraction * alpha, phi) for alpha in ALPHAS for phi in PHIS for fraction in BETA_FRACTIONS]
)
"""The (alpha, beta, phi) points tried, (P, 3), in order: first the no-trend model (phi = beta = 0,
simple exponential smoothing) for every alpha, then every alpha x phi x beta fraction. The point with
the least one-step squared error is kept; ties: the first."""
INIT_POINTS = 10
"""The start l_0, b_0 is the least-squares line through the first ``INIT_POINTS`` values (all of
them in a shorter series)."""
CHUNK_ROWS = 4096
"""Rows fitted together (the batch form works through its rows in blocks of this many)."""


def ets_forecast(history: np.ndarray, steps: int, season: int) -> np.ndarray:
    """``steps`` values after ``history`` (n,) by damped-trend exponential smoothing on the
    seasonally adjusted series; ``season`` m (1: none).

    Fewer than 3 values: the last value repeated. A constant history: that constant. The input is
    assumed finite (as in :func:`~xlstm_ts.models.theta.theta_forecast`; one holding NaN gets its
    last value repeated).
    """
    y = np.asarray(history, dtype=np.float64)
    n = len(y)
    if n < 3 or not np.ptp(y) > 0.0:
        return np.full(steps, float(y[-1]))
    indices, multiplicative = seasonal_indices(y, season)
    adjusted = y
    if indices is not None:
        position = np.arange(n) % season
        adjusted = y / indices[position] if multiplicative else y - indices[position]
    level, trend, phi = _best_fit(adjusted[None, :])
    forecast = level[0] + damped_sum(phi[0], steps) * trend[0]
    if indices is not None:
        future = indices[(n + np.arange(steps)) % season]
        forecast = forecast * future if multiplicative else forecast + future
    return forecast


def ets_forecast_batch(windows: np.ndarray, steps: int, season: int) -> np.ndarray:
    """``steps`` values after each row of ``windows`` (N, n) by damped-trend exponential smoothing,
    season m: row by row what :func:`ets_forecast` gives, computed for all rows at once. Returns
    (N, steps)."""
    return seasonal_forecast_batch(windows, steps, season, _ets_adjusted_batch)


def _ets_adjusted_batch(adjusted: np.ndarray, steps: int) -> np.ndarray:
    """The damped-trend forecast (N, steps) of seasonally adjusted rows (N, n >= 3)."""
    level, trend, phi = _best_fit(adjusted)
    h = np.arange(1, steps + 1, dtype=np.float64)
    return level[:, None] + _damped_sums(phi, h) * trend[:, None]


def damped_sum(phi: float, steps: int) -> np.ndarray:
    """phi + phi^2 + ... + phi^h for h = 1 .. ``steps`` (steps,): the trend's weight h steps ahead."""
    return np.cumsum(float(phi) ** np.arange(1, steps + 1, dtype=np.float64))


def _damped_sums(phi: np.ndarray, h: np.ndarray) -> np.ndarray:
    """:func:`damped_sum` per row: (N,) damping factors, (H,) steps 1..H -> (N, H)."""
    return np.cumsum(phi[:, None] ** h[None, :], axis=1)


def initial_state(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``y`` (N, n): l_0, b_0 (N,), the value at t = 0 and the slope of the least-squares
    line through the first :data:`INIT_POINTS` values."""
    head = y[:, : min(INIT_POINTS, y.shape[1])]
    t = np.arange(head.shape[1], dtype=np.float64)
    t -= t.mean()
    mean = head.mean(axis=1)
    slope = (head - mean[:, None]) @ t / float(t @ t)
    return mean + slope * t[0], slope


def damped_trend_fit(
    y: np.ndarray, alpha: float, beta: float, phi: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The damped-trend recursion with fixed parameters on each row of ``y`` (N, n >= 3), started
    at :func:`initial_state`, by the filter form (see the module docstring): the one-step errors
    e_1 .. e_{n-1} (N, n - 1) and the final level and trend l_{n-1}, b_{n-1} (N,)."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] < 3:
        raise ValueError(f"y must be (N, n >= 3); got shape {y.shape}")
    level0, trend0 = initial_state(y)
    errors = _one_step_errors(y, level0, trend0, alpha, beta, phi)
    level, trend = _final_state(y, errors[:, -1], errors[:, -2], alpha, beta)
    return errors, level, trend


def _one_step_errors(
    y: np.ndarray, level0: np.ndarray, trend0: np.ndarray, alpha: float, beta: float, phi: float
) -> np.ndarray:
    """e_1 .. e_{n-1} (N, n - 1) for rows ``y`` (N, n) started at (l_0, b_0): one lfilter call."""
    a1 = -(1.0 - alpha + phi * (1.0 - beta))  # -tr(D)
    a2 = phi * (1.0 - alpha)  # det(D)
    # the start's part of the forecasts yhat_1, yhat_2: w'x_0 and w'D x_0
    s0 = level0 + phi * trend0
    s1 = (1.0 - alpha - phi * beta) * level0 + (phi * (1.0 - alpha) + phi * phi * (1.0 - beta)) * trend0
    zi = np.stack([-s0, -s1 - a1 * s0], axis=1)  # lfilter's zero-input output is then -w'D^(t-1) x_0
    return lfilter([1.0, -(1.0 + phi), phi], [1.0, a1, a2], y[:, 1:], axis=1, zi=zi)[0]


def _final_state(
    y: np.ndarray, last: np.ndarray, before: np.ndarray, alpha: float | np.ndarray, beta: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """l_{n-1}, b_{n-1} from the last two one-step errors e_{n-1}, e_{n-2} (n >= 3):
    l_t = y_t - (1 - alpha) e_t, and b_{n-1} = phi b_{n-2} + beta e_{n-1} where
    phi b_{n-2} = yhat_{n-1} - l_{n-2} = y_{n-1} - e_{n-1} - l_{n-2}."""
    level = y[:, -1] - (1.0 - alpha) * last
    previous = y[:, -2] - (1.0 - alpha) * before
    trend = (y[:, -1] - last - previous) + beta * last
    return level, trend


def _best_fit(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of ``y`` (N, n >= 3): the final level and trend (N,) of the :data:`GRID` point with
    the least one-step squared error (the first on ties), and its phi (N,). In blocks of
    :data:`CHUNK_ROWS` rows (bounded memory, and faster: a block's errors stay in cache)."""
    parts = [_best_fit_rows(y[start : start + CHUNK_ROWS]) for start in range(0, len(y), CHUNK_ROWS)]
    level, trend, phi = (np.concatenate(values) for values in zip(*parts, strict=True))
    return level, trend, phi


def _best_fit_rows(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_best_fit` on one block of rows."""
    n_rows = len(y)
    level0, trend0 = initial_state(y)
    best_sse = np.full(n_rows, np.inf)
    best = np.zeros(n_rows, dtype=np.intp)
    last = np.zeros(n_rows)
    before = np.zeros(n_rows)
    for k, (alpha, beta, phi) in enumerate(GRID):
        errors = _one_step_errors(y, level0, trend0, alpha, beta, phi)
        sse = np.einsum("ij,ij->i", errors, errors)
        better = sse < best_sse  # strictly: ties keep the first point
        best_sse = np.where(better, sse, best_sse)
        best = np.where(better, k, best)
        last = np.where(better, errors[:, -1], last)
        before = np.where(better, errors[:, -2], before)
    alpha, beta, phi = GRID[best].T
    level, trend = _final_state(y, last, before, alpha, beta)
    return level, trend, phi
