"""Kill safety of a sweep worker: SIGKILLed mid-trial, mid-refit, before a trial's objective or in the
middle of a journal append, then started again with the same command, the study keeps every finished
trial, the dead worker's trial ends FAIL (not RUNNING), the budget is not overrun and the best config
is refit exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.storages.journal._storage import JournalOperation
from optuna.trial import TrialState

from xlstm_ts.tuning.storage import FAIL_REASON_KEY, WORKER_KEY, open_storage

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
    pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning"),
]


def _argv(etth1_dir: Path, tmp_path: Path, *extra: str, trials: int = 3) -> list[str]:
    """`xlstm-ts sweep` of DLinear (fast trials), no pruner (every finished trial completes)."""
    return ["sweep", "--dataset", "ETTh1", "--horizon", "24", "--model", "dlinear", "--trials", str(trials),
            "--data-dir", str(etth1_dir), "--storage", str(tmp_path / "kill.journal"), "--study-name", "k",
            "--output-dir", str(tmp_path / "out"), "--pruner", "none", "--set", "lookback=48",
            "--set", "eval_batch_size=512", *extra]


def _study(tmp_path: Path) -> optuna.Study | None:
    path = tmp_path / "kill.journal"
    if not path.exists() or not path.stat().st_size:
        return None
    storage, _ = open_storage(str(path))
    try:
        return optuna.load_study(study_name="k", storage=storage)
    except KeyError:  # not created yet
        return None


def _wait_for(condition, process: subprocess.Popen, timeout: float = 150):
    """Poll `condition()` until it returns something truthy; fail if `process` ends first."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        assert process.poll() is None, f"exited {process.returncode}:\n{process.log_path.read_text()[-3000:]}"
        assert time.monotonic() < deadline, process.log_path.read_text()[-3000:]
        time.sleep(0.05)


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL


def _refits_recorded(journal: Path) -> int:
    """How many times the journal stored a refit result (the study user attribute `refit`)."""
    count = 0
    for line in journal.read_bytes().splitlines():
        log = json.loads(line)  # every line is a whole record
        count += log["op_code"] == JournalOperation.SET_STUDY_USER_ATTR and "refit" in log.get("user_attr", {})
    return count


def test_worker_killed_mid_trial_then_mid_refit_restarts_without_losing_or_repeating_anything(
    tmp_path: Path, etth1_dir: Path, start_worker, finish
) -> None:
    # trials of a few seconds, so that the kill lands inside one
    argv = _argv(etth1_dir, tmp_path, "--max-epochs", "2", "--set", "limit_train_batches=50", trials=3)

    # 1. SIGKILL while trial 1 runs (trial 0 complete)
    first = start_worker(argv, "first")

    def running_after_a_complete() -> tuple[list, optuna.trial.FrozenTrial] | None:
        study = _study(tmp_path)
        if study is None:
            return None
        complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
        running = [t for t in study.trials if t.state == TrialState.RUNNING
                   and t.user_attrs.get(WORKER_KEY, {}).get("pid") == first.pid]
        return (complete, running[0]) if complete and running else None

    complete_before, killed_trial = _wait_for(running_after_a_complete, first)
    _kill(first)
    study = _study(tmp_path)
    assert study.trials[killed_trial.number].state == TrialState.RUNNING  # nobody could mark it yet

    # 2. the same command again: fails the dead worker's trial, runs the rest of the budget, starts the
    # refit; SIGKILL it in the middle of the refit
    second = start_worker(argv, "second")
    _wait_for(lambda: "refitting the best trial" in second.log_path.read_text(), second)
    _kill(second)
    study = _study(tmp_path)
    assert "refit" not in study.user_attrs and study.user_attrs["refit_claim"]["worker"]["pid"] == second.pid

    # 3. the same command once more: nothing left to run; the dead worker's refit claim is taken over
    output = finish(start_worker(argv, "third"))
    assert "refitting the best trial" in output and "[k] trial " not in output  # no trial run

    study = _study(tmp_path)
    trials = study.trials
    assert [t.number for t in trials] == [0, 1, 2]  # exactly the budget: no trial added by the restarts
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    for before in complete_before:  # the finished trials are kept as they were
        after = trials[before.number]
        assert (after.state, after.value, after.params, after.datetime_complete) == (
            TrialState.COMPLETE, before.value, before.params, before.datetime_complete)
    dead = trials[killed_trial.number]
    assert dead.state == TrialState.FAIL
    assert f"worker process {first.pid}" in dead.user_attrs[FAIL_REASON_KEY]
    # the killed trial used one of the budget's trials (the budget counts every trial started)
    assert [t.state for t in trials].count(TrialState.COMPLETE) == len(trials) - 1
    refit = study.user_attrs["refit"]
    assert refit["trial"] == study.best_trial.number and refit["test_mse"] > 0
    assert _refits_recorded(tmp_path / "kill.journal") == 1  # refit once, although it was started twice
    summary = json.loads((tmp_path / "out" / "k" / "summary.json").read_text())
    assert summary["best_trial"] == study.best_trial.number
    assert (tmp_path / "out" / "k" / "best.yaml").is_file()


