"""The benchmark's runs: the plan of dataset x horizon x seed cells, their status, running them.

Each run is `xlstm-ts fit --config <configs>/<Dataset>_<horizon>.yaml --seed S` written to
`<output>/<Dataset>_<horizon>_seed<S>/` (weights, not committed) and recorded in
`experiments/results/<Dataset>_<horizon>_seed<S>.json` (metrics + config, committed); a run whose
record matches its current config is not run again (see :mod:`xlstm_ts.benchmark.records`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from xlstm_ts.benchmark.records import (
    REFERENCE_MODELS,
    REFERENCE_SUBDIR,
    config_values,
    is_current,
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


def _reference_values(configs_dir: Path, dataset: str, horizon: int, model: str = REFERENCE_SUBDIR) -> dict[str, Any]:
    """The config values of a row's reference forecast `model`: the row's data settings only
    (the network's own settings, such as Theta's season, follow from the dataset)."""
    values = _cell_values(configs_dir, dataset, horizon, None, None, model=model)
    values.pop("train", None)  # nothing is trained: training settings do not change the forecast
    values.pop("ensemble", None)  # nor does the row's seed ensemble
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
    from xlstm_ts.pipeline.fit import fit_run
    from xlstm_ts.pipeline.run_config import RunConfig

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
    model: str = REFERENCE_SUBDIR,
) -> dict[str, Any]:
    """An untrained reference forecast (`model`: one of REFERENCE_MODELS, "naive" by default) on
    the row's exact data and test windows.

    No training, so one run per row (seeds do not apply); its record is
    `<records_dir>/<model>/<Dataset>_<horizon>.json`, reused while the row's data settings are unchanged.
    """
    if model not in REFERENCE_MODELS:
        raise ValueError(f"unknown reference model {model!r}; expected one of {', '.join(REFERENCE_MODELS)}")
    name = f"{dataset}_{horizon}"
    values = _reference_values(configs_dir, dataset, horizon, model)
    path = record_path(records_dir, name, reference=model)
    record = read_record(path)
    if is_current(record, values):
        assert record is not None
        return record
    return _fit_and_record(values, output_root / model / name, path, data_dir, quiet=True)
