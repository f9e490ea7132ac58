"""The ``stream`` subcommand: feed rows to a saved ``XLSTMForecaster`` as they arrive (stdin or a
file) and print a forecast each time a series advances.

Input: CSV with a header line (the columns of the fit frame, in any order), then one row per
line. Rows of the same time that arrive together (consecutive lines already waiting to be read)
form one :meth:`XLSTMForecaster.update`; a row is never held back waiting for the next one, so a
live feed gets each forecast as soon as its row is in.

Output: CSV (one header, on stdout or appended to ``--output``), one block of ``h`` rows per
forecast: ``<id_col>, cutoff, <time_col>, <target_col>`` and the quantile/interval columns of the
model; ``cutoff`` is the forecast origin (the series' last time). A bad row stops the stream with
exit code 2 and a message naming its line; the rows before it stay applied (and saved by ``--save``).
"""

from __future__ import annotations

import argparse
import codecs
import math
import os
import select
import sys
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from xlstm_ts.cli.common import CLIError

MISSING = frozenset({"", "na", "nan", "null", "none"})
"""Cell values (case-insensitive) read as a missing number."""
CUTOFF = "cutoff"
"""Output column of the forecast origin (as in ``cross_validation``)."""


def add_stream_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``xlstm-ts stream MODEL_DIR --input FILE|- [--output CSV] [--every N] [--h H]
    [--future FILE] [--new-series {raise,add}] [--save DIR]``."""
    stream = subparsers.add_parser(
        "stream",
        help="update a saved XLSTMForecaster row by row and print forecasts",
        description="Read CSV rows (a header line first) from a file or stdin as they arrive, append them to the "
                    "saved model's kept context (XLSTMForecaster.update, no refit) and write the forecast of every "
                    "series that advanced: CSV blocks of id, cutoff (the forecast origin), time and the forecast.",
    )
    stream.add_argument("model_dir", help="a directory written by XLSTMForecaster.save()")
    stream.add_argument("--input", required=True, help="CSV file of new rows, or - for stdin (header line first)")
    stream.add_argument("--output", help="CSV file to append the forecasts to (default: stdout)")
    stream.add_argument("--every", type=int, default=1, metavar="N",
                        help="forecast a series every N-th time it advances (default 1: every time)")
    stream.add_argument("--h", type=int, metavar="H", help="steps to forecast (default: the model's horizon)")
    stream.add_argument("--future", metavar="FILE",
                        help="CSV/parquet of the future covariates' values (models with future_covariates)")
    stream.add_argument("--new-series", choices=("raise", "add"), default="raise",
                        help="rows of a series the model was not fitted on: an error (raise), or held back until "
                             "the series has lookback_ rows, then it joins (add)")
    stream.add_argument("--save", metavar="DIR", help="save the updated model to DIR when the stream ends")
    stream.set_defaults(handler=cmd_stream)
    return stream


def cmd_stream(args: argparse.Namespace) -> int:
    """``xlstm-ts stream``: returns the exit code (0; a bad row raises :class:`CLIError`)."""
    from xlstm_ts.forecaster import XLSTMForecaster

    if args.every < 1:
        raise CLIError(f"--every must be >= 1; got {args.every}")
    if args.h is not None and args.h < 1:
        raise CLIError(f"--h must be >= 1; got {args.h}")
    model = XLSTMForecaster.load(args.model_dir)
    future = _read_future(model, args.future)
    session = Session(model, args.every, args.h, future, args.new_series)
    try:
        with _open_input(args.input) as source, _Sink(args.output) as sink:
            session.run(LineReader(source), sink)
    finally:
        if args.save and session.rows_applied:
            model.save(args.save)
    print(session.summary(), file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- the stream
@dataclass
class Session:
    """One stream: the model, what is printed when, and the counts of the summary line."""

    model: Any
    every: int
    h: int | None
    future: Any
    new_series: str
    advances: dict[Hashable, int] = field(default_factory=dict)
    waiting: dict[Hashable, list[tuple[int, tuple[Any, ...]]]] = field(default_factory=dict)
    """Rows of series not yet joined (``--new-series add``), with their line numbers."""
    rows_read: int = 0
    rows_applied: int = 0
    updates: int = 0
    forecasts: int = 0

    def run(self, lines: LineReader, sink: _Sink) -> None:
        """Read the header, then batches of rows; update and write forecasts after each batch."""
        header = lines.readline()
        if header is None:
            raise CLIError("line 1: the input is empty; it needs a header line with the fit frame's columns")
        parser = RowParser.for_model(self.model, header)
        batch: list[tuple[int, tuple[Any, ...]]] = []
        for number, text in lines:
            if not text.strip():
                continue
            row = parser.parse(text, number)
            self.rows_read += 1
            if batch and parser.time_of(batch[-1][1]) != parser.time_of(row):
                self.apply(parser, batch, sink)
                batch = []
            batch.append((number, row))
            if not lines.waiting():  # nothing else has arrived: forecast now, do not wait for the next row
                self.apply(parser, batch, sink)
                batch = []
        if batch:
            self.apply(parser, batch, sink)

    def apply(self, parser: RowParser, batch: list[tuple[int, tuple[Any, ...]]], sink: _Sink) -> None:
        """Update the model with ``batch`` (rows of new series held back until they can join) and
        write the forecasts of the series that are due."""
        rows = self._joinable(parser, batch)
        if not rows:
            return
        before = dict(zip(self.model.series_ids_, self.model.state_.last_times, strict=True))
        self._update(parser, rows)
        state = self.model.state_
        advanced = [i for i, t in zip(state.series_ids, state.last_times, strict=True) if before.get(i, None) != t]
        due = []
        for series_id in advanced:
            self.advances[series_id] = self.advances.get(series_id, 0) + 1
            if self.advances[series_id] % self.every == 0:
                due.append(series_id)
        if due:
            forecast = self.model.predict(h=self.h, future=self.future)
            sink.write(forecast_table(self.model, forecast, due))
            self.forecasts += len(due)

    def _joinable(self, parser: RowParser, batch: list[tuple[int, tuple[Any, ...]]]) -> list[tuple[int, tuple]]:
        """The rows to apply now: those of known series, and those of a new series once it has
        ``lookback_`` rows (``--new-series add``; with "raise" they go through and fail)."""
        if self.new_series != "add" or parser.id_index is None:
            return batch
        known = set(self.model.series_ids_)
        rows = []
        for number, row in batch:
            series_id = row[parser.id_index]
            if series_id in known:
                rows.append((number, row))
                continue
            held = self.waiting.setdefault(series_id, [])
            held.append((number, row))
            if len(held) >= self.model.lookback_:
                rows.extend(self.waiting.pop(series_id))
        return rows

    def _update(self, parser: RowParser, rows: list[tuple[int, tuple[Any, ...]]]) -> None:
        """One update; if it fails, the rows one by one, to name the line at fault (rows of a
        series that joins now only work together: their lines are named as a span)."""
        from xlstm_ts.forecasting.streaming import update

        try:
            update(self.model, parser.frame([row for _, row in rows]), new_series=self.new_series)
        except ValueError as err:
            if len(rows) == 1 or self._joins_now(parser, rows):
                raise CLIError(f"{_line_span([number for number, _ in rows])}: {err}") from None
            for number, row in rows:  # e.g. a row repeated within the batch: skipped alone when equal
                try:
                    update(self.model, parser.frame([row]), new_series=self.new_series)
                except ValueError as one:
                    raise CLIError(f"line {number}: {one}") from None
                self.rows_applied += 1
                self.updates += 1
            return
        self.rows_applied += len(rows)
        self.updates += 1

    def _joins_now(self, parser: RowParser, rows: list[tuple[int, tuple[Any, ...]]]) -> bool:
        """The rows hold a series that joins with them (``--new-series add``)."""
        if self.new_series != "add" or parser.id_index is None:
            return False
        known = set(self.model.series_ids_)
        return any(row[parser.id_index] not in known for _, row in rows)

    def summary(self) -> str:
        """The line printed on stderr at the end."""
        text = (f"xlstm-ts stream: {self.rows_read} row(s) read, {self.rows_applied} applied in {self.updates} "
                f"update(s), {self.forecasts} forecast(s) written")
        held = {i: len(rows) for i, rows in self.waiting.items()}
        if held:
            text += (f"; held back (fewer than lookback_={self.model.lookback_} rows to join): "
                     + ", ".join(f"{i!r} ({n} row(s))" for i, n in list(held.items())[:10]))
        return text


def _line_span(numbers: Sequence[int]) -> str:
    low, high = min(numbers), max(numbers)
    return f"line {low}" if low == high else f"lines {low}-{high}"


# --------------------------------------------------------------------------- reading rows
@dataclass
class RowParser:
    """Typed rows from CSV lines, in the columns of the fit frame, and frames from rows."""

    columns: tuple[Hashable, ...]
    """Output frame columns (the fit frame's), in order; the time axis first for an index."""
    positions: tuple[int, ...]
    """For each of ``columns``, its position in the CSV header."""
    converters: tuple[Callable[[str], Any], ...]
    time_index: int | None
    """Position in ``columns`` of the time axis (None: numpy models, rows are consecutive steps)."""
    id_index: int | None
    """Position in ``columns`` of the id column (long form)."""
    build: Callable[[list[tuple[Any, ...]]], Any]
    width: int
    """Fields per line."""

    @classmethod
    def for_model(cls, model: Any, header: str) -> RowParser:
        """The parser of a model's rows; the header must name the fit frame's columns (any order)."""
        import csv

        names = [name.strip() for name in next(csv.reader([header]))]
        layout = model.state_.layout
        if layout.library == "numpy":
            return cls._for_array(model, names)
        wanted = ([layout.time_col] if layout.time_in_index else []) + list(layout.columns)
        by_text = {_text(c): c for c in wanted}
        missing = [_text(c) for c in wanted if _text(c) not in names]
        unexpected = [n for n in names if n not in by_text]
        if missing or unexpected or len(set(names)) != len(names):
            raise CLIError(
                f"line 1: the header {names} does not match the model's columns {[_text(c) for c in wanted]}"
                + (f" (missing {missing})" if missing else "") + (f" (unexpected {unexpected})" if unexpected else "")
                + ": give the CSV a header line with the fit frame's columns"
            )
        columns = tuple(wanted)
        converters = tuple(_converter(c, layout) for c in columns)
        time_index = columns.index(layout.time_col)
        id_index = columns.index(layout.id_col) if layout.form == "long" else None
        return cls(columns, tuple(names.index(_text(c)) for c in columns), converters, time_index, id_index,
                   _frame_builder(columns, layout), len(names))

    @classmethod
    def _for_array(cls, model: Any, names: list[str]) -> RowParser:
        import numpy as np

        n = model.n_features_in_
        if len(names) != n:
            raise CLIError(f"line 1: the header has {len(names)} column(s); the model was fitted on an array of {n}")
        return cls(tuple(range(n)), tuple(range(n)), tuple(_number for _ in range(n)), None, None,
                   lambda rows: np.asarray(rows, dtype=np.float64).reshape(len(rows), n), n)

    def parse(self, text: str, number: int) -> tuple[Any, ...]:
        """One CSV line as a typed row (raises :class:`CLIError` naming ``number``)."""
        import csv

        fields = next(csv.reader([text]))
        if len(fields) != self.width:
            raise CLIError(f"line {number}: {len(fields)} field(s), the header has {self.width}")
        values = []
        for column, position, convert in zip(self.columns, self.positions, self.converters, strict=True):
            cell = fields[position].strip()
            try:
                values.append(convert(cell))
            except (TypeError, ValueError) as err:
                raise CLIError(f"line {number}: column {_text(column)!r} has {cell!r}, which is not valid: {err}") from None
        return tuple(values)

    def time_of(self, row: tuple[Any, ...]) -> Any:
        """The row's time (rows of one time form one update); numpy rows are each their own step."""
        return object() if self.time_index is None else row[self.time_index]

    def frame(self, rows: list[tuple[Any, ...]]) -> Any:
        """A frame (or array) of typed rows in the fit frame's form."""
        return self.build(rows)


def _text(column: Hashable) -> str:
    """A column's name as a CSV header writes it (an unnamed index: empty)."""
    return "" if column is None else str(column)


def _converter(column: Hashable, layout: Any) -> Callable[[str], Any]:
    """How to read the cells of ``column``: the time, the id (in the fit frame's id dtype), or a number."""
    if column == layout.time_col:
        return _integer if layout.time_kind == "integer" else _timestamp
    if layout.form == "long" and column == layout.id_col:
        import pandas as pd

        dtype = layout.id_dtype or "object"
        try:
            if pd.api.types.is_integer_dtype(dtype):
                return _integer
            if pd.api.types.is_float_dtype(dtype):
                return float
        except TypeError:  # a dtype name numpy does not know (e.g. "category"): ids as text
            pass
        return str
    return _number


def _number(cell: str) -> float:
    return math.nan if cell.lower() in MISSING else float(cell)


def _integer(cell: str) -> int:
    return int(cell)


def _timestamp(cell: str) -> Any:
    import pandas as pd

    if cell.lower() in MISSING:
        raise ValueError("a missing time stamp")
    return pd.Timestamp(cell)


def _frame_builder(columns: tuple[Hashable, ...], layout: Any) -> Callable[[list[tuple[Any, ...]]], Any]:
    """Rows -> a pandas frame with the fit frame's columns (a DatetimeIndex for an index time axis)."""
    import pandas as pd

    def build(rows: list[tuple[Any, ...]]) -> Any:
        data = {column: [row[j] for row in rows] for j, column in enumerate(columns)}
        if layout.time_kind == "datetime":
            data[layout.time_col] = pd.DatetimeIndex(data[layout.time_col])
        if layout.time_in_index:
            index = pd.DatetimeIndex(data.pop(layout.time_col), name=layout.time_col)
            return pd.DataFrame(data, index=index, columns=list(layout.columns))
        return pd.DataFrame(data, columns=list(columns))

    return build


class LineReader:
    """The lines of a text or binary stream, numbered from 1, and whether another line has
    already arrived (:meth:`waiting`, never blocks on a pipe or a terminal)."""

    def __init__(self, stream: IO[Any]) -> None:
        self._stream = stream
        try:
            self._fd: int | None = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None  # an in-memory stream: reading it never blocks
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._lines: deque[str] = deque()
        self._tail = ""
        self._eof = False
        self.number = 0

    def readline(self) -> str | None:
        """The next line without its line break, or None at the end of the input."""
        while not self._lines:
            if self._eof:
                if not self._tail:
                    return None
                self._lines.append(self._tail)
                self._tail = ""
                break
            self._fill()
        self.number += 1
        return self._lines.popleft().rstrip("\r")

    def __iter__(self) -> Iterator[tuple[int, str]]:
        while (line := self.readline()) is not None:
            yield self.number, line

    def waiting(self) -> bool:
        """Whether the next line (or part of it) has arrived already."""
        if self._lines or self._tail:
            return True
        if self._eof:
            return False
        if self._fd is None:
            self._fill()
            return self.waiting()
        try:
            ready, _, _ = select.select([self._fd], [], [], 0)
        except (OSError, ValueError):  # e.g. pipes on Windows: forecast after every row
            return False
        return bool(ready)

    def _fill(self) -> None:
        if self._fd is None:
            chunk = self._stream.readline()
            text = chunk.decode("utf-8") if isinstance(chunk, bytes) else chunk
            if not text:
                self._eof = True
        else:
            data = os.read(self._fd, 1 << 16)
            text = self._decoder.decode(data, final=not data)
            if not data:
                self._eof = True
        parts = (self._tail + text).split("\n")
        self._tail = parts.pop()
        self._lines.extend(parts)


def _open_input(name: str) -> Any:
    """stdin for "-" (not closed afterwards), else the file opened in binary."""
    import contextlib

    if name == "-":
        return contextlib.nullcontext(sys.stdin)
    path = Path(name)
    if not path.is_file():
        raise CLIError(f"--input {path}: file not found")
    return path.open("rb")


def _read_future(model: Any, name: str | None) -> Any:
    """The ``--future`` table (required by models with future covariates, refused by others)."""
    import pandas as pd

    needed = model.state_.layout.n_future > 0
    if name is None:
        if needed:
            raise CLIError(
                f"this model uses the future covariates {list(model.state_.layout.future_covariates)}: pass "
                f"--future FILE with their values after each series' end (for every step the forecasts reach)"
            )
        return None
    if not needed:
        raise CLIError("--future was given but the model has no future_covariates; leave it out")
    path = Path(name)
    if not path.is_file():
        raise CLIError(f"--future {path}: file not found")
    return pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else pd.read_csv(path)


# --------------------------------------------------------------------------- writing forecasts
def forecast_table(model: Any, forecast: Any, due: Sequence[Hashable]) -> Any:
    """The forecasts of the ``due`` series as one long pandas frame: ``<id_col>, cutoff,
    <time_col>`` and the value columns (``<target_col>``, quantiles, intervals), h rows per series."""
    import numpy as np
    import pandas as pd

    state = model.state_
    layout = state.layout
    last = dict(zip(state.series_ids, state.last_times, strict=True))
    id_col = layout.id_col if layout.form == "long" else model.id_col
    time_col = layout.time_col if layout.time_col is not None else model.time_col
    if layout.form == "long":
        frame = forecast.to_pandas() if hasattr(forecast, "to_pandas") else forecast
        parts = []
        for series_id in due:
            part = frame[frame[layout.id_col] == series_id].reset_index(drop=True)
            part.insert(1, CUTOFF, last[series_id])
            parts.append(part)
        return pd.concat(parts, ignore_index=True)
    if isinstance(forecast, np.ndarray):
        values = forecast
        times = None
    else:
        frame = forecast.to_pandas() if hasattr(forecast, "to_pandas") else forecast
        times = frame.index if layout.time_in_index else frame[layout.time_col]
        values = (frame if layout.time_in_index else frame.drop(columns=[layout.time_col])).to_numpy(np.float64)
    names = value_columns(state, model.target_col)
    index = {series_id: k for k, series_id in enumerate(state.series_ids)}
    width = len(names)
    parts = []
    for series_id in due:
        k = index[series_id]
        block = values[:, k * width : (k + 1) * width]
        steps = times if times is not None else _integer_steps(state, last[series_id], len(block))
        part = {id_col: [series_id] * len(block), CUTOFF: [last[series_id]] * len(block), time_col: np.asarray(steps)}
        part.update({name: block[:, j] for j, name in enumerate(names)})
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)


