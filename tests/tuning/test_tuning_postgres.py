"""A real PostgreSQL server (Debian's binaries, started here on 127.0.0.1) hosts a study shared by
two sweep workers; Optuna's RDB heartbeat fails the trial of a worker that died."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from xlstm_ts.tuning.storage import FAIL_REASON_KEY, open_storage
from xlstm_ts.tuning.sweep import fail_stale

pytestmark = pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """postgresql://postgres@127.0.0.1:PORT/postgres of a throw-away server (trust auth, no fsync)."""
    pytest.importorskip("psycopg2", reason="the PostgreSQL test needs psycopg2: pip install psycopg2-binary")
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[-3].split(".")[0]))
    if not binaries:
        pytest.skip("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): apt-get install postgresql")
    bindir = Path(binaries[-1]).parent
    prefix: list[str] = []
    root = tempfile.mkdtemp(prefix="xlstm-ts-pg-")
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"] if shutil.which("runuser") else None  # type: ignore[assignment]
        if prefix is None:
            shutil.rmtree(root)
            pytest.skip("running as root without runuser to start the server as 'postgres'")
    data, port = f"{root}/data", _free_port()

    def run(*command: str) -> None:
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    run(str(bindir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
    run(str(bindir / "pg_ctl"), "-D", data, "-l", f"{root}/server.log", "-o", options, "-w", "-t", "60", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def test_two_workers_share_a_postgres_study(postgres_url: str, tmp_path: Path, sweep_argv, start_worker, finish) -> None:
    argv = sweep_argv("--storage", postgres_url, "--study-name", "pg", "--output-dir", str(tmp_path / "out"),
                      trials=4)
    workers = [start_worker(argv, "a"), start_worker(argv, "b")]
    for worker in workers:
        finish(worker)
    storage, spec = open_storage(postgres_url)
    assert spec.dialect == "postgresql"
    study = optuna.load_study(study_name="pg", storage=storage)
    assert [t.number for t in study.trials] == [0, 1, 2, 3]
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert {t.user_attrs["worker"]["pid"] for t in study.trials} == {w.pid for w in workers}  # both worked
    assert len({tuple(sorted(t.params.items())) for t in study.trials}) == 4
    assert study.user_attrs["refit"]["trial"] == study.best_trial.number


DIE_IN_TRIAL = """
import os, sys, time, optuna
from xlstm_ts.tuning.storage import open_storage
storage, _ = open_storage(sys.argv[1], heartbeat_interval=1, grace_period=2)
study = optuna.create_study(storage=storage, study_name="hb", load_if_exists=True)
def objective(trial):
    time.sleep(1.5)   # a heartbeat or two
    os._exit(0)       # killed mid-trial
study.optimize(objective, n_trials=1)
"""


def test_rdb_heartbeat_fails_a_dead_workers_trial(postgres_url: str) -> None:
    subprocess.run([sys.executable, "-c", DIE_IN_TRIAL, postgres_url], check=True, timeout=120)
    storage, _ = open_storage(postgres_url, heartbeat_interval=1, grace_period=2)
    study = optuna.load_study(study_name="hb", storage=storage)
    assert study.trials[0].state == TrialState.RUNNING
    time.sleep(3)
    fail_stale(study)
    trial = study.trials[0]
    assert trial.state == TrialState.FAIL
    assert "no heartbeat for more than 2 s" in trial.user_attrs[FAIL_REASON_KEY]
