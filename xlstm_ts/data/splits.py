"""Train/validation/test row borders of the standard long-term forecasting protocol.

Each split *owns* a block of rows (the rows its windows forecast). The validation and test ranges
returned by :func:`split_borders` start ``lookback`` rows before their block, so that their first
window forecasts the first owned row; the training range has no context before it, so training
windows only ever read rows ``[0, n_train)``.

* ``ett_hourly``: 12/4/4 months of 30 days: train ``[0, 8640)``, val owns ``[8640, 11520)``,
  test owns ``[11520, 14400)``; later rows are unused.
* ``ett_minute``: the same borders times 4 (15-minute rows): 34560 / 11520 / 11520.
* ``ratio``: ``n_train = int(0.7 n)``, ``n_test = int(0.2 n)``, ``n_val = n - n_train - n_test``.
"""

from __future__ import annotations

from typing import Literal

from xlstm_ts.data.registry import SplitRule

SplitName = Literal["train", "val", "test"]
"""Name of a data split."""

SPLIT_NAMES: tuple[SplitName, ...] = ("train", "val", "test")
"""Split names in chronological order."""

TRAIN_RATIO = 0.7
"""Share of rows owned by the training split under the ``ratio`` rule."""
TEST_RATIO = 0.2
"""Share of rows owned by the test split under the ``ratio`` rule (validation gets the rest)."""

_ETT_HOURLY_MONTH = 30 * 24
_ETT_MONTHS = (12, 4, 4)


def split_sizes(rule: SplitRule, n_rows: int) -> dict[SplitName, int]:
    """Number of rows owned by each split (without lookback context).

    Raises:
        ValueError: unknown rule, or ``n_rows`` too small for the fixed ETT borders.
    """
    if n_rows < 1:
        raise ValueError(f"n_rows must be >= 1, got {n_rows}")
    if rule in ("ett_hourly", "ett_minute"):
        rows_per_month = _ETT_HOURLY_MONTH * (4 if rule == "ett_minute" else 1)
        sizes = [months * rows_per_month for months in _ETT_MONTHS]
        if n_rows < sum(sizes):
            raise ValueError(f"split rule {rule!r} needs at least {sum(sizes)} rows, the data has {n_rows}")
        return dict(zip(SPLIT_NAMES, sizes, strict=True))
    if rule == "ratio":
        n_train = int(n_rows * TRAIN_RATIO)
        n_test = int(n_rows * TEST_RATIO)
        return {"train": n_train, "val": n_rows - n_train - n_test, "test": n_test}
    raise ValueError(f"unknown split rule {rule!r}; expected 'ett_hourly', 'ett_minute' or 'ratio'")


def split_borders(
    rule: SplitRule, n_rows: int, lookback: int, *, horizon: int | None = None
) -> dict[SplitName, tuple[int, int]]:
    """Row ranges ``[start, end)`` of each split, including the lookback context of val and test.

    Args:
        rule: split protocol (see the module docstring).
        n_rows: number of data rows N of the file.
        lookback: context length L of each window.
        horizon: forecast length H; when given, every split must yield at least one window.

    Returns:
        ``{"train": (0, n_train), "val": (n_train - L, n_train + n_val), "test": (t - L, t + n_test)}``
        where ``t = n_train + n_val`` (``t + n_test == N`` under the ``ratio`` rule).

    Raises:
        ValueError: ``lookback`` < 1, ``lookback`` longer than the training block (the validation
            context would start before row 0), or a split too short for one window of ``horizon``.
    """
    if lookback < 1:
        raise ValueError(f"lookback must be >= 1, got {lookback}")
    sizes = split_sizes(rule, n_rows)
    n_train, n_val, n_test = sizes["train"], sizes["val"], sizes["test"]
    if lookback > n_train:
        raise ValueError(
            f"lookback {lookback} is too large for rule {rule!r} with {n_rows} rows: the training block has only "
            f"{n_train} rows, so the validation context would start before the first row"
        )
    test_start = n_train + n_val
    borders: dict[SplitName, tuple[int, int]] = {
        "train": (0, n_train),
        "val": (n_train - lookback, n_train + n_val),
        "test": (test_start - lookback, test_start + n_test),
    }
    if horizon is not None:
        if horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {horizon}")
        for name, (start, end) in borders.items():
            if end - start < lookback + horizon:
                raise ValueError(
                    f"the {name} split ({end - start} rows including context) is too short for one window of "
                    f"lookback {lookback} + horizon {horizon} (rule {rule!r}, {n_rows} rows)"
                )
    return borders
