"""The benchmark's plan, its records and the generated results table (one tiny real run; the rest faked)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import yaml

from xlstm_ts.benchmark.records import config_hash, config_values, make_record, record_path, write_record
from xlstm_ts.benchmark.runner import BenchmarkCell, cell_status, plan_cells, table_plan
from xlstm_ts.benchmark.table import collect_reference, collect_results, published_test_batch_size, render_results
from xlstm_ts.cli import main
from xlstm_ts.training.evaluate import drop_last_metrics


def _write_run(
    root: Path, dataset: str, horizon: int, seed: int, mse: float, mae: float, provenance: str = "run"
) -> None:
    record = {
        "dataset": dataset, "horizon": horizon, "seed": seed, "lookback": 336, "test_mse": mse, "test_mae": mae,
        "provenance": provenance,
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{dataset}_{horizon}_seed{seed}.json").write_text(json.dumps(record))


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
    _write_run(tmp_path / "naive", "ETTh1", 96, 0, 1.294, 0.713)  # the reference records sit in naive/
    assert set(collect_results(tmp_path)) == {("ETTh1", 96)}  # the naive run is not one of ours
    table = render_results(collect_results(tmp_path), PUBLISHED, reference=collect_reference(tmp_path))
    row = next(line for line in table.splitlines() if line.startswith("| ETTh1 | 96 |"))
    assert "| 2021 | 1.294 / 0.713 | 0.370 / 0.400 |" in row
    assert "| naive |" in table.splitlines()[table.splitlines().index(row) - 2]


def test_recovered_records_are_marked_in_the_table(tmp_path: Path) -> None:
    _write_run(tmp_path, "ETTh1", 96, 2021, 0.360, 0.410, provenance="recovered")
    _write_run(tmp_path, "ETTh1", 192, 2021, 0.400, 0.420)
    table = render_results(collect_results(tmp_path), PUBLISHED)
    rows = {line.split(" | ")[1]: line for line in table.splitlines() if line.startswith("| ETTh1 |")}
    assert "| 2021 † |" in rows["96"]
    assert "| 2021 |" in rows["192"] and "†" not in rows["192"]
    assert "† The run files of these rows were lost" in table


def _config(folder: Path, dataset: str, horizon: int, **train: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    values = {
        "model": "dlinear",
        "data": {"dataset": dataset, "lookback": 48, "horizon": horizon, "batch_size": 64},
        "train": {"max_epochs": 1, "limit_train_batches": 3, **train},
    }
    (folder / f"{dataset}_{horizon}.yaml").write_text(yaml.safe_dump(values))


def test_a_record_counts_only_for_the_config_that_made_it(tmp_path: Path) -> None:
    configs, records = tmp_path / "configs", tmp_path / "records"
    _config(configs, "ETTh1", 96, learning_rate=0.001)
    values = config_values(configs / "ETTh1_96.yaml")
    values["train"]["seed"] = 2021
    write_record(record_path(records, "ETTh1_96_seed2021"),
                 make_record({"dataset": "ETTh1", "horizon": 96, "seed": 2021, "test_mse": 0.4, "test_mae": 0.4}, values))
    cell = BenchmarkCell("ETTh1", 96, 2021)
    assert cell_status(cell, configs, records).state == "done"
    assert set(collect_results(records, configs)) == {("ETTh1", 96)}
    # another seed, the data folder or the same values in another order do not change the hash
    assert config_hash({**values, "train": {**values["train"], "seed": 7}}) == config_hash(values)
    assert config_hash({**values, "data": {**values["data"], "data_dir": "/x"}}) == config_hash(values)
    assert config_hash(dict(reversed(list(values.items())))) == config_hash(values)
    # an override or an edited config makes the record stale: it is neither shown nor reused
    assert cell_status(cell, configs, records, ["train.learning_rate=0.002"]).state == "stale"
    _config(configs, "ETTh1", 96, learning_rate=0.002)
    assert cell_status(cell, configs, records).state == "stale"
    assert collect_results(records, configs) == {}
    assert set(collect_results(records)) == {("ETTh1", 96)}  # without configs: every record


def test_benchmark_runs_records_resumes_and_writes_the_table(tmp_path: Path, shared_data_dir: Path) -> None:
    configs, records, output = tmp_path / "configs", tmp_path / "records", tmp_path / "runs"
    _config(configs, "ETTh1", 96)
    results_md = tmp_path / "results.md"
    argv = [
        "benchmark", "--datasets", "ETTh1", "--horizons", "96", "--seeds", "2021", "--configs", str(configs),
        "--records", str(records), "--output", str(output), "--results-md", str(results_md),
        "--data-dir", str(shared_data_dir),
    ]
    assert main(argv) == 0
    record = json.loads((records / "ETTh1_96_seed2021.json").read_text())
    assert record["provenance"] == "run" and record["model"] == "dlinear" and record["seed"] == 2021
    assert record["config"]["train"]["seed"] == 2021 and "data_dir" not in record["config"]["data"]
    assert (output / "ETTh1_96_seed2021" / "model.safetensors").is_file()  # weights stay in the run folder
    naive = json.loads((records / "naive" / "ETTh1_96.json").read_text())
    row = next(line for line in results_md.read_text().splitlines() if line.startswith("| ETTh1 | 96 |"))
    assert f"{record['test_mse']:.3f} / {record['test_mae']:.3f} (48)" in row
    assert f"| {naive['test_mse']:.3f} / {naive['test_mae']:.3f} |" in row
    # resumes: the run folder may go (a fresh checkout); the record alone marks the cell done
    shutil.rmtree(output)
    stamp = (records / "ETTh1_96_seed2021.json").stat().st_mtime_ns
    assert main(argv) == 0
    assert (records / "ETTh1_96_seed2021.json").stat().st_mtime_ns == stamp
    assert not (output / "ETTh1_96_seed2021").exists()


def test_protocol_check_scores_ours_on_each_published_models_windows(tmp_path: Path) -> None:
    for seed, full, kept128, kept32 in ((2021, 0.380, 0.360, 0.375), (1, 0.382, 0.364, 0.377)):
        _write_run(tmp_path, "ETTh1", 96, seed, full, 0.41)
        path = tmp_path / f"ETTh1_96_seed{seed}.json"
        record = json.loads(path.read_text())
        record["test_drop_last"] = {"32": [kept32, 0.4], "128": [kept128, 0.4]}
        path.write_text(json.dumps(record))
    published = {"models": {
        "PatchTST/64": {**PUBLISHED["models"]["PatchTST/64"], "test_batch_size": {"ETTh1": 128}},
        "DLinear": {**PUBLISHED["models"]["DLinear"], "test_batch_size": {"ETTh1": 32, "Exchange": {96: 8}}},
    }}
    table = render_results(collect_results(tmp_path), published)
    assert "+3.0% (loss)" in table  # main table: 0.381 vs 0.370 on every window
    row = next(line for line in table.splitlines() if line.startswith("| ETTh1 | 96 | 0.381 |"))
    # PatchTST/64 scored 128-window batches: ours there is 0.362 < 0.370; DLinear 32: ours 0.376 > 0.375
    assert "0.370 / **0.362** (128)" in row and "**0.375** / 0.376 (32)" in row
    assert "-2.2% vs PatchTST/64 (loss)" in row  # beats the best, but not every model on its windows
    assert "ours matches or beats every published MSE in 0 of 1 rows" in table
    assert published_test_batch_size(published["models"]["DLinear"], "Exchange", 96) == 8


def test_drop_last_metrics_keep_whole_batches_only() -> None:
    prediction = np.zeros((70, 2, 1))
    target = np.zeros((70, 2, 1))
    target[64:] = 1.0  # the last 6 windows (past two full batches of 32) are the only errors
    result = drop_last_metrics(prediction, target, batch_sizes=(32, 128))
    assert result == {"32": [0.0, 0.0]}  # 128 > 70 windows: a loader would keep none, so no entry
    assert drop_last_metrics(prediction, target, batch_sizes=(7,))["7"][0] == 1.0 * 6 / 70


def test_a_narrow_loss_is_not_printed_as_zero(tmp_path: Path) -> None:
    _write_run(tmp_path, "ETTh1", 96, 2021, 0.3702, 0.401)
    row = next(line for line in render_results(collect_results(tmp_path), PUBLISHED).splitlines()
               if line.startswith("| ETTh1 | 96 |"))
    assert "+0.05% (loss)" in row


def test_naive_records_from_other_data_settings_are_not_shown(tmp_path: Path) -> None:
    configs, records = tmp_path / "configs", tmp_path / "records"
    _config(configs, "ETTh1", 96)
    values = {"model": "naive", "data": config_values(configs / "ETTh1_96.yaml")["data"], "network": {}}
    write_record(record_path(records, "ETTh1_96", reference=True),
                 make_record({"dataset": "ETTh1", "horizon": 96, "test_mse": 1.3, "test_mae": 0.7}, values))
    assert set(collect_reference(records, configs)) == {("ETTh1", 96)}
    (configs / "ETTh1_96.yaml").write_text((configs / "ETTh1_96.yaml").read_text().replace("lookback: 48", "lookback: 96"))
    assert collect_reference(records, configs) == {}
    assert set(collect_reference(records)) == {("ETTh1", 96)}
