"""``fit``/``predict``/``evaluate`` on the user's own CSV or parquet file (an ``XLSTMForecaster`` run).

``xlstm-ts fit --data FILE --target COL[,COL...] --horizon H`` trains the estimator (the same
training core as the benchmark runs) and writes a run directory:

* the files of :meth:`XLSTMForecaster.save` (``XLSTMForecaster.load(RUN_DIR)`` reads it back);
* ``config.yaml``: ``kind: file``, the ``data`` section (file, columns, reader) and the
  ``estimator`` section (every parameter); ``xlstm-ts fit --config RUN_DIR/config.yaml`` reruns it;
* ``metrics.json``: the fit summary (``fit_info_``), the rows and series read, the file's sha256.

``xlstm-ts predict RUN_DIR --input FILE --output FILE [--future FILE]`` forecasts the ``horizon``
steps after the end of every series of FILE; ``xlstm-ts evaluate RUN_DIR --data FILE`` scores the
last windows of FILE. Bad input (a missing or non-numeric target, unparseable or duplicated
timestamps, series too short, unknown covariates) is a :class:`CLIError` (exit code 2) naming the
column and the fix.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

from xlstm_ts.cli.common import CLIError

FILE_RUN_KIND = "file"
"""``kind`` of a file run's config.yaml (benchmark run configs have no ``kind``)."""
CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.json"
FORECASTER_FILE = "forecaster.json"
"""The description file :meth:`XLSTMForecaster.save` writes: its presence marks a file run."""
READERS = ("pandas", "polars")
PARQUET_SUFFIXES = (".parquet", ".pq")
DATA_KEYS = (
    "path", "target", "time_col", "id_col", "future_covariates", "past_covariates", "static_covariates", "reader",
)
"""Keys of the ``data`` section of a file run's config."""


# --------------------------------------------------------------------------- flags
def add_file_flags(fit: argparse.ArgumentParser) -> None:
    """The ``fit`` flags of a file run (``--data`` selects it)."""
    group = fit.add_argument_group("your own file (instead of --dataset)")
    group.add_argument("--data", metavar="FILE", help="CSV or parquet file to train on (a time column and numeric series)")
    group.add_argument("--target", metavar="COL[,COL...]",
                       help="the column(s) to forecast: one per series of a wide file, the value column of a long "
                            "file (with --id-col)")
    group.add_argument("--time-col", metavar="COL", help="timestamp (or integer step) column (default ds)")
    group.add_argument("--id-col", metavar="COL",
                       help="series id column of a long file (default unique_id, when the file has it)")
    group.add_argument("--future-covariates", metavar="A,B", help="columns known ahead (predict needs --future)")
    group.add_argument("--past-covariates", metavar="C,D", help="columns observed up to now only")
    group.add_argument("--static-covariates", metavar="S", help="columns constant per series (long files)")
    group.add_argument("--freq", help="pandas frequency (e.g. h, D, MS) when it cannot be inferred")
    group.add_argument("--reader", choices=READERS, help="library that reads the file (default pandas)")


def wants_file_run(args: argparse.Namespace) -> bool:
    """``fit`` was asked for a file run: ``--data``, or a ``--config`` of ``kind: file``."""
    if getattr(args, "data", None):
        return True
    if getattr(args, "config", None) and Path(args.config).is_file():
        return _read_yaml(Path(args.config)).get("kind") == FILE_RUN_KIND
    return False


def refuse_file_flags(args: argparse.Namespace) -> None:
    """A benchmark command line must not carry the flags of a file run (they would be ignored)."""
    for flag in ("target", "time_col", "id_col", "future_covariates", "past_covariates", "static_covariates", "freq",
                 "reader"):
        if getattr(args, flag, None) is not None:
            raise CLIError(f"--{flag.replace('_', '-')} is for runs on your own file: give --data FILE with it")


def is_file_run(run_dir: str | Path) -> bool:
    """``run_dir`` was written by a file run (it holds an ``XLSTMForecaster``)."""
    return (Path(run_dir) / FORECASTER_FILE).is_file()


