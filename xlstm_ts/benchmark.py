"""The long-term-forecasting benchmark: run the configs in experiments/, resume, write the table.

Each run is `xlstm-ts fit --config <configs>/<Dataset>_<horizon>.yaml --seed S` written to
`<output>/<Dataset>_<horizon>_seed<S>/`; a run whose metrics.json exists is not run again.
`render_results` turns every metrics.json under the output folder into docs/results.md, beside
the published numbers of experiments/published.yaml.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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


def run_cell(
    cell: BenchmarkCell,
    configs_dir: Path,
    output_root: Path,
    data_dir: str | None = None,
    overrides: list[str] | None = None,
) -> dict[str, Any]:
    """Run one cell (or read its finished metrics) and return the metrics."""
    from xlstm_ts.training.fit import fit_run
    from xlstm_ts.training.run_config import RunConfig, apply_overrides

    out = output_root / cell.name
    done = out / "metrics.json"
    if done.is_file():
        return json.loads(done.read_text())
    values = RunConfig.from_yaml(config_path(configs_dir, cell.dataset, cell.horizon)).to_dict()
    values["train"]["seed"] = cell.seed
    if data_dir is not None:
        values["data"]["data_dir"] = data_dir
    config = RunConfig.from_dict(apply_overrides(values, overrides or []))
    result = fit_run(config, out, progress=False, quiet=False)
    assert result is not None  # the benchmark runs single-process
    return result.metrics


REFERENCE_DIR = "naive"
"""Sub-folder of the benchmark output with the repeat-last-value forecast of every row."""


def run_reference_cell(
    dataset: str, horizon: int, configs_dir: Path, output_root: Path, data_dir: str | None = None
) -> dict[str, Any]:
    """The naive (repeat the last value) forecast on the row's exact data and test windows.

    No training, so one run per row (seeds do not apply); written to
    `<output>/naive/<Dataset>_<horizon>/` and read back if it exists.
    """
    from xlstm_ts.training.fit import fit_run
    from xlstm_ts.training.run_config import RunConfig

    out = output_root / REFERENCE_DIR / f"{dataset}_{horizon}"
    done = out / "metrics.json"
    if done.is_file():
        return json.loads(done.read_text())
    values = RunConfig.from_yaml(config_path(configs_dir, dataset, horizon)).to_dict()
    values.update(model="naive", network={})
    if data_dir is not None:
        values["data"]["data_dir"] = data_dir
    result = fit_run(RunConfig.from_dict(values), out, progress=False, quiet=True)
    assert result is not None
    return result.metrics


def collect_reference(output_root: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """The naive forecast's metrics per (dataset, horizon), from `<output>/naive/`."""
    found = {}
    for path in sorted((output_root / REFERENCE_DIR).glob("*/metrics.json")):
        metrics = json.loads(path.read_text())
        found[(metrics["dataset"], int(metrics["horizon"]))] = metrics
    return found


def collect_results(output_root: Path) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Every finished run under `output_root`, grouped by (dataset, horizon)."""
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for path in sorted(output_root.glob("*/metrics.json")):
        metrics = json.loads(path.read_text())
        grouped.setdefault((metrics["dataset"], int(metrics["horizon"])), []).append(metrics)
    return grouped


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
        "Generated by `xlstm-ts benchmark` from the runs it finds; do not edit by hand.",
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
    wins = cells = 0
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
        lookback = runs[0].get("lookback", "?")
        row = [dataset, str(horizon), f"{cell((mse, mae), (mse_sd, mae_sd))} ({lookback})", seeds, naive_cell]
        row += [cell(entries[n]) if n in entries else "–" for n in names]
        published_best = min((v[0] for n, v in entries.items() if n != "ours"), default=None)
        if published_best is None:
            row.append("–")
        else:
            cells += 1
            change = 100.0 * (mse - published_best) / published_best
            wins += mse <= published_best
            row.append(f"{change:+.1f}% ({'win' if mse <= published_best else 'loss'})")
        if len(runs) > 1:
            row.append(f"`xlstm-ts benchmark --datasets {dataset} --horizons {horizon} --seeds {seeds}`")
        else:
            row.append(f"`xlstm-ts fit --config {configs_dir}/{dataset}_{horizon}.yaml --seed {runs[0]['seed']}`")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    if cells:
        lines += [f"Ours matches or beats the best published MSE in {wins} of {cells} rows.", ""]
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
