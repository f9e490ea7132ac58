"""Fixtures of the sweep tests: the real ETTh1 CSV, one torch thread, tiny sweep settings and a
launcher for sweep worker processes (fixtures, so that no test imports this file)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


def _find_data() -> Path | None:
    candidates = [REPO.parent / "shared" / "datasets"]
    if os.environ.get("XLSTM_TS_DATA"):
        candidates.append(Path(os.environ["XLSTM_TS_DATA"]))
    return next((c for c in candidates if (c / "ETTh1.csv").is_file()), None)


@pytest.fixture(autouse=True)
def _tuning_one_thread() -> Iterator[None]:
    """Tiny models: one thread is faster, and idle OpenMP threads spin on a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def etth1_dir() -> Path:
    """Folder holding the real ETTh1.csv (../shared/datasets next to the repository, else $XLSTM_TS_DATA)."""
    folder = _find_data()
    if folder is None:
        pytest.skip("ETTh1.csv not found in ../shared/datasets next to the repository nor in $XLSTM_TS_DATA")
    return folder


TINY_SETS = (
    "lookback=48",
    "limit_train_batches=2",
    "eval_batch_size=512",
    "xlstm.embedding_dim=16",
    "xlstm.num_blocks=1",
    "xlstm.num_heads=2",
)


@pytest.fixture(scope="session")
def tiny_sets() -> tuple[str, ...]:
    """--set items making every trial tiny (lookback 48, 2 training batches, xLSTM width 16, 1 block)."""
    return TINY_SETS


@pytest.fixture(scope="session")
def sweep_argv(etth1_dir: Path) -> Callable[..., list[str]]:
    """argv of `xlstm-ts sweep` on ETTh1, horizon 24, tiny trials, 1 epoch; extra args appended."""

    def make(*extra: str, trials: int = 3, model: str = "xlstm") -> list[str]:
        argv = ["sweep", "--dataset", "ETTh1", "--horizon", "24", "--model", model, "--trials", str(trials),
                "--max-epochs", "1", "--data-dir", str(etth1_dir)]
        for item in TINY_SETS:
            argv += ["--set", item]
        return argv + list(extra)

    return make


WORKER_CODE = (
    "import sys, torch; torch.set_num_threads(1); "
    "from xlstm_ts.cli import main; raise SystemExit(main(sys.argv[1:]))"
)


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start a sweep worker process (`python -c` calling xlstm_ts.cli.main); all are killed at the end."""
    started: list[subprocess.Popen] = []

    def start(argv: list[str], name: str = "worker") -> subprocess.Popen:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
        log = open(tmp_path / f"{name}-{len(started)}.log", "w")
        process = subprocess.Popen([sys.executable, "-c", WORKER_CODE, *argv], cwd=tmp_path, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        process.log_path = Path(log.name)  # type: ignore[attr-defined]
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def finish() -> Callable[[subprocess.Popen, float], str]:
    """Wait for a worker (timeout: seconds), assert exit code 0, return its output."""

    def wait(process: subprocess.Popen, timeout: float = 150) -> str:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"worker timed out:\n{process.log_path.read_text()[-3000:]}")  # type: ignore[attr-defined]
        output = process.log_path.read_text()  # type: ignore[attr-defined]
        assert process.returncode == 0, f"worker exited {process.returncode}:\n{output[-3000:]}"
        return output

    return wait
