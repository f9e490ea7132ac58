"""Several sweep worker processes on one journal file: the budget is shared exactly, no trial runs
twice, and the trials of killed or terminated workers end up failed with a reason."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from xlstm_ts.cli import build_parser
from xlstm_ts.cli.sweep import settings_from_args
from xlstm_ts.tuning.storage import FAIL_REASON_KEY, open_storage
from xlstm_ts.tuning.sweep import run_sweep

pytestmark = pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")


def _load(url: str, name: str) -> optuna.Study:
    storage, _ = open_storage(url)
    return optuna.load_study(study_name=name, storage=storage)


def test_two_workers_share_one_journal(tmp_path: Path, sweep_argv, start_worker, finish) -> None:
    url = str(tmp_path / "shared.journal")
    argv = sweep_argv("--storage", url, "--study-name", "pair", "--output-dir", str(tmp_path / "out"), trials=4)
    workers = [start_worker(argv, "a"), start_worker(argv, "b")]
    outputs = [finish(w) for w in workers]
    study = _load(url, "pair")
    trials = study.trials
    assert [t.number for t in trials] == [0, 1, 2, 3]  # exactly the budget, between them
    assert all(t.state == TrialState.COMPLETE for t in trials), [t.user_attrs.get(FAIL_REASON_KEY) for t in trials]
    assert {t.user_attrs["worker"]["pid"] for t in trials} == {w.pid for w in workers}  # both worked
    assert len({tuple(sorted(t.params.items())) for t in trials}) == 4  # no configuration twice
    assert study.user_attrs["refit"]["trial"] == study.best_trial.number
    assert sum("refitting the best trial" in o for o in outputs) == 1  # one worker refits
    assert (tmp_path / "out" / "pair" / "best.yaml").is_file()


def test_killed_and_terminated_workers_trials_fail_with_a_reason(tmp_path: Path, sweep_argv, start_worker) -> None:
    url = str(tmp_path / "kill.journal")
    slow = sweep_argv("--storage", url, "--study-name", "k", "--output-dir", str(tmp_path / "out"),
                      "--set", "limit_train_batches=400", "--set", "patience=0", "--max-epochs", "50", trials=3)
    killed, terminated = start_worker(slow, "killed"), start_worker(slow, "terminated")
    deadline = time.monotonic() + 150
    while True:  # until both workers run a trial
        running = []
        if Path(url).exists() and Path(url).stat().st_size:
            try:
                running = [t for t in _load(url, "k").trials if t.state == TrialState.RUNNING and "worker" in t.user_attrs]
            except KeyError:  # the study is not created yet
                pass
        if len(running) == 2:
            break
        assert time.monotonic() < deadline, killed.log_path.read_text()[-2000:]
        assert killed.poll() is None and terminated.poll() is None, killed.log_path.read_text()[-2000:]
        time.sleep(0.5)
    killed.send_signal(signal.SIGKILL)
    terminated.send_signal(signal.SIGTERM)
    assert killed.wait(timeout=60) == -signal.SIGKILL
    assert terminated.wait(timeout=60) == 130, terminated.log_path.read_text()[-2000:]
    by_pid = {t.user_attrs["worker"]["pid"]: t for t in running}
    study = _load(url, "k")
    assert study.trials[by_pid[terminated.pid].number].state == TrialState.FAIL
    assert "interrupted" in study.trials[by_pid[terminated.pid].number].user_attrs[FAIL_REASON_KEY]
    assert study.trials[by_pid[killed.pid].number].state == TrialState.RUNNING  # nobody could mark it

    # a new worker (here in-process, with fast trials) fails the dead worker's trial and finishes the budget
    args = build_parser().parse_args(sweep_argv("--storage", url, "--study-name", "k", "--output-dir",
                                                str(tmp_path / "out"), "--max-epochs", "1", trials=3))
    settings = settings_from_args(args)
    settings.log = lambda text: None
    [outcome] = run_sweep(settings)
    assert outcome.trials_run == 1 and outcome.finished
    study = _load(url, "k")
    dead = study.trials[by_pid[killed.pid].number]
    assert dead.state == TrialState.FAIL
    assert f"worker process {killed.pid}" in dead.user_attrs[FAIL_REASON_KEY]
    assert [t.state for t in study.trials].count(TrialState.COMPLETE) == 1 and len(study.trials) == 3
    assert outcome.refit is not None and outcome.refit["trial"] == study.best_trial.number
