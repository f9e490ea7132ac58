"""The long-term-forecasting benchmark: run the configs in experiments/, resume, write the table.

Each run is `xlstm-ts fit --config <configs>/<Dataset>_<horizon>.yaml --seed S` written to
`<output>/<Dataset>_<horizon>_seed<S>/` (weights, not committed) and recorded in
`experiments/results/<Dataset>_<horizon>_seed<S>.json` (metrics + config, committed); a run whose
record matches its current config is not run again (see :mod:`xlstm_ts.benchmark.records`).
Untrained reference forecasts (REFERENCE_MODELS: naive, Theta, ETS) are run once per row and recorded in
`experiments/results/<model>/<Dataset>_<horizon>.json`. `render_results` turns the current records
into docs/results.md, beside the best honest published MSE and the PatchTST/DLinear numbers of
experiments/published.yaml.

- :mod:`xlstm_ts.benchmark.records`: the records (one JSON per run), their config hash;
- :mod:`xlstm_ts.benchmark.runner`: the plan of cells, their status against the records, running them;
- :mod:`xlstm_ts.benchmark.table`: collecting the current records and rendering docs/results.md.
"""

from xlstm_ts.benchmark.records import (
    RECORD_METRICS,
    RECORDS_DIR,
    REFERENCE_MODELS,
    REFERENCE_SUBDIR,
    config_hash,
    config_values,
    git_commit,
    is_current,
    load_records,
    make_record,
    read_record,
    record_path,
    reference_dir,
    write_record,
)
from xlstm_ts.benchmark.runner import (
    TABLE_DATASETS,
    TABLE_HORIZONS,
    BenchmarkCell,
    CellStatus,
    cell_status,
    config_path,
    plan_cells,
    run_cell,
    run_reference_cell,
    table_plan,
)
from xlstm_ts.benchmark.table import (
    REFERENCE_LABELS,
    collect_reference,
    collect_references,
    collect_results,
    honest_mse,
    load_published,
    published_test_batch_size,
    render_honest_sources,
    render_protocol_check,
    render_results,
    write_results_table,
)

__all__ = [
    "RECORDS_DIR",
    "RECORD_METRICS",
    "REFERENCE_LABELS",
    "REFERENCE_MODELS",
    "REFERENCE_SUBDIR",
    "TABLE_DATASETS",
    "TABLE_HORIZONS",
    "BenchmarkCell",
    "CellStatus",
    "cell_status",
    "collect_reference",
    "collect_references",
    "collect_results",
    "config_hash",
    "config_path",
    "config_values",
    "git_commit",
    "honest_mse",
    "is_current",
    "load_published",
    "load_records",
    "make_record",
    "plan_cells",
    "published_test_batch_size",
    "read_record",
    "record_path",
    "reference_dir",
    "render_honest_sources",
    "render_protocol_check",
    "render_results",
    "run_cell",
    "run_reference_cell",
    "table_plan",
    "write_record",
    "write_results_table",
]
