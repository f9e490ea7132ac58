"""The long-term-forecasting benchmark: run the configs in experiments/, resume, write the table.

Each run is `xlstm-ts fit --config <configs>/<Dataset>_<horizon>.yaml --seed S` written to
`<output>/<Dataset>_<horizon>_seed<S>/` (weights, not committed) and recorded in
`experiments/results/<Dataset>_<horizon>_seed<S>.json` (metrics + config, committed); a run whose
record matches its current config is not run again (see :mod:`xlstm_ts.benchmark_records`).
`render_results` turns the current records into docs/results.md, beside the published numbers of
experiments/published.yaml.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from xlstm_ts.benchmark_records import (
    REFERENCE_SUBDIR,
    config_values,
    is_current,
    load_records,
    make_record,
    read_record,
    record_path,
    write_record,
)
from xlstm_ts.data.registry import get_spec


TABLE_DATASETS: tuple[str, ...] = ("ETTh1", "ETTh2", "ETTm1", "ETTm2", "Weather", "Exchange", "ILI")
"""The datasets of the long-term-forecasting table (Electricity and Traffic: only when run)."""
TABLE_HORIZONS: tuple[int, ...] = (96, 192, 336, 720)
"""The table's horizons (ILI has its own, 24/36/48/60)."""


@dataclass(frozen=True)
class BenchmarkCell:
    """One dataset x horizon x seed run."""

    dataset: str
    horizon: int
    seed: int

    @property
    def name(self) -> str:
        return f"{self.dataset}_{self.horizon}_seed{self.seed}"


def plan_cells(datasets: Iterable[str], horizons: Iterable[int], seeds: Iterable[int]) -> list[BenchmarkCell]:
    """Every run to do. Datasets with their own horizons (ILI: 24/36/48/60) ignore `horizons`."""
    cells = []
    horizons = list(horizons)
    for name in datasets:
        spec = get_spec(name)
        own = list(spec.horizons)
        # a dataset with its own horizons (ILI) sharing none of the requested ones uses its own
        for horizon in horizons if set(horizons) & set(own) else own:
            for seed in seeds:
                cells.append(BenchmarkCell(spec.name, horizon, seed))
    return cells


def table_plan() -> set[tuple[str, int]]:
    """Every (dataset, horizon) row the table has, run or not."""
    return {(cell.dataset, cell.horizon) for cell in plan_cells(TABLE_DATASETS, TABLE_HORIZONS, [0])}


def config_path(configs_dir: Path, dataset: str, horizon: int) -> Path:
    """experiments/configs/<Dataset>_<horizon>.yaml (raises with the expected path if missing)."""
    path = configs_dir / f"{dataset}_{horizon}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no benchmark config {path}; write one (see experiments/make_configs.py)")
    return path


@dataclass(frozen=True)
class CellStatus:
    """Where one benchmark run stands against its record."""

    state: Literal["done", "stale", "to run"]
    """"done": a record made with the current config; "stale": a record from another config
    (it is run again and replaced); "to run": no record."""
    record: dict[str, Any] | None


def _cell_values(
    configs_dir: Path, dataset: str, horizon: int, seed: int | None, overrides: list[str] | None, model: str | None = None
) -> dict[str, Any]:
    """The config values a cell runs with: the YAML, the overrides, then the seed (and model)."""
    values = config_values(config_path(configs_dir, dataset, horizon), overrides)
    if model is not None:
        values.update(model=model, network={})
    if seed is not None:
        values.setdefault("train", {})
        values["train"] = {**(values["train"] or {}), "seed": seed}
    return values


def _reference_values(configs_dir: Path, dataset: str, horizon: int) -> dict[str, Any]:
    """The config values of a row's naive forecast: the row's data settings only."""
    values = _cell_values(configs_dir, dataset, horizon, None, None, model="naive")
    values.pop("train", None)  # nothing is trained: training settings do not change the forecast
    return values


def cell_status(
    cell: BenchmarkCell, configs_dir: Path, records_dir: Path, overrides: list[str] | None = None
) -> CellStatus:
    """Whether `cell` has a record made with its current config."""
    record = read_record(record_path(records_dir, cell.name))
    values = _cell_values(configs_dir, cell.dataset, cell.horizon, cell.seed, overrides)
    if record is None:
        return CellStatus("to run", None)
    return CellStatus("done" if is_current(record, values) else "stale", record)