# --------------------------------------------------------------------------- reading files
def read_table(path: str | Path, flag: str = "--data", reader: str = "pandas") -> Any:
    """A CSV or parquet file as a pandas frame (nothing parsed yet but what the reader does)."""
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise CLIError(f"{flag} {file}: file not found")
    parquet = file.suffix.lower() in PARQUET_SUFFIXES
    try:
        if reader == "polars":
            import polars as pl

            return (pl.read_parquet(file) if parquet else pl.read_csv(file, infer_schema_length=10_000)).to_pandas()
        return pd.read_parquet(file) if parquet else pd.read_csv(file)
    except ImportError as err:
        raise CLIError(f"{flag} {file}: reading it needs an optional package ({err})") from None
    except Exception as err:  # noqa: BLE001 - parser errors of both libraries, undecodable bytes, empty files
        kind = "parquet" if parquet else "CSV"
        raise CLIError(
            f"{flag} {file}: cannot read it as {kind} ({type(err).__name__}: {err}); give a {kind} file with a "
            f"header row (the time column and the series)"
        ) from None


def parse_time_column(frame: Any, time_col: str, source: str) -> Any:
    """``frame`` with ``time_col`` as timestamps (or integer steps, kept as they are).

    Raises:
        CLIError: the column is missing, or a value is not a timestamp (the row is named).
    """
    import pandas as pd

    if time_col not in frame.columns:
        raise CLIError(
            f"{source}: no time column {time_col!r} (columns: {_names(frame.columns)}); name it with --time-col"
        )
    column = frame[time_col]
    if pd.api.types.is_datetime64_any_dtype(column) or pd.api.types.is_integer_dtype(column):
        return frame
    parsed = pd.to_datetime(column, errors="coerce", format="mixed")
    bad = parsed.isna() & column.notna()
    if column.isna().any() or bad.any():
        row = int((bad | column.isna()).to_numpy().argmax())
        raise CLIError(
            f"{source}: time column {time_col!r} has a value that is not a timestamp at data row {row + 1}: "
            f"{column.iloc[row]!r}; fix or drop that row (or name the right column with --time-col)"
        )
    frame = frame.copy()
    frame[time_col] = parsed
    return frame


def check_numeric_columns(frame: Any, columns: Sequence[Hashable], what: str, source: str) -> None:
    """Every column of ``columns`` exists and holds numbers (NaN allowed; the estimator's
    ``fill_missing`` decides about those)."""
    import pandas as pd

    for column in columns:
        if column not in frame.columns:
            raise CLIError(f"{source}: {what} {column!r} is not a column (columns: {_names(frame.columns)})")
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna() & values.notna()
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise CLIError(
                f"{source}: {what} {column!r} is not numeric (data row {row + 1} holds {values.iloc[row]!r}); "
                f"convert it to numbers, or drop the rows that are not"
            )


