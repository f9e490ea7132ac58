"""Kill safety of `xlstm-ts benchmark`: a process killed at any moment, then started again, loses no
finished record, rewrites none and leaves no half record that the restart would trust.

Real processes are killed: by SIGKILL after the first record appears, and by the kernel in the
middle of a record's write (SIGXFSZ: the file-size limit is reached part-way through the write).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from xlstm_ts.benchmark.records import load_records, read_record, record_path, write_record
from xlstm_ts.benchmark.runner import BenchmarkCell, cell_status

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and resource limits")

_ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}

_WRITE_KILLED_MIDWAY = """
import json, resource, signal, sys
from pathlib import Path
from xlstm_ts.benchmark.records import write_record
record = json.loads(sys.argv[2])
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it; the default kills the process
resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))  # the kernel kills it after 512 bytes of a file
write_record(Path(sys.argv[1]), record)
print("not killed")
"""


def _killed_while_writing(path: Path, record: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _WRITE_KILLED_MIDWAY, str(path), json.dumps(record)],
                          env=_ENV, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("had_record", [True, False], ids=["replacing-a-record", "first-record"])
def test_a_process_killed_while_writing_a_record_leaves_the_old_one_or_none(tmp_path: Path, had_record: bool) -> None:
    records = tmp_path / "records"
    path = record_path(records, "ETTh1_96_seed2021")
    old = {"dataset": "ETTh1", "horizon": 96, "seed": 2021, "test_mse": 0.4, "test_mae": 0.4, "note": "old"}
    if had_record:
        write_record(path, old)
    new = {**old, "test_mse": 0.3, "note": "new " + "x" * 20_000}  # far more than the 512 bytes allowed

    done = _killed_while_writing(path, new)
    assert done.returncode == -signal.SIGXFSZ, (done.returncode, done.stdout, done.stderr)  # killed mid-write

    assert read_record(path) == (old if had_record else None)  # never a truncated record
    assert load_records(records) == ([old] if had_record else [])
    state = cell_status(BenchmarkCell("ETTh1", 96, 2021), _configs(tmp_path / "configs"), records).state
    assert state == ("stale" if had_record else "to run")  # the restart reruns the cell; nothing crashes
    leftovers = [p.name for p in records.iterdir() if p != path]
    assert all(name.startswith(".") and name.endswith(".tmp") for name in leftovers), leftovers  # hidden, unread


def _configs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    values = {
        "model": "dlinear",
        "data": {"dataset": "ETTh1", "lookback": 48, "horizon": 96, "batch_size": 32, "eval_batch_size": 512},
        "train": {"max_epochs": 1, "limit_train_batches": 40},
    }
    (folder / "ETTh1_96.yaml").write_text(yaml.safe_dump(values))
    return folder


def _snapshot(records: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under `records` (hidden ones too): relative path -> (mtime_ns, content)."""
    return {str(p.relative_to(records)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(records.rglob("*")) if p.is_file()}


def test_benchmark_killed_after_its_first_record_resumes_without_losing_or_redoing_one(
    tmp_path: Path, shared_data_dir: Path
) -> None:
    configs, records, output = _configs(tmp_path / "configs"), tmp_path / "records", tmp_path / "runs"
    seeds = (1, 2, 3, 4)
    argv = [
        sys.executable, "-m", "xlstm_ts.cli", "benchmark", "--datasets", "ETTh1", "--horizons", "96",
        "--seeds", ",".join(map(str, seeds)), "--configs", str(configs), "--records", str(records),
        "--output", str(output), "--results-md", str(tmp_path / "results.md"),
        "--published", str(tmp_path / "none.yaml"), "--data-dir", str(shared_data_dir),
    ]
    cells = [f"ETTh1_96_seed{seed}" for seed in seeds]
    with open(tmp_path / "killed.log", "w") as log:
        process = subprocess.Popen(argv, cwd=tmp_path, env=_ENV, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while not list(records.glob("*.json")):  # the first cell's record (naive/, theta/, ets/: the references)
            assert process.poll() is None, (tmp_path / "killed.log").read_text()[-3000:]
            assert time.monotonic() < deadline, (tmp_path / "killed.log").read_text()[-3000:]
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=60) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    before = _snapshot(records)
    finished = [name for name in cells if f"{name}.json" in before]
    assert finished and len(finished) < len(cells), sorted(before)  # killed between the first and the last
    for name, (_, content) in before.items():
        assert isinstance(json.loads(content), dict), name  # whatever is there is a whole record

    restarted = subprocess.run(argv, cwd=tmp_path, env=_ENV, capture_output=True, text=True, timeout=300)
    assert restarted.returncode == 0, restarted.stdout[-3000:] + restarted.stderr[-3000:]

    after = _snapshot(records)
    references = ["naive/ETTh1_96.json", "theta/ETTh1_96.json", "ets/ETTh1_96.json"]
    assert sorted(after) == sorted([f"{name}.json" for name in cells] + references)  # one each, no leftovers
    for name, stamp in before.items():
        assert after[name] == stamp, f"{name} was rewritten by the restart"
    for seed, name in zip(seeds, cells):
        record = json.loads(after[f"{name}.json"][1])
        assert record["seed"] == seed and record["provenance"] == "run" and record["model"] == "dlinear"
        assert cell_status(BenchmarkCell("ETTh1", 96, seed), configs, records).state == "done"
    for number, name in enumerate(cells, start=1):
        expected = "done" if name in finished else "to run"
        assert f"[{number}/{len(cells)}] {name}: {expected}" in restarted.stdout
    row = next(line for line in (tmp_path / "results.md").read_text().splitlines() if line.startswith("| ETTh1 | 96 |"))
    assert "| 1,2,3,4 |" in row
