"""The benchmark's results table: collect the current records, render docs/results.md.

`render_results` turns the records whose config matches the one the repository holds now into
docs/results.md, beside the reference forecasts (naive, Theta) run by this pipeline and the published
numbers of experiments/published.yaml (the best honest ones first, then PatchTST/DLinear's);
`write_results_table` does it all and writes the file.
"""

from __future__ import annotations

import math
import statistics
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from xlstm_ts.benchmark.records import (
    REFERENCE_MODELS,
    REFERENCE_SUBDIR,
    is_current,
    load_records,
    reference_dir,
    write_text_atomic,
)
from xlstm_ts.benchmark.runner import TABLE_DATASETS, BenchmarkCell, _cell_values, _reference_values, table_plan


REFERENCE_LABELS: dict[str, str] = {"naive": "naive", "theta": "Theta", "ets": "ETS"}
"""Column header of each reference forecast of REFERENCE_MODELS."""


def _is_run_record(record: dict[str, Any]) -> bool:
    """Whether a JSON of the records folder is a benchmark run's record (the folder also holds
    other experiments' result files, such as forecaster_panel.json, which the table ignores)."""
    return "dataset" in record and "horizon" in record and "test_mse" in record


def collect_reference(
    records_dir: Path, configs_dir: Path | None = None, model: str = REFERENCE_SUBDIR
) -> dict[tuple[str, int], dict[str, Any]]:
    """The reference forecast `model`'s record per (dataset, horizon), from `<records>/<model>/`
    (the naive forecast's `<records>/naive/` by default).

    With `configs_dir`, only records made with the data settings that folder holds now. A record
    that names another model than its folder's is left out.
    """
    found = {}
    for record in load_records(reference_dir(records_dir, model)):
        if not _is_run_record(record) or record.get("model", model) != model:
            continue
        dataset, horizon = record["dataset"], int(record["horizon"])
        if configs_dir is not None:
            try:
                values = _reference_values(configs_dir, dataset, horizon, model)
            except FileNotFoundError:
                continue
            if not is_current(record, values):
                continue
        found[(dataset, horizon)] = record
    return found


def collect_references(
    records_dir: Path, configs_dir: Path | None = None, models: Iterable[str] = REFERENCE_MODELS
) -> dict[str, dict[tuple[str, int], dict[str, Any]]]:
    """:func:`collect_reference` of each reference model: model -> (dataset, horizon) -> record."""
    return {model: collect_reference(records_dir, configs_dir, model) for model in models}


