"""The benchmark's plan, its records and the generated results table (one tiny real run; the rest faked)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from xlstm_ts.benchmark.records import (
    REFERENCE_MODELS,
    config_hash,
    config_values,
    make_record,
    record_path,
    write_record,
)
from xlstm_ts.benchmark.runner import BenchmarkCell, _reference_values, cell_status, plan_cells, table_plan
from xlstm_ts.benchmark.table import (
    collect_reference,
    collect_references,
    collect_results,
    load_published,
    published_test_batch_size,
    render_results,
)
from xlstm_ts.cli import build_parser, main
from xlstm_ts.cli.benchmark import _reference_models
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
    "honest": {
        "results": {"ETTh1": {96: 0.365}, "Exchange": {96: 0.080}},
        "sources": {"ETTh1": "SegRNN (L=720)", "Exchange": "xPatch fair run (L=96)"},
        "read_from": ["lss-1138/SparseTSF README"],
    },
    "models": {
        "PatchTST/64": {"lookback": 512, "source": "paper A", "results": {"ETTh1": {96: [0.370, 0.400]}}},
        "DLinear": {"lookback": 336, "source": "paper B", "results": {"ETTh1": {96: [0.375, 0.399]}, "Exchange": {96: [0.081, 0.203]}}},
        "P-sLSTM": {"lookback": 336, "source": "paper C"},
    }
}


def _cells(table: str, dataset: str, horizon: int) -> dict[str, str]:
    """The main table's row (dataset, horizon) as header -> cell."""
    lines = table.split("## The same runs")[0].splitlines()
    header = next(line for line in lines if line.startswith("| dataset | horizon |"))
    row = next(line for line in lines if line.startswith(f"| {dataset} | {horizon} |"))
    names = [cell.strip() for cell in header.strip("|").split("|")]
    return dict(zip(names, (cell.strip() for cell in row.strip("|").split("|")), strict=True))


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
    assert "| 0.365 | -1.1% (win) |" in etth1  # honest number (not bold: ours is lower) and the verdict
    assert "0.370 / 0.400 | 0.375 / **0.399**" in etth1 and "| 1,2021 |" in etth1
    assert "`xlstm-ts benchmark --datasets ETTh1 --horizons 96 --seeds 1,2021`" in etth1

    exchange = _cells(table, "Exchange", 96)
    assert exchange["PatchTST/64 (L=512, drop_last)"] == "–"  # no PatchTST number for Exchange
    assert exchange["best honest (MSE)"] == "**0.080**"  # the honest number counts for "best"
    assert exchange["ours vs best honest (MSE)"] == "+12.5% (loss)"
    assert exchange["reproduce"] == "`xlstm-ts fit --config experiments/configs/Exchange_96.yaml --seed 2021`"

    weather = _cells(table, "Weather", 96)
    assert weather["best honest (MSE)"] == weather["ours vs best honest (MSE)"] == "–"  # no honest number
    assert weather["ours (lookback)"] == "**0.150** / **0.200** (336)"
    assert "Ours matches or beats the best honest MSE in 1 of 2 rows." in table  # Weather not counted
    # the drop_last-scored numbers: a win on ETTh1 (0.361 < 0.370), a loss on Exchange (0.090 > 0.081)
    assert ("vs PatchTST/DLinear published (drop_last-scored): ours matches or beats the best of them in 1 of 2 rows."
            in table)
    assert "Not shown, no verified numbers: P-sLSTM" in table
    assert "- ETTh1: SegRNN (L=720)" in table and "- lss-1138/SparseTSF README" in table  # honest sources


