"""Storage URLs, clear errors for bad ones, and the heartbeat that fails a dead worker's trial."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from xlstm_ts.cli import main
from xlstm_ts.tuning.storage import (
    FAIL_REASON_KEY,
    HEARTBEAT_KEY,
    JournalHeartbeatStorage,
    StorageError,
    machine_id,
    open_storage,
    parse_storage_url,
    pid_alive,
    worker_identity,
)
from xlstm_ts.tuning.sweep import fail_stale

pytestmark = pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")


def test_urls_are_classified(tmp_path: Path) -> None:
    assert parse_storage_url("sweeps/a.journal").kind == "journal"
    spec = parse_storage_url("journal:///tmp/x/a.journal")
    assert spec.kind == "journal" and str(spec.path) == "/tmp/x/a.journal"
    spec = parse_storage_url("sqlite:///sweeps/a.db")
    assert spec.kind == "rdb" and spec.dialect == "sqlite" and str(spec.path) == "sweeps/a.db"
    spec = parse_storage_url("postgresql://me:secret@db.example:5432/optuna")
    assert spec.kind == "rdb" and spec.dialect == "postgresql" and "secret" not in spec.display


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty storage URL"),
        ("foo://bar", "unsupported scheme 'foo'"),
        ("postgres://u@h/db", "write postgresql://"),
        ("sqlite:a.db", "did you mean sqlite:///a.db"),
        ("sqlite://", "in-memory SQLite"),
        ("redis://localhost", "Redis journals are not supported"),
        ("postgresql:///db", "names no database host"),
    ],
)
def test_bad_urls_give_clear_errors(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        open_storage(url)


def test_unreachable_database_and_bad_files(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StorageError, match=r"cannot open storage 'postgresql://me:\*\*\*@127.0.0.1") as info:
        open_storage(f"postgresql://me:secret@127.0.0.1:{port}/optuna")
    assert "secret" not in str(info.value)
    with pytest.raises(StorageError, match="is a directory"):
        open_storage(str(tmp_path))
    garbage = tmp_path / "notes.journal"
    garbage.write_text("this is not a journal\n")
    with pytest.raises(StorageError, match="not an Optuna journal file"):
        open_storage(str(garbage))
    storage, spec = open_storage(f"sqlite:///{tmp_path}/sub/s.db")
    assert spec.kind == "rdb" and (tmp_path / "sub" / "s.db").is_file()


def test_cli_reports_a_bad_storage_url(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["sweep", "--dataset", "ETTh1", "--trials", "1", "--storage", "mongodb://x/y",
                          "--output-dir", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "xlstm-ts sweep: error: storage 'mongodb://x/y' has an unsupported scheme 'mongodb'" in err
    assert "Traceback" not in err
    code = main(["sweep-report", "--study-name", "nothing", "--output-dir", str(tmp_path)])
    assert code == 2 and "no journal file" in capsys.readouterr().err


def test_pid_liveness() -> None:
    me = worker_identity()
    assert me["machine"] == machine_id() and pid_alive(me["pid"], me["pid_start"])
    if me["pid_start"] is not None:
        assert not pid_alive(me["pid"], me["pid_start"] + 1)  # a reused pid is another process
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not pid_alive(child.pid)


ABANDON = """
import os, sys, optuna
from xlstm_ts.tuning.storage import open_storage, worker_identity
storage, _ = open_storage(sys.argv[1], heartbeat_interval=1, grace_period=600)
study = optuna.create_study(storage=storage, study_name="s", load_if_exists=True)
trial = study.ask()
trial.set_user_attr("worker", worker_identity())
os._exit(0)   # dies with the trial RUNNING, like a SIGKILL
"""


def test_dead_worker_trial_is_failed_at_once_on_the_same_machine(tmp_path: Path) -> None:
    url = str(tmp_path / "s.journal")
    subprocess.run([sys.executable, "-c", ABANDON, url], check=True, timeout=60)
    storage, _ = open_storage(url, heartbeat_interval=1, grace_period=600)
    study = optuna.load_study(study_name="s", storage=storage)
    live = study.ask()  # a trial of this (live) process stays running
    live.set_user_attr("worker", worker_identity())
    assert [t.state for t in study.trials] == [TrialState.RUNNING, TrialState.RUNNING]
    fail_stale(study)
    dead, mine = study.trials
    assert dead.state == TrialState.FAIL and mine.state == TrialState.RUNNING
    assert "is gone (killed or crashed)" in dead.user_attrs[FAIL_REASON_KEY]


def test_other_machine_trial_is_failed_after_the_grace_period(tmp_path: Path) -> None:
    storage, _ = open_storage(str(tmp_path / "h.journal"), heartbeat_interval=1, grace_period=5)
    assert isinstance(storage, JournalHeartbeatStorage)
    study = optuna.create_study(storage=storage, study_name="h")
    remote = {"host": "elsewhere", "machine": "elsewhere|boot|ns", "pid": 1, "pid_start": 1}
    fresh, old = study.ask(), study.ask()
    for trial in (fresh, old):
        trial.set_user_attr("worker", remote)
    storage.record_heartbeat(fresh._trial_id)
    storage.set_trial_system_attr(old._trial_id, HEARTBEAT_KEY, time.time() - 60)
    fail_stale(study)
    states = {t.number: t for t in study.trials}
    assert states[fresh.number].state == TrialState.RUNNING
    assert states[old.number].state == TrialState.FAIL
    assert "no heartbeat for" in states[old.number].user_attrs[FAIL_REASON_KEY]


def test_optimize_records_journal_heartbeats(tmp_path: Path) -> None:
    storage, _ = open_storage(str(tmp_path / "b.journal"), heartbeat_interval=1, grace_period=5)
    study = optuna.create_study(storage=storage, study_name="b")
    study.optimize(lambda trial: time.sleep(1.3) or 0.0, n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.COMPLETE
    assert time.time() - trial.system_attrs[HEARTBEAT_KEY] < 30


@pytest.mark.parametrize("cores, threads, expected", [(2, None, 1), (5, None, 2), (1, None, 1), (2, 3, 3)])
def test_trial_threads_divide_the_cores_among_live_local_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cores: int, threads: int | None, expected: int
) -> None:
    from xlstm_ts.tuning import sweep as sweep_module
    from xlstm_ts.tuning.storage import WORKER_KEY, local_workers

    storage, _ = open_storage(str(tmp_path / "threads.journal"))
    study = optuna.create_study(study_name="t", storage=storage)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        workers = [  # a live worker here, a dead one here, a live-looking one on another machine, this process
            {"host": socket.gethostname(), "machine": machine_id(), "pid": other.pid, "pid_start": None},
            {"host": socket.gethostname(), "machine": machine_id(), "pid": dead.pid, "pid_start": None},
            {"host": "elsewhere", "machine": "elsewhere|x|y", "pid": os.getpid(), "pid_start": None},
            worker_identity(),
        ]
        for worker in workers:
            trial = study.ask()
            trial.set_user_attr(WORKER_KEY, worker)
        finished = study.ask()  # a finished trial of the live worker does not count it twice
        finished.set_user_attr(WORKER_KEY, workers[0])
        study.tell(finished, 1.0)
        assert local_workers(storage) == 2
        monkeypatch.setattr(sweep_module, "usable_cores", lambda: cores)
        assert sweep_module.trial_threads(threads, storage) == expected
    finally:
        other.kill()
        other.wait()