def _fit_and_record(
    values: dict[str, Any], out: Path, record_file: Path, data_dir: str | None, quiet: bool
) -> dict[str, Any]:
    """Train (or evaluate) the config `values` into run directory `out` and write its record."""
    from xlstm_ts.training.fit import fit_run
    from xlstm_ts.training.run_config import RunConfig

    run_values = json.loads(json.dumps(values))
    if data_dir is not None:
        run_values.setdefault("data", {})["data_dir"] = data_dir
    result = fit_run(RunConfig.from_dict(run_values), out, progress=False, quiet=quiet)
    assert result is not None  # the benchmark runs single-process
    record = make_record(result.metrics, values)
    write_record(record_file, record)
    return record


def run_cell(
    cell: BenchmarkCell,
    configs_dir: Path,
    output_root: Path,
    records_dir: Path,
    data_dir: str | None = None,
    overrides: list[str] | None = None,
    redo_recovered: bool = False,
) -> dict[str, Any]:
    """Run one cell, unless its record is current, and return the record.

    The run directory (weights) goes to `<output_root>/<cell>/`, the record to
    `<records_dir>/<cell>.json`. A stale record (another config) is replaced; so is a recovered
    one (metrics without a run behind them) when `redo_recovered`.
    """
    status = cell_status(cell, configs_dir, records_dir, overrides)
    recovered = status.record is not None and status.record.get("provenance") == "recovered"
    if status.state == "done" and not (redo_recovered and recovered):
        assert status.record is not None
        return status.record
    values = _cell_values(configs_dir, cell.dataset, cell.horizon, cell.seed, overrides)
    return _fit_and_record(values, output_root / cell.name, record_path(records_dir, cell.name), data_dir, quiet=False)


def run_reference_cell(
    dataset: str,
    horizon: int,
    configs_dir: Path,
    output_root: Path,
    records_dir: Path,
    data_dir: str | None = None,
) -> dict[str, Any]:
    """The naive (repeat the last value) forecast on the row's exact data and test windows.

    No training, so one run per row (seeds do not apply); its record is
    `<records_dir>/naive/<Dataset>_<horizon>.json`, reused while the row's data settings are unchanged.
    """
    name = f"{dataset}_{horizon}"
    values = _reference_values(configs_dir, dataset, horizon)
    path = record_path(records_dir, name, reference=True)
    record = read_record(path)
    if is_current(record, values):
        assert record is not None
        return record
    return _fit_and_record(values, output_root / REFERENCE_SUBDIR / name, path, data_dir, quiet=True)


def collect_reference(records_dir: Path, configs_dir: Path | None = None) -> dict[tuple[str, int], dict[str, Any]]:
    """The naive forecast's record per (dataset, horizon), from `<records>/naive/`.

    With `configs_dir`, only records made with the data settings that folder holds now.
    """
    found = {}
    for record in load_records(records_dir / REFERENCE_SUBDIR):
        dataset, horizon = record["dataset"], int(record["horizon"])
        if configs_dir is not None:
            try:
                values = _reference_values(configs_dir, dataset, horizon)
            except FileNotFoundError:
                continue
            if not is_current(record, values):
                continue
        found[(dataset, horizon)] = record
    return found