@pytest.mark.parametrize(
    ("ours", "honest", "cell", "verdict", "summary", "published_wins"),
    [
        (0.340, 0.351, "0.351", "-3.1% (win)", "in 1 of 1 rows", 1),
        (0.360, 0.351, "**0.351**", "+2.6% (loss)", "in 0 of 1 rows", 0),  # the lowest MSE of the row: bold
        (0.351, 0.351, "**0.351**", "+0.00% (win)", "in 1 of 1 rows", 1),  # a tie is a win
        (0.340, None, "–", "–", None, 1),  # no honest number: shown as "–", not counted
    ],
    ids=["below-wins", "above-loses", "tie-wins", "no-number"],
)
def test_the_honest_column_decides_the_verdict(
    tmp_path: Path, ours: float, honest: float | None, cell: str, verdict: str, summary: str | None,
    published_wins: int,
) -> None:
    _write_run(tmp_path, "ETTh1", 96, 2021, ours, 0.39)
    published = {"honest": {"results": {"ETTh1": {96: honest}} if honest is not None else {"ETTm1": {96: 0.3}}},
                 "models": {"DLinear": {"lookback": 336, "results": {"ETTh1": {96: [0.355, 0.380]}}}}}
    table = render_results(collect_results(tmp_path), published)
    row = _cells(table, "ETTh1", 96)
    assert row["best honest (MSE)"] == cell and row["ours vs best honest (MSE)"] == verdict
    honest_lines = [line for line in table.splitlines() if line.startswith("Ours matches or beats the best honest MSE")]
    assert honest_lines == ([f"Ours matches or beats the best honest MSE {summary}."] if summary else [])
    assert f"ours matches or beats the best of them in {published_wins} of 1 rows." in table  # vs DLinear's 0.355


def test_load_published_reads_the_honest_section_with_int_horizons(tmp_path: Path) -> None:
    path = tmp_path / "published.yaml"
    path.write_text(yaml.safe_dump({"honest": {"results": {"ILI": {24: 1.642, "36": 1.647}}}}))  # a str key too
    published = load_published(path)
    assert published is not None and published["honest"]["results"]["ILI"] == {24: 1.642, 36: 1.647}
    _write_run(tmp_path / "records", "ILI", 36, 2021, 1.600, 0.8)
    row = _cells(render_results(collect_results(tmp_path / "records"), published), "ILI", 36)
    assert row["best honest (MSE)"] == "1.647" and row["ours vs best honest (MSE)"] == "-2.9% (win)"


def test_the_repositorys_honest_numbers_cover_every_table_row() -> None:
    published = load_published(Path(__file__).resolve().parents[2] / "experiments" / "published.yaml")
    assert published is not None
    honest = published["honest"]
    missing = [row for row in sorted(table_plan()) if row[1] not in honest["results"].get(row[0], {})]
    assert missing == []
    assert set(honest["sources"]) == set(honest["results"])  # every row names its sources
    assert honest["results"]["ETTh1"][96] == 0.351 and honest["results"]["ILI"][60] == 1.643


def test_planned_rows_without_runs_say_so(tmp_path: Path) -> None:
    _write_run(tmp_path, "ETTh1", 96, 2021, 0.360, 0.410)
    table = render_results(collect_results(tmp_path), PUBLISHED, planned=table_plan())
    rows = [line for line in table.splitlines() if line.startswith("| ") and "| horizon |" not in line]
    assert len(rows) == 6 * 4 + 4  # the seven datasets, ILI with its own four horizons
    assert rows[0].startswith("| ETTh1 | 96 | **0.360**")  # table order: ETTh1 first, ILI last
    assert rows[-1].startswith("| ILI | 60 | not run yet |")
    exchange = next(row for row in rows if row.startswith("| Exchange | 96 |"))
    assert "not run yet" in exchange and "0.081 / 0.203" in exchange  # published numbers still shown
    assert "| 0.080 | – |" in exchange  # the honest number too, without a verdict
    assert "Ours matches or beats the best honest MSE in 1 of 1 rows." in table  # rows without runs are not counted


def test_reference_columns_come_from_their_folders(tmp_path: Path) -> None:
    _write_run(tmp_path, "ETTh1", 96, 2021, 0.360, 0.410)
    _write_run(tmp_path, "ETTh1", 192, 2021, 0.400, 0.420)
    _write_run(tmp_path / "naive", "ETTh1", 96, 0, 1.294, 0.713)  # the old layout: naive/ beside the runs
    _write_run(tmp_path / "naive", "ETTh1", 192, 0, 1.325, 0.733)
    _write_run(tmp_path / "theta", "ETTh1", 96, 0, 0.812, 0.561)  # Theta on 96 only
    _write_run(tmp_path / "ets", "ETTh1", 192, 0, 0.905, 0.602)  # ETS on 192 only
    assert set(collect_results(tmp_path)) == {("ETTh1", 96), ("ETTh1", 192)}  # references are not ours
    references = collect_references(tmp_path)
    assert list(references) == list(REFERENCE_MODELS) == ["naive", "theta", "ets"]
    table = render_results(collect_results(tmp_path), PUBLISHED, references=references)
    header = next(line for line in table.splitlines() if line.startswith("| dataset |"))
    assert "| seeds | naive | Theta | ETS | best honest (MSE) |" in header
    first, second = _cells(table, "ETTh1", 96), _cells(table, "ETTh1", 192)
    assert (first["naive"], first["Theta"]) == ("1.294 / 0.713", "0.812 / 0.561")
    assert (second["naive"], second["Theta"]) == ("1.325 / 0.733", "–")  # no Theta record for 192
    assert (first["ETS"], second["ETS"]) == ("–", "0.905 / 0.602")
    assert "**" not in first["Theta"]  # references never count for "best"
    assert "Theta: the standard Theta method" in table