def value_columns(state: Any, target: Hashable) -> list[str]:
    """Names of one series' forecast columns: the point, the quantiles, the interval bounds
    (in the order ``predict`` writes them)."""
    from xlstm_ts.forecasting.frames import quantile_column

    names = [str(target)]
    names += [quantile_column(target, q) for q in state.requested_quantiles or ()]
    widths = state.interval_widths or {}
    names += [f"{target}-lo-{level}" for level in sorted(widths, reverse=True)]
    names += [f"{target}-hi-{level}" for level in sorted(widths)]
    return names


def _integer_steps(state: Any, last: Any, n: int) -> Any:
    from xlstm_ts.forecasting.frames import future_times

    return future_times(last, state.freq, n, "integer")


class _Sink:
    """Where forecasts go: stdout, or appended to a CSV file (one header, written once)."""

    def __init__(self, path: str | None) -> None:
        self._path = Path(path) if path else None
        self._file: IO[str] | None = None
        self._header: list[str] | None = None

    def __enter__(self) -> _Sink:
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            if self._path.is_file() and self._path.stat().st_size:
                with self._path.open() as existing:
                    import csv

                    self._header = next(csv.reader([existing.readline()]), None)
            self._file = self._path.open("a", newline="")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._file is not None:
            self._file.close()

    def write(self, table: Any) -> None:
        """Append ``table``'s rows (the header before the first rows of an empty output)."""
        columns = [str(c) for c in table.columns]
        if self._header is not None and self._header != columns:
            raise CLIError(
                f"--output {self._path} holds forecasts with the columns {self._header}, these have {columns}: write "
                f"to a new file"
            )
        out = self._file if self._file is not None else sys.stdout
        table.to_csv(out, header=self._header is None, index=False, lineterminator="\n")
        self._header = columns
        out.flush()