def collect_results(
    records_dir: Path, configs_dir: Path | None = None, overrides: list[str] | None = None
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Every record in `records_dir`, grouped by (dataset, horizon).

    With `configs_dir`, only records made with the config that folder holds now (see
    :func:`xlstm_ts.benchmark_records.is_current`); the others are left out.
    """
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for record in load_records(records_dir):
        dataset, horizon = record["dataset"], int(record["horizon"])
        if configs_dir is not None:
            try:
                values = _cell_values(configs_dir, dataset, horizon, record["seed"], overrides)
            except FileNotFoundError:
                continue
            if not is_current(record, values):
                continue
        grouped.setdefault((dataset, horizon), []).append(record)
    return grouped


def _percent(change: float) -> str:
    """+3.1%; two decimals below 0.1% so that a narrow loss never reads "+0.0% (loss)"."""
    return f"{change:+.2f}%" if abs(change) < 0.1 else f"{change:+.1f}%"


def _mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def render_results(
    grouped: dict[tuple[str, int], list[dict[str, Any]]],
    published: dict[str, Any] | None,
    configs_dir: str = "experiments/configs",
    planned: Iterable[tuple[str, int]] = (),
    reference: dict[tuple[str, int], dict[str, Any]] | None = None,
) -> str:
    """docs/results.md: ours (mean over seeds) beside the published numbers, best per cell in bold.

    `planned` (dataset, horizon) rows without a finished run are listed as "not run yet";
    `reference` (from :func:`collect_reference`) adds the naive forecast's column, computed by this
    pipeline on the same windows: the floor any model should clear.
    """
    reference = reference or {}
    models = (published or {}).get("models", {})
    names = [name for name, model in models.items() if model.get("results")]  # models with numbers
    lines = [
        "# Long-term forecasting results",
        "",
        "Generated by `xlstm-ts benchmark` from the records in `experiments/results/` (one JSON per run:",
        "metrics and the exact config); only records made with the configs the repository holds now are",
        "shown. Do not edit by hand.",
        "",
        "Protocol: the standard splits (ETT 12/4/4 months by row; others 70/10/20 %), a StandardScaler",
        "fitted on the training rows only, stride-1 windows, **every** test window evaluated, the",
        "checkpoint with the best **validation** loss used for test. MSE / MAE on the scaled data.",
        "Ours: mean over the seeds listed (± standard deviation when more than one). The plan is three",
        "seeds (2021, 1, 2) for ETTh1/ETTh2 and one elsewhere; a row with fewer seeds than planned is",
        "one where the time did not allow more yet.",
        "The best MSE and the best MAE of each row are in bold.",
        "naive: the last observed value repeated over the horizon, evaluated by this pipeline on the",
        "same test windows (no training): the floor a model should clear. Not counted for \"best\".",
        "",
    ]
    header = "| dataset | horizon | ours (lookback) | seeds | naive | " + " | ".join(
        f"{n} (L={models[n].get('lookback', '?')})" for n in names
    ) + " | ours vs best published (MSE) | reproduce |"
    lines += [header, "|" + "---|" * (7 + len(names))]
    wins = cells = recovered_rows = 0
    order = {name: index for index, name in enumerate(TABLE_DATASETS)}
    rows = sorted(set(grouped) | set(planned), key=lambda key: (order.get(key[0], len(order)), key[0], key[1]))
    for dataset, horizon in rows:
        runs = grouped.get((dataset, horizon), [])
        naive = reference.get((dataset, horizon))
        naive_cell = f"{naive['test_mse']:.3f} / {naive['test_mae']:.3f}" if naive else "–"
        if not runs:
            row = [dataset, str(horizon), "not run yet", "–", naive_cell]
            for name in names:
                value = models[name].get("results", {}).get(dataset, {}).get(horizon)
                row.append(f"{float(value[0]):.3f} / {float(value[1]):.3f}" if value is not None else "–")
            row += ["–", f"`xlstm-ts fit --config {configs_dir}/{dataset}_{horizon}.yaml --seed 2021`"]
            lines.append("| " + " | ".join(row) + " |")
            continue
        mse, mse_sd = _mean_std([r["test_mse"] for r in runs])
        mae, mae_sd = _mean_std([r["test_mae"] for r in runs])
        entries: dict[str, tuple[float, float]] = {"ours": (mse, mae)}
        for name in names:
            value = models[name].get("results", {}).get(dataset, {}).get(horizon)
            if value is not None:
                entries[name] = (float(value[0]), float(value[1]))
        best_mse = min(v[0] for v in entries.values())
        best_mae = min(v[1] for v in entries.values())

        def cell(values: tuple[float, float], sd: tuple[float, float] | None = None) -> str:
            a = f"{values[0]:.3f}" + (f"±{sd[0]:.3f}" if sd and len(runs) > 1 else "")
            b = f"{values[1]:.3f}" + (f"±{sd[1]:.3f}" if sd and len(runs) > 1 else "")
            a = f"**{a}**" if math.isclose(values[0], best_mse, abs_tol=5e-4) else a
            b = f"**{b}**" if math.isclose(values[1], best_mae, abs_tol=5e-4) else b
            return f"{a} / {b}"

        seeds = ",".join(str(r["seed"]) for r in sorted(runs, key=lambda r: r["seed"]))
        recovered = any(r.get("provenance") == "recovered" for r in runs)
        recovered_rows += recovered
        lookback = runs[0].get("lookback", "?")
        row = [dataset, str(horizon), f"{cell((mse, mae), (mse_sd, mae_sd))} ({lookback})",
               seeds + (" †" if recovered else ""), naive_cell]
        row += [cell(entries[n]) if n in entries else "–" for n in names]
        published_best = min((v[0] for n, v in entries.items() if n != "ours"), default=None)
        if published_best is None:
            row.append("–")
        else:
            cells += 1
            change = 100.0 * (mse - published_best) / published_best
            wins += mse <= published_best
            row.append(f"{_percent(change)} ({'win' if mse <= published_best else 'loss'})")
        if len(runs) > 1:
            row.append(f"`xlstm-ts benchmark --datasets {dataset} --horizons {horizon} --seeds {seeds}`")
        else:
            row.append(f"`xlstm-ts fit --config {configs_dir}/{dataset}_{horizon}.yaml --seed {runs[0]['seed']}`")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    if cells:
        lines += [f"Ours matches or beats the best published MSE in {wins} of {cells} rows.", ""]
    if recovered_rows:
        lines += [
            "† The run files of these rows were lost before records were kept: their record was recovered",
            "from an earlier generated table (three decimals, no validation loss; see the record's `note`).",
            "The config is the one in the repository; run the row's command to replace it with a full record.",
            "",
        ]
    lines += render_protocol_check(grouped, published)
    if models:
        lines += ["Sources of the published numbers:", ""]
        for name in names:
            lines.append(f"- {name}: {models[name].get('source', 'unknown')}")
        missing = [name for name in models if name not in names]
        if missing:
            lines.append(f"- Not shown, no verified numbers: {', '.join(missing)} (see experiments/published.yaml)")
        if published and published.get("notes"):
            lines += ["", f"Notes: {published['notes']}"]
    return "\n".join(lines) + "\n"


def published_test_batch_size(model: dict[str, Any], dataset: str, horizon: int) -> int | None:
    """The published model's test batch size on `dataset` (a number, or one per horizon)."""
    size = (model.get("test_batch_size") or {}).get(dataset)
    if isinstance(size, dict):
        size = size.get(horizon)
    return int(size) if size is not None else None


def render_protocol_check(
    grouped: dict[tuple[str, int], list[dict[str, Any]]], published: dict[str, Any] | None
) -> list[str]:
    """A second table: each published number beside ours on the test windows that model scored.

    The published scripts' test loaders drop their last partial batch (see experiments/published.yaml,
    notes), so their numbers leave out the latest windows. Here ours is re-scored on exactly the
    windows each model's loader kept (mean over the same seeds), from the records' `test_drop_last`.
    """
    models = {n: m for n, m in ((published or {}).get("models") or {}).items() if m.get("results")}
    rows, wins, cells = [], 0, 0
    order = {name: index for index, name in enumerate(TABLE_DATASETS)}
    for (dataset, horizon), runs in sorted(grouped.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0])):
        if not all(r.get("test_drop_last") for r in runs):
            continue
        pairs: dict[str, tuple[float, float, int]] = {}  # model -> (published MSE, ours on its windows, batch)
        for name, model in models.items():
            value = model["results"].get(dataset, {}).get(horizon)
            batch = published_test_batch_size(model, dataset, horizon)
            if value is None or batch is None or not all(str(batch) in r["test_drop_last"] for r in runs):
                continue
            ours = statistics.fmean(r["test_drop_last"][str(batch)][0] for r in runs)
            pairs[name] = (float(value[0]), ours, batch)
        if not pairs:
            continue
        best = min(pairs, key=lambda n: pairs[n][0])
        cells += 1
        won = all(ours <= theirs for theirs, ours, _ in pairs.values())
        wins += won
        row = [dataset, str(horizon), f"{statistics.fmean(r['test_mse'] for r in runs):.3f}"]
        for name in models:
            if name in pairs:
                theirs, ours, batch = pairs[name]
                mark = (lambda x, y: f"**{x:.3f}**" if x <= y else f"{x:.3f}")
                row.append(f"{mark(theirs, ours)} / {mark(ours, theirs)} ({batch})")
            else:
                row.append("–")
        change = 100.0 * (pairs[best][1] - pairs[best][0]) / pairs[best][0]
        row.append(f"{_percent(change)} vs {best} ({'win' if won else 'loss'})")
        rows.append("| " + " | ".join(row) + " |")
    if not rows:
        return []
    return [
        "## The same runs on the published protocol's test windows",
        "",
        "The published numbers were most likely scored by a test loader that drops its last partial",
        "batch, i.e. without the latest N % batch_size windows (evidence in experiments/published.yaml,",
        "notes). Each cell: published MSE / ours on exactly the windows that model's loader kept (its",
        "test batch size in brackets), the lower in bold. \"win\": ours is at or below every published",
        "number on that number's own windows. The table above, on every window, is the one we stand by.",
        "Rows whose records lack these scores (recovered records, marked † above) are not listed.",
        "",
        "| dataset | horizon | ours, every window | " + " | ".join(f"{n}: theirs / ours" for n in models)
        + " | ours vs best published, same windows |",
        "|" + "---|" * (4 + len(models)),
        *rows,
        "",
        f"On the published protocol's windows, ours matches or beats every published MSE in {wins} of {cells} rows.",
        "",
    ]


def load_published(path: Path) -> dict[str, Any] | None:
    """experiments/published.yaml, or None if absent. Horizons are normalized to ints."""
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text()) or {}
    for model in data.get("models", {}).values():
        results = model.get("results", {})
        for dataset, by_horizon in results.items():
            results[dataset] = {int(h): v for h, v in (by_horizon or {}).items()}
    return data