_KILLED_BEFORE_THE_OBJECTIVE = """
import os, signal, sys, torch
torch.set_num_threads(1)
from xlstm_ts.tuning.sweep import TrialSeededSampler
prepare = TrialSeededSampler.before_trial

def killed_at_trial_1(self, study, trial):
    if trial.number == 1:  # the trial exists (RUNNING); neither its objective nor its heartbeat started
        os.kill(os.getpid(), signal.SIGKILL)
    return prepare(self, study, trial)

TrialSeededSampler.before_trial = killed_at_trial_1
from xlstm_ts.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_a_killed_trial_that_names_no_worker_is_failed_by_the_heartbeat_grace_period(
    tmp_path: Path, etth1_dir: Path, start_worker, finish
) -> None:
    """Killed between the creation of a trial and the start of its objective (a few ms, while Optuna
    prepares the sampler): the trial does not name its worker yet, so it is not known dead at once;
    the heartbeat check fails it once the grace period has passed (as for a worker on another machine)."""
    argv = _argv(etth1_dir, tmp_path, "--max-epochs", "1", "--set", "limit_train_batches=2",
                 "--heartbeat-interval", "1", "--grace-period", "2", trials=3)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    with open(tmp_path / "killed.log", "w") as log:
        killed = subprocess.run([sys.executable, "-c", _KILLED_BEFORE_THE_OBJECTIVE, *argv], cwd=tmp_path,
                                env=env, stdout=log, stderr=subprocess.STDOUT, timeout=150)
    assert killed.returncode == -signal.SIGKILL, (tmp_path / "killed.log").read_text()[-3000:]
    trials = _study(tmp_path).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.RUNNING]
    assert WORKER_KEY not in trials[1].user_attrs
    time.sleep(max(0.0, 2.5 - (time.time() - trials[1].datetime_start.timestamp())))  # past the grace period

    output = finish(start_worker(argv, "restart"))
    study = _study(tmp_path)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE]
    assert "no heartbeat for" in study.trials[1].user_attrs[FAIL_REASON_KEY]
    assert study.trials[0].datetime_complete == trials[0].datetime_complete  # kept as it was
    assert "refitting the best trial" in output  # budget finished, nothing left "running in other workers"
    assert study.user_attrs["refit"]["trial"] == study.best_trial.number


_KILLED_MID_APPEND = """
import os, signal, sys, warnings
import optuna
warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)
from xlstm_ts.tuning.storage import open_storage
path = sys.argv[1]
storage, _ = open_storage(path)
study = optuna.create_study(storage=storage, study_name="k")
study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
import resource
size = os.path.getsize(path)
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 40, size + 40))  # the next append stops after 40 bytes
try:
    study.set_user_attr("note", "x" * 4000)
except OSError:  # File too large (a full disk reads the same): the worker then dies
    os.kill(os.getpid(), signal.SIGKILL)
print("not cut")
"""


def test_a_journal_append_cut_by_a_dying_worker_does_not_wreck_the_study(tmp_path: Path) -> None:
    journal = tmp_path / "kill.journal"
    killed = subprocess.run([sys.executable, "-c", _KILLED_MID_APPEND, str(journal)], capture_output=True,
                            text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert not journal.read_bytes().endswith(b"\n")  # a torn last line

    def objective(trial: optuna.Trial) -> float:
        return trial.suggest_float("x", 0, 1)

    for restart in range(2):  # each restart appends after what the one before left
        storage, _ = open_storage(str(journal))
        study = optuna.load_study(study_name="k", storage=storage)
        assert [t.state for t in study.trials] == [TrialState.COMPLETE] * (2 + restart)
        if restart == 0:
            with pytest.warns(RuntimeWarning, match="removed a torn last line"):
                study.optimize(objective, n_trials=1)
        else:
            study.optimize(objective, n_trials=1)
    storage, _ = open_storage(str(journal))
    study = optuna.load_study(study_name="k", storage=storage)
    assert [t.number for t in study.trials] == [0, 1, 2, 3] and "note" not in study.user_attrs
    assert all(json.loads(line) for line in journal.read_bytes().splitlines())  # every line whole again