def test_the_reference_columns_are_there_without_records(tmp_path: Path) -> None:
    _write_run(tmp_path, "ETTh1", 96, 2021, 0.360, 0.410)
    row = _cells(render_results(collect_results(tmp_path), PUBLISHED), "ETTh1", 96)
    assert row["naive"] == row["Theta"] == "–"


@pytest.mark.parametrize(
    ("reference", "folder"), [(True, "naive"), ("naive", "naive"), ("theta", "theta"), (False, "")],
    ids=["true-is-naive", "naive", "theta", "a-run"],
)
def test_record_path_puts_each_reference_in_its_folder(tmp_path: Path, reference: bool | str, folder: str) -> None:
    assert record_path(tmp_path, "ETTh1_96", reference=reference) == (tmp_path / folder / "ETTh1_96.json")


def test_records_that_are_not_runs_are_left_out(tmp_path: Path) -> None:
    _write_run(tmp_path, "ETTh1", 96, 2021, 0.360, 0.410)
    (tmp_path / "forecaster_panel.json").write_text(json.dumps({"rows": [], "geometric_mean_mase": 1.0}))
    _write_run(tmp_path / "theta", "ETTh1", 96, 0, 0.9, 0.6)
    misplaced = json.loads((tmp_path / "theta" / "ETTh1_96_seed0.json").read_text()) | {"model": "naive"}
    (tmp_path / "theta" / "ETTh1_192_seed0.json").write_text(json.dumps({**misplaced, "horizon": 192}))
    assert set(collect_results(tmp_path)) == {("ETTh1", 96)}  # the other experiment's JSON does not break it
    assert set(collect_reference(tmp_path, model="theta")) == {("ETTh1", 96)}  # a naive record in theta/ is not Theta


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
    theta = json.loads((records / "theta" / "ETTh1_96.json").read_text())
    assert naive["model"] == "naive" and theta["model"] == "theta"
    assert theta["config"]["network"] == {} and theta["test_mse"] != naive["test_mse"]
    row = _cells(results_md.read_text(), "ETTh1", 96)
    assert row["ours (lookback)"].replace("*", "") == f"{record['test_mse']:.3f} / {record['test_mae']:.3f} (48)"
    assert row["naive"] == f"{naive['test_mse']:.3f} / {naive['test_mae']:.3f}"
    assert row["Theta"] == f"{theta['test_mse']:.3f} / {theta['test_mae']:.3f}"
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
    # main table, every window: 0.381 vs PatchTST/64's 0.370 is a loss
    assert "(drop_last-scored): ours matches or beats the best of them in 0 of 1 rows." in table
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
    published = {"honest": {"results": {"ETTh1": {96: 0.370}}}}
    row = _cells(render_results(collect_results(tmp_path), published), "ETTh1", 96)
    assert row["ours vs best honest (MSE)"] == "+0.05% (loss)"


@pytest.mark.parametrize("model", ["naive", "theta", "ets"])
def test_reference_records_from_other_data_settings_are_not_shown(tmp_path: Path, model: str) -> None:
    configs, records = tmp_path / "configs", tmp_path / "records"
    _config(configs, "ETTh1", 96)
    values = {"model": model, "data": config_values(configs / "ETTh1_96.yaml")["data"], "network": {}}
    assert values == _reference_values(configs, "ETTh1", 96, model)
    metrics = {"dataset": "ETTh1", "horizon": 96, "model": model, "test_mse": 1.3, "test_mae": 0.7}
    write_record(record_path(records, "ETTh1_96", reference=model), make_record(metrics, values))
    assert set(collect_reference(records, configs, model)) == {("ETTh1", 96)}
    other = next(m for m in REFERENCE_MODELS if m != model)
    assert collect_reference(records, configs, other) == {}  # each reference reads its own folder only
    (configs / "ETTh1_96.yaml").write_text((configs / "ETTh1_96.yaml").read_text().replace("lookback: 48", "lookback: 96"))
    assert collect_reference(records, configs, model) == {}
    assert set(collect_reference(records, model=model)) == {("ETTh1", 96)}