def collect_results(
    records_dir: Path, configs_dir: Path | None = None, overrides: list[str] | None = None
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Every run record directly in `records_dir`, grouped by (dataset, horizon).

    With `configs_dir`, only records made with the config that folder holds now (see
    :func:`xlstm_ts.benchmark.records.is_current`); the others are left out.
    """
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for record in load_records(records_dir):
        if not _is_run_record(record):
            continue
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


def _verdict(ours: float, theirs: float) -> str:
    """"-1.2% (win)": ours relative to `theirs`; a win when ours is at or below it."""
    return f"{_percent(100.0 * (ours - theirs) / theirs)} ({'win' if ours <= theirs else 'loss'})"


def honest_mse(published: dict[str, Any] | None, dataset: str, horizon: int) -> float | None:
    """The best honest published MSE of the row (experiments/published.yaml `honest:`), or None."""
    value = (((published or {}).get("honest") or {}).get("results") or {}).get(dataset, {}).get(horizon)
    return float(value) if value is not None else None


def _published_names(published: dict[str, Any] | None) -> list[str]:
    """The published models that have numbers (`models:` of experiments/published.yaml)."""
    return [name for name, model in ((published or {}).get("models") or {}).items() if model.get("results")]


def _published_label(names: list[str]) -> str:
    """"PatchTST/DLinear" for PatchTST/64, PatchTST/42, DLinear: the model families, in order."""
    return "/".join(dict.fromkeys(name.split("/")[0] for name in names)) or "published"


def _reference_cells(
    references: dict[str, dict[tuple[str, int], dict[str, Any]]], dataset: str, horizon: int
) -> list[str]:
    """"MSE / MAE" of each reference forecast on the row, "–" where it has no record."""
    cells = []
    for model in references:
        record = references[model].get((dataset, horizon))
        cells.append(f"{record['test_mse']:.3f} / {record['test_mae']:.3f}" if record else "–")
    return cells


def _intro_lines(names: list[str], references: Iterable[str]) -> list[str]:
    """The text above the main table."""
    family = _published_label(names)
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
        "",
        "Main comparison: **best honest (MSE)** is the lowest MSE published under this same protocol",
        "(every test window scored, checkpoint chosen on validation, one fixed lookback L ≤ 720), per",
        "dataset and horizon, from the models listed under the table; those sources give MSE only.",
        "\"ours vs best honest (MSE)\": ours relative to it, a win when ours is at or below it.",
    ]
    if names:
        lines += [
            f"Secondary comparison: the {family} columns (marked drop_last) are the published numbers of",
            "those papers, scored by a test loader that drops its last partial batch, i.e. on fewer, earlier",
            "test windows than ours (see the second table, which re-scores ours on exactly those windows).",
        ]
    lines += [
        "In bold: the lowest MSE of each row among ours, best honest" + (f" and the {family} columns" if names else ""),
        "and the lowest MAE among ours" + (f" and the {family} columns" if names else "")
        + " (best honest has no MAE).",
    ]
    if "naive" in references:
        lines += [
            "naive: the last observed value repeated over the horizon, evaluated by this pipeline on the",
            "same test windows (no training): the floor a model should clear. Not counted for \"best\".",
        ]
    if "theta" in references:
        lines += [
            "Theta: the standard Theta method (Assimakopoulos & Nikolopoulos, in Hyndman & Billah's form:",
            "simple exponential smoothing with half the linear trend as drift, on the seasonally adjusted",
            "series, season from the dataset), fitted per channel on each lookback window, no training,",
            "evaluated by this pipeline on the same test windows. Not counted for \"best\".",
        ]
    if "ets" in references:
        lines += [
            "ETS: damped-trend exponential smoothing, ETS(A,Ad,N), on the seasonally adjusted series (the",
            "M4 \"Damped\" benchmark; Theta's seasonal adjustment, parameters by least one-step squared error",
            "over a grid; `xlstm_ts.models.ets`), fitted per channel on each lookback window like Theta.",
            "Not counted for \"best\".",
        ]
    lines += ["A reference column shows \"–\" where its forecast has no record yet.", ""]
    return lines


def render_results(
    grouped: dict[tuple[str, int], list[dict[str, Any]]],
    published: dict[str, Any] | None,
    configs_dir: str = "experiments/configs",
    planned: Iterable[tuple[str, int]] = (),
    references: dict[str, dict[tuple[str, int], dict[str, Any]]] | None = None,
) -> str:
    """docs/results.md: ours (mean over seeds) beside the best honest and the published numbers.

    `planned` (dataset, horizon) rows without a finished run are listed as "not run yet";
    `references` (from :func:`collect_references`: model -> row -> record) gives the reference
    columns (naive, Theta), computed by this pipeline on the same windows; a model missing from it
    gets an empty column.
    """
    references = {model: (references or {}).get(model, {}) for model in REFERENCE_MODELS} | (references or {})
    models = (published or {}).get("models") or {}
    names = _published_names(published)
    lines = _intro_lines(names, references)
    header = (
        "| dataset | horizon | ours (lookback) | seeds | "
        + "".join(f"{REFERENCE_LABELS.get(model, model)} | " for model in references)
        + "best honest (MSE) | ours vs best honest (MSE) | "
        + "".join(f"{n} (L={models[n].get('lookback', '?')}, drop_last) | " for n in names)
        + "reproduce |"
    )
    lines += [header, "|" + "---|" * (7 + len(references) + len(names))]
    honest_wins = honest_rows = published_wins = published_rows = recovered_rows = 0
    ensemble_notes: list[str] = []
    order = {name: index for index, name in enumerate(TABLE_DATASETS)}
    rows = sorted(set(grouped) | set(planned), key=lambda key: (order.get(key[0], len(order)), key[0], key[1]))
    for dataset, horizon in rows:
        runs = grouped.get((dataset, horizon), [])
        honest = honest_mse(published, dataset, horizon)
        theirs = {}
        for name in names:
            value = models[name]["results"].get(dataset, {}).get(horizon)
            if value is not None:
                theirs[name] = (float(value[0]), float(value[1]))
        references_row = _reference_cells(references, dataset, horizon)
        if not runs:
            row = [dataset, str(horizon), "not run yet", "–", *references_row,
                   f"{honest:.3f}" if honest is not None else "–", "–"]
            row += [f"{theirs[n][0]:.3f} / {theirs[n][1]:.3f}" if n in theirs else "–" for n in names]
            row.append(f"`xlstm-ts fit --config {configs_dir}/{dataset}_{horizon}.yaml --seed 2021`")
            lines.append("| " + " | ".join(row) + " |")
            continue
        mse, mse_sd = _mean_std([r["test_mse"] for r in runs])
        mae, mae_sd = _mean_std([r["test_mae"] for r in runs])
        best_mse = min([mse, *(v[0] for v in theirs.values())] + ([honest] if honest is not None else []))
        best_mae = min([mae, *(v[1] for v in theirs.values())])

        def bold(text: str, value: float, best: float) -> str:
            return f"**{text}**" if math.isclose(value, best, abs_tol=5e-4) else text

        def pair(values: tuple[float, float], sd: tuple[float, float] | None = None) -> str:
            a = f"{values[0]:.3f}" + (f"±{sd[0]:.3f}" if sd and len(runs) > 1 else "")
            b = f"{values[1]:.3f}" + (f"±{sd[1]:.3f}" if sd and len(runs) > 1 else "")
            return f"{bold(a, values[0], best_mse)} / {bold(b, values[1], best_mae)}"

        seeds = ",".join(str(r["seed"]) for r in sorted(runs, key=lambda r: r["seed"]))
        recovered = any(r.get("provenance") == "recovered" for r in runs)
        recovered_rows += recovered
        lookback = runs[0].get("lookback", "?")
        members = ensemble_size(runs)
        if members > 1:
            single = single_seed_mean(runs)
            ensemble_notes.append(
                f"- {dataset}-{horizon}: each run is a seed ensemble of {members} networks (seeds s .. s + "
                f"{members - 1}, forecasts averaged); the mean of its single networks: test MSE {single[0]:.3f}, "
                f"MAE {single[1]:.3f}."
            )
        size = f", ens. {members}" if members > 1 else ""
        row = [dataset, str(horizon), f"{pair((mse, mae), (mse_sd, mae_sd))} ({lookback}{size})",
               seeds + (" †" if recovered else ""), *references_row]
        if honest is None:
            row += ["–", "–"]
        else:
            honest_rows += 1
            honest_wins += mse <= honest
            row += [bold(f"{honest:.3f}", honest, best_mse), _verdict(mse, honest)]
        row += [pair(theirs[n]) if n in theirs else "–" for n in names]
        if theirs:
            published_rows += 1
            published_wins += mse <= min(v[0] for v in theirs.values())
        if len(runs) > 1:
            row.append(f"`xlstm-ts benchmark --datasets {dataset} --horizons {horizon} --seeds {seeds}`")
        else:
            row.append(f"`xlstm-ts fit --config {configs_dir}/{dataset}_{horizon}.yaml --seed {runs[0]['seed']}`")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    if honest_rows:
        lines.append(f"Ours matches or beats the best honest MSE in {honest_wins} of {honest_rows} rows.")
    if published_rows:
        lines.append(
            f"Secondary, vs {_published_label(names)} published (drop_last-scored): ours matches or beats "
            f"the best of them in {published_wins} of {published_rows} rows."
        )
    if honest_rows or published_rows:
        lines.append("")
    if ensemble_notes:
        lines += ["Seed ensembles (\"ens. K\" in the ours column):", "", *ensemble_notes, ""]
    if recovered_rows:
        lines += [
            "† The run files of these rows were lost before records were kept: their record was recovered",
            "from an earlier generated table (three decimals, no validation loss; see the record's `note`).",
            "The config is the one in the repository; run the row's command to replace it with a full record.",
            "",
        ]
    lines += render_honest_sources(published)
    lines += render_protocol_check(grouped, published)
    if models:
        lines += ["Sources of the published (drop_last-scored) numbers:", ""]
        for name in names:
            lines.append(f"- {name}: {models[name].get('source', 'unknown')}")
        missing = [name for name in models if name not in names]
        if missing:
            lines.append(f"- Not shown, no verified numbers: {', '.join(missing)} (see experiments/published.yaml)")
        if published and published.get("notes"):
            lines += ["", f"Notes: {published['notes']}"]
    return "\n".join(lines) + "\n"


def ensemble_size(runs: list[dict[str, Any]]) -> int:
    """K when the row's runs are seed ensembles of K networks (``ensemble`` in their records), else 1."""
    return max(int(r.get("ensemble") or 1) for r in runs)


def single_seed_mean(runs: list[dict[str, Any]]) -> tuple[float, float]:
    """(test MSE, test MAE) averaged over every single network of the row's ensembles (their
    records' ``members``; MAE from the ensemble where the members lack it)."""
    mse = [m["test_mse"] for r in runs for m in (r.get("members") or [])]
    mae = [m["test_mae"] for r in runs for m in (r.get("members") or []) if "test_mae" in m]
    return (statistics.fmean(mse) if mse else math.nan,
            statistics.fmean(mae) if mae else statistics.fmean(r["test_mae"] for r in runs))


def render_honest_sources(published: dict[str, Any] | None) -> list[str]:
    """The lines under the main table naming where each dataset's best honest numbers come from."""
    honest = (published or {}).get("honest") or {}
    if not honest.get("results"):
        return []
    lines = ["Sources of the best honest numbers (MSE only; the models that hold a row's cells):", ""]
    sources = honest.get("sources") or {}
    order = {name: index for index, name in enumerate(TABLE_DATASETS)}
    for dataset in sorted(honest["results"], key=lambda d: (order.get(d, len(order)), d)):
        lines.append(f"- {dataset}: {sources.get(dataset, 'unknown')}")
    if honest.get("read_from"):
        lines += ["", "Read in:", ""] + [f"- {where}" for where in honest["read_from"]]
    if honest.get("criteria"):
        lines += ["", *textwrap.wrap(f"Criteria: {honest['criteria']}", width=100, break_on_hyphens=False)]
    return lines + [""]


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
    for model in [*(data.get("models") or {}).values(), data.get("honest") or {}]:
        results = model.get("results") or {}
        for dataset, by_horizon in results.items():
            results[dataset] = {int(h): v for h, v in (by_horizon or {}).items()}
    return data


def write_results_table(
    results_md: str | Path,
    records_dir: Path,
    configs_dir: str | Path,
    overrides: list[str] | None,
    published: dict[str, Any] | None,
    cells: Iterable[BenchmarkCell],
) -> None:
    """docs/results.md from every current record, with a row for each planned cell not run yet."""
    planned = table_plan() | {(cell.dataset, cell.horizon) for cell in cells}
    grouped = collect_results(records_dir, Path(configs_dir), overrides)
    references = collect_references(records_dir, Path(configs_dir))
    text = render_results(grouped, published, str(configs_dir), planned=planned, references=references)
    Path(results_md).parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(Path(results_md), text)
