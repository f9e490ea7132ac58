"""The benchmark's plan and its generated results table (no training: metrics.json files are faked)."""

from __future__ import annotations

import json
from pathlib import Path

from xlstm_ts.benchmark import collect_reference, collect_results, plan_cells, render_results, table_plan


def _write_run(root: Path, dataset: str, horizon: int, seed: int, mse: float, mae: float) -> None:
    run = root / f"{dataset}_{horizon}_seed{seed}"
    run.mkdir(parents=True)
    metrics = {"dataset": dataset, "horizon": horizon, "seed": seed, "lookback": 336, "test_mse": mse, "test_mae": mae}
    (run / "metrics.json").write_text(json.dumps(metrics))


PUBLISHED = {
    "models": {
        "PatchTST/64": {"lookback": 512, "source": "paper A", "results": {"ETTh1": {96: [0.370, 0.400]}}},
        "DLinear": {"lookback": 336, "source": "paper B", "results": {"ETTh1": {96: [0.375, 0.399]}, "Exchange": {96: [0.081, 0.203]}}},
        "P-sLSTM": {"lookback": 336, "source": "paper C"},
    }
}


def test_ili_keeps_its_own_horizons_and_seeds_multiply() -> None:
    cells = plan_cells(["ETTh1", "ILI"], [96, 192], [2021, 1])
    names = [c.name for c in cells]
    assert names[:4] == ["ETTh1_96_seed2021", "ETTh1_96_seed1", "ETTh1_192_seed2021", "ETTh1_192_seed1"]
    assert {c.horizon for c in cells if c.dataset == "ILI"} == {24, 36, 48, 60}
    assert len(cells) == 4 + 8


def test_table_means_over_seeds_marks_the_best_and_counts_wins(tmp_path: Path) -> None:
    _write_run(tmp_path, "ETTh1", 96, 2021, 0.360, 0.410)
    _write_run(tmp_path, "ETTh1", 96, 1, 0.362, 0.412)
    _write_run(tmp_path, "Exchange", 96, 2021, 0.090, 0.210)
    _write_run(tmp_path, "Weather", 96, 2021, 0.150, 0.200)
    table = render_results(collect_results(tmp_path), PUBLISHED)
    rows = {line.split(" | ")[0].lstrip("| ") + line.split(" | ")[1]: line for line in table.splitlines() if line.startswith("| ")}

    etth1 = rows["ETTh196"]
    assert "**0.361±0.001** / 0.411±0.001 (336)" in etth1  # best MSE is ours, MAE is not
    assert "0.370 / 0.400 | 0.375 / **0.399**" in etth1 and "| 1,2021 |" in etth1
    assert "-2.4% (win)" in etth1
    assert "`xlstm-ts benchmark --datasets ETTh1 --horizons 96 --seeds 1,2021`" in etth1

    exchange = rows["Exchange96"]
    assert "| – |" in exchange  # no PatchTST number for Exchange
    assert "+11.1% (loss)" in exchange
    assert "`xlstm-ts fit --config experiments/configs/Exchange_96.yaml --seed 2021`" in exchange

    assert rows["Weather96"].rstrip().endswith("| – | `xlstm-ts fit --config experiments/configs/Weather_96.yaml --seed 2021` |")
    assert "Ours matches or beats the best published MSE in 1 of 2 rows." in table
    assert "Not shown, no verified numbers: P-sLSTM" in table


def test_planned_rows_without_runs_say_so(tmp_path: Path) -> None:
    _write_run(tmp_path, "ETTh1", 96, 2021, 0.360, 0.410)
    table = render_results(collect_results(tmp_path), PUBLISHED, planned=table_plan())
    rows = [line for line in table.splitlines() if line.startswith("| ") and "| horizon |" not in line]
    assert len(rows) == 6 * 4 + 4  # the seven datasets, ILI with its own four horizons
    assert rows[0].startswith("| ETTh1 | 96 | **0.360**")  # table order: ETTh1 first, ILI last
    assert rows[-1].startswith("| ILI | 60 | not run yet |")
    exchange = next(row for row in rows if row.startswith("| Exchange | 96 |"))
    assert "not run yet" in exchange and "0.081 / 0.203" in exchange  # published numbers still shown
    assert "in 1 of 1 rows" in table  # rows without runs are not counted


def test_naive_column_comes_from_the_reference_folder(tmp_path: Path) -> None:
    _write_run(tmp_path, "ETTh1", 96, 2021, 0.360, 0.410)
    _write_run(tmp_path / "naive", "ETTh1", 96, 0, 1.294, 0.713)  # the reference layout differs only by folder
    assert set(collect_results(tmp_path)) == {("ETTh1", 96)}  # the naive run is not one of ours
    table = render_results(collect_results(tmp_path), PUBLISHED, reference=collect_reference(tmp_path))
    row = next(line for line in table.splitlines() if line.startswith("| ETTh1 | 96 |"))
    assert "| 2021 | 1.294 / 0.713 | 0.370 / 0.400 |" in row
    assert "| naive |" in table.splitlines()[table.splitlines().index(row) - 2]