def test_a_rows_seed_ensemble_leaves_its_references_current(tmp_path: Path) -> None:
    configs, records = tmp_path / "configs", tmp_path / "records"
    _config(configs, "ETTh1", 96)
    values = _reference_values(configs, "ETTh1", 96)
    metrics = {"dataset": "ETTh1", "horizon": 96, "model": "naive", "test_mse": 1.3, "test_mae": 0.7}
    write_record(record_path(records, "ETTh1_96", reference=True), make_record(metrics, values))
    path = configs / "ETTh1_96.yaml"
    path.write_text(path.read_text() + "ensemble: 3\n")
    assert "ensemble" not in _reference_values(configs, "ETTh1", 96)
    assert set(collect_reference(records, configs)) == {("ETTh1", 96)}


def test_a_naive_record_in_the_old_layout_stays_current(tmp_path: Path) -> None:
    """A record written before Theta existed (`record_path(..., reference=True)`, no model argument) is
    still found, and still current, in naive/."""
    configs, records = tmp_path / "configs", tmp_path / "records"
    _config(configs, "ETTh1", 96)
    values = {"model": "naive", "data": config_values(configs / "ETTh1_96.yaml")["data"], "network": {}}
    write_record(records / "naive" / "ETTh1_96.json",
                 make_record({"dataset": "ETTh1", "horizon": 96, "test_mse": 1.3, "test_mae": 0.7}, values))
    assert set(collect_reference(records, configs)) == {("ETTh1", 96)}
    assert set(collect_references(records, configs)["naive"]) == {("ETTh1", 96)}
    assert collect_references(records, configs)["theta"] == {}


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], ["naive", "theta", "ets"]),
        (["--no-naive"], ["theta", "ets"]),
        (["--no-theta"], ["naive", "ets"]),
        (["--no-ets"], ["naive", "theta"]),
        (["--no-naive", "--no-theta", "--no-ets"], []),
        (["--no-references"], []),
        (["--dry-run"], []),
        (["--allow-modified-data"], []),
    ],
)
def test_benchmark_flags_choose_the_reference_forecasts(flags: list[str], expected: list[str]) -> None:
    assert _reference_models(build_parser().parse_args(["benchmark", *flags])) == expected


def test_ensemble_rows_are_marked_with_their_single_seed_mean(tmp_path: Path) -> None:
    members = [{"seed": 2021, "test_mse": 0.40, "test_mae": 0.42}, {"seed": 2022, "test_mse": 0.38, "test_mae": 0.40}]
    record = {"dataset": "ETTh1", "horizon": 96, "seed": 2021, "lookback": 336, "test_mse": 0.37, "test_mae": 0.39,
              "provenance": "run", "ensemble": 2, "members": members}
    (tmp_path / "ETTh1_96_seed2021.json").write_text(json.dumps(record))
    _write_run(tmp_path, "Exchange", 96, 2021, 0.09, 0.2)
    table = render_results(collect_results(tmp_path), PUBLISHED)
    assert _cells(table, "ETTh1", 96)["ours (lookback)"].endswith("(336, ens. 2)")
    assert _cells(table, "Exchange", 96)["ours (lookback)"].endswith("(336)")
    notes = [line for line in table.splitlines() if line.startswith("- ETTh1-96: each run is a seed ensemble")]
    assert len(notes) == 1 and "test MSE 0.390, MAE 0.410" in notes[0]
    assert not any(line.startswith("- Exchange-96: each run") for line in table.splitlines())


def test_an_ensemble_record_keeps_its_members() -> None:
    metrics = {"dataset": "ETTh1", "horizon": 96, "seed": 1, "lookback": 336, "model": "xlstm", "test_mse": 0.3,
               "test_mae": 0.3, "ensemble": 3, "members": [{"seed": 1, "test_mse": 0.31}]}
    record = make_record(metrics, {"model": "xlstm", "data": {}, "network": {}, "train": {}, "ensemble": 3})
    assert record["ensemble"] == 3 and record["members"] == [{"seed": 1, "test_mse": 0.31}]