# --------------------------------------------------------------------------- the run's settings
def file_run_settings(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``data`` and ``estimator`` sections of the run: --config (kind: file) first, then the
    flags, then ``--set name=value`` (estimator parameters)."""
    import yaml

    from xlstm_ts.forecaster import XLSTMForecaster

    data: dict[str, Any] = {}
    estimator: dict[str, Any] = {}
    if getattr(args, "config", None):
        values = _read_yaml(Path(args.config))
        if values.get("kind") != FILE_RUN_KIND:
            raise CLIError(f"--config {args.config}: a benchmark run config cannot be combined with --data")
        data, estimator = dict(values.get("data") or {}), dict(values.get("estimator") or {})
        unknown = sorted(set(data) - set(DATA_KEYS))
        if unknown:
            raise CLIError(f"--config {args.config}: unknown data key(s) {unknown}; known: {list(DATA_KEYS)}")
    if getattr(args, "dataset", None):
        raise CLIError("give either --dataset NAME (a benchmark) or --data FILE (your own file), not both")
    if args.data:
        data["path"] = str(Path(args.data).resolve())  # the saved config reruns from any folder
    for flag in ("time_col", "id_col", "reader"):
        if getattr(args, flag) is not None:
            data[flag] = getattr(args, flag)
    if args.target is not None:
        data["target"] = _split(args.target)
    for kind in ("future", "past", "static"):
        value = getattr(args, f"{kind}_covariates")
        if value is not None:
            data[f"{kind}_covariates"] = _split(value)
    if not data.get("path"):
        raise CLIError("give --data FILE (a CSV or parquet file)")
    if not data.get("target"):
        raise CLIError("give --target COL (the column to forecast; COL1,COL2 for several series of a wide file)")
    data.setdefault("time_col", "ds")
    data.setdefault("reader", "pandas")
    if data["reader"] not in READERS:
        raise CLIError(f"data.reader must be one of {READERS}; got {data['reader']!r}")
    for flag, name in (("horizon", "horizon"), ("lookback", "lookback"), ("max_epochs", "max_epochs"),
                       ("seed", "random_state"), ("freq", "freq"), ("model", "model"),
                       ("accelerator", "accelerator")):
        if getattr(args, flag, None) is not None:
            estimator[name] = getattr(args, flag)
    devices = getattr(args, "devices", None)
    if devices is not None:
        estimator["devices"] = int(devices) if devices.isdigit() else devices
    if getattr(args, "strategy", None) is not None:
        raise CLIError("--strategy is for benchmark runs (multi-device); a file run trains on one device")
    known = XLSTMForecaster().get_params()
    for item in args.set:
        name, sep, text = item.partition("=")
        name = name.strip()
        if name.startswith("estimator."):
            name = name[len("estimator."):]
        if not sep or name not in known:
            raise CLIError(
                f"--set {item!r}: give name=value with an XLSTMForecaster parameter name "
                f"(one of {', '.join(sorted(known))})"
            )
        estimator[name] = yaml.safe_load(text)
    reserved = {"target_col", "target_cols", "time_col", "id_col", "future_covariates", "past_covariates",
                "static_covariates"} & set(estimator)
    if reserved:
        raise CLIError(f"set {sorted(reserved)} with the data flags (--target, --time-col, --id-col, "
                       f"--future/--past/--static-covariates), not as estimator parameters")
    return data, estimator


def estimator_params(data: dict[str, Any], estimator: dict[str, Any], frame: Any) -> dict[str, Any]:
    """The ``XLSTMForecaster`` parameters of the run on ``frame`` (the file read and parsed)."""
    targets = list(data["target"])
    id_col = data.get("id_col") or ("unique_id" if "unique_id" in frame.columns else None)
    params = dict(estimator)
    params["time_col"] = data["time_col"]
    for kind in ("future", "past", "static"):
        columns = list(data.get(f"{kind}_covariates") or [])
        params[f"{kind}_covariates"] = columns or None
    if id_col is not None:
        if id_col not in frame.columns:
            raise CLIError(f"{data['path']}: no id column {id_col!r} (columns: {_names(frame.columns)}); "
                           f"give --id-col for a long file, or leave it out for a wide one")
        if len(targets) != 1:
            raise CLIError(f"a long file (id column {id_col!r}) has one value column: give --target COL, "
                           f"not {','.join(targets)}")
        params["id_col"] = id_col
        params["target_col"] = targets[0]
    else:
        if params["static_covariates"]:
            raise CLIError("--static-covariates need a long file (an --id-col): a wide file's series share "
                           "every column")
        params["target_cols"] = targets
    return params


# --------------------------------------------------------------------------- fit
def cmd_fit_file(args: argparse.Namespace) -> int:
    """``xlstm-ts fit --data FILE ...``: train, write the run directory, print the summary."""
    data, estimator = file_run_settings(args)
    frame = read_file_input(data, data["path"], "--data")
    params = estimator_params(data, estimator, frame)
    if args.quiet or args.no_progress:
        params["verbose"] = 0
    output_dir = Path(args.output_dir) if args.output_dir else default_file_output_dir(data, params)
    metrics = fit_and_write(data, params, frame, output_dir)
    print(_fit_summary(metrics, output_dir))
    return 0


def fit_and_write(data: dict[str, Any], params: dict[str, Any], frame: Any, output_dir: Path,
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fit ``XLSTMForecaster(**params)`` on ``frame`` and write the run directory; returns its
    metrics (``extra`` is added to them)."""
    import yaml

    from xlstm_ts.forecaster import XLSTMForecaster

    try:
        model = XLSTMForecaster(**params)
    except TypeError as err:
        raise CLIError(f"estimator parameters: {err}") from None
    start = time.perf_counter()
    model.fit(frame)
    seconds = time.perf_counter() - start
    model.save(output_dir)
    config = {"kind": FILE_RUN_KIND, "data": data,
              "estimator": {k: v for k, v in model.get_params().items() if k not in _DATA_PARAMS}}
    (output_dir / CONFIG_FILE).write_text(yaml.safe_dump(_plain(config), sort_keys=False))
    info = model.fit_info_
    metrics = {
        "kind": FILE_RUN_KIND,
        "data": str(data["path"]),
        "data_sha256": _sha256(Path(data["path"])),
        "rows": int(len(frame)),
        "series": len(model.series_ids_),
        "horizon": model.horizon,
        "lookback": model.lookback_,
        "freq": str(model.freq_),
        "fit_seconds": round(seconds, 2),
        "fit_info": info,
        **(extra or {}),
    }
    (output_dir / METRICS_FILE).write_text(json.dumps(_plain(metrics), indent=2, default=str) + "\n")
    return metrics


_DATA_PARAMS = ("time_col", "id_col", "target_col", "target_cols", "future_covariates", "past_covariates",
                "static_covariates")
"""Estimator parameters that the config's ``data`` section holds (not repeated under ``estimator``)."""


def read_file_input(data: dict[str, Any], path: str | Path, flag: str) -> Any:
    """The file ``path`` read with the run's reader, its time column parsed, its targets and
    covariates checked (present, numeric)."""
    source = f"{flag} {path}"
    frame = read_table(path, flag, data.get("reader", "pandas"))
    frame = parse_time_column(frame, data["time_col"], source)
    check_numeric_columns(frame, data["target"], "target", source)
    for kind in ("future", "past", "static"):
        check_numeric_columns(frame, data.get(f"{kind}_covariates") or [], f"{kind} covariate", source)
    return frame


def default_file_output_dir(data: dict[str, Any], params: dict[str, Any], root: str | Path = "runs") -> Path:
    """runs/<file stem>-<horizon>-<timestamp>/ (a suffix is added if it exists)."""
    from xlstm_ts.forecaster import XLSTMForecaster
    from xlstm_ts.pipeline.run_dir import stamped_dir

    horizon = params.get("horizon", XLSTMForecaster().horizon)
    return stamped_dir(Path(root), f"{Path(data['path']).stem}-{horizon}")


def _fit_summary(metrics: dict[str, Any], output_dir: Path) -> str:
    info = metrics["fit_info"]
    lines = [
        f"\nXLSTMForecaster on {Path(metrics['data']).name}: {metrics['series']} series, {metrics['rows']} rows, "
        f"freq {metrics['freq']}, horizon {metrics['horizon']}, lookback {metrics['lookback']}",
        f"  model       {info.get('model')}",
    ]
    selection = info.get("model_selection") or {}
    if selection.get("reason"):
        lines.append(f"  why         {selection['reason']}")
    if info.get("validation"):
        lines.append(f"  validation  {info['validation']}")
    refit = info.get("refit") or {}
    if refit:
        lines.append(f"  refit       {'on every row, ' + str(info.get('refit_epochs')) + ' epoch(s)' if refit.get('done') else refit.get('reason')}")
    lines.append(f"  fit seconds {metrics['fit_seconds']}")
    lines.append(f"  written to {output_dir} (XLSTMForecaster.load reads it; "
                 f"xlstm-ts fit --config {output_dir / CONFIG_FILE} reruns it)")
    return "\n".join(lines)


# --------------------------------------------------------------------------- predict
def cmd_predict_file(args: argparse.Namespace) -> int:
    """``xlstm-ts predict RUN_DIR --input FILE --output FILE [--future FILE]`` for a file run."""
    from xlstm_ts.forecaster import XLSTMForecaster

    model = XLSTMForecaster.load(args.run_dir)
    data = _run_data(args.run_dir)
    frame = read_file_input(data, args.input, "--input")
    future = None
    if args.future:
        future = parse_time_column(read_table(args.future, "--future", data.get("reader", "pandas")),
                                   data["time_col"], f"--future {args.future}")
    forecast = model.predict(frame, future=future)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        if output.suffix.lower() in PARQUET_SUFFIXES:
            forecast.to_parquet(output, index=False)
        else:
            forecast.to_csv(output, index=False)
    except OSError as err:
        raise CLIError(f"--output {output}: cannot write it ({err}); give a writable path") from None
    layout, time_col = model.layout_, data["time_col"]
    n_series = forecast[layout.id_col].nunique() if layout.form == "long" else len(layout.targets)
    print(f"wrote {len(forecast)} rows ({n_series} series x {model.horizon} steps, "
          f"{forecast[time_col].min()} .. {forecast[time_col].max()}) to {output}")
    return 0


# --------------------------------------------------------------------------- evaluate
def cmd_evaluate_file(args: argparse.Namespace) -> int:
    """``xlstm-ts evaluate RUN_DIR --data FILE [--n-windows N]`` for a file run."""
    from xlstm_ts.forecaster import XLSTMForecaster

    if not args.data:
        raise CLIError(f"{args.run_dir} is a run on your own file: give --data FILE with the rows to score "
                       f"(the last --n-windows x horizon steps of each series)")
    model = XLSTMForecaster.load(args.run_dir)
    data = _run_data(args.run_dir)
    frame = read_file_input(data, args.data, "--data")
    scores = model.evaluate(frame, n_windows=args.n_windows)
    print(f"{args.run_dir} on {args.data}: the last {args.n_windows} window(s) of {model.horizon} steps per series")
    for key, value in scores.items():
        print(f"  {key:<10} {value:.6g}" if isinstance(value, float) else f"  {key:<10} {value}")
    seen = _windows_seen_in_fit(model, frame, args.n_windows)
    if seen:
        print(f"warning: the scored windows of {len(seen)} series ({_names(seen[:5])}) lie inside the data the model "
              f"was fitted on (in-sample): score rows after the fit data for an honest number", file=sys.stderr)
    return 0


def _windows_seen_in_fit(model: Any, frame: Any, n_windows: int) -> list[Hashable]:
    """Series whose first scored step is at or before the last time the model was fitted on."""
    import pandas as pd

    layout, last = model.layout_, dict(zip(model.series_ids_, model.state_.last_times, strict=True))
    if layout.form == "long":
        groups = {key: part[layout.time_col] for key, part in frame.groupby(layout.id_col, sort=False)}
    else:
        groups = {name: frame[layout.time_col] for name in model.series_ids_ if name in frame.columns}
    seen = []
    for key, times in groups.items():
        ordered = pd.Series(times).sort_values().reset_index(drop=True)
        first = ordered.iloc[max(0, len(ordered) - n_windows * model.horizon)]
        if key in last and first <= last[key]:
            seen.append(key)
    return seen


# --------------------------------------------------------------------------- helpers
def _run_data(run_dir: str | Path) -> dict[str, Any]:
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise CLIError(f"{run_dir} has no {CONFIG_FILE}: not a run directory written by `xlstm-ts fit --data`")
    values = _read_yaml(path)
    if values.get("kind") != FILE_RUN_KIND:
        raise CLIError(f"{path}: not the config of a file run (kind: {FILE_RUN_KIND})")
    return dict(values["data"])


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        values = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise CLIError(f"{path}: cannot read it as YAML ({err})") from None
    return values if isinstance(values, dict) else {}


def _split(text: str) -> list[str]:
    names = [part.strip() for part in str(text).split(",")]
    if not all(names):
        raise CLIError(f"{text!r}: give comma-separated column names without empty entries")
    return names


def _names(columns: Any) -> str:
    names = [str(c) for c in columns]
    return ", ".join(names[:20]) + (f", ... ({len(names)} in all)" if len(names) > 20 else "")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars and tuples made YAML/JSON-plain."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
