"""Pruning: the Lightning callback reports val_loss per epoch, the median pruner stops a bad trial."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import optuna
import pytest
import torch
from optuna.trial import TrialState

from xlstm_ts.tuning.objective import SweepObjective, base_values
from xlstm_ts.tuning.pruning import OptunaPruning, TrainingDiverged


def _trainer(value: float, epoch: int = 0) -> SimpleNamespace:
    return SimpleNamespace(sanity_checking=False, current_epoch=epoch, callback_metrics={"val_loss": torch.tensor(value)})


def _study_with_one_good_trial() -> optuna.Study:
    study = optuna.create_study(pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0))
    good = study.ask()
    good.report(1.0, step=0)
    study.tell(good, 1.0)
    return study


def test_callback_prunes_a_trial_worse_than_the_median() -> None:
    study = _study_with_one_good_trial()
    better = OptunaPruning(study.ask(), "val_loss")
    better.on_validation_end(_trainer(0.5), None)  # better than the median: goes on
    assert better.reported == {0: 0.5}
    worse = OptunaPruning(study.ask(), "val_loss")
    with pytest.raises(optuna.TrialPruned, match="pruned after epoch 0"):
        worse.on_validation_end(_trainer(50.0), None)


def test_callback_ignores_the_sanity_check_and_stops_on_nan() -> None:
    study = optuna.create_study(pruner=optuna.pruners.NopPruner())
    trial = study.ask()
    callback = OptunaPruning(trial, "val_loss")
    callback.on_validation_end(SimpleNamespace(sanity_checking=True), None)
    assert callback.reported == {}
    with pytest.raises(TrainingDiverged, match="diverged"):
        callback.on_validation_end(_trainer(float("nan")), None)
    with pytest.raises(KeyError, match="logs no 'val_loss'"):
        OptunaPruning(trial).on_validation_end(SimpleNamespace(sanity_checking=False, current_epoch=0, callback_metrics={}), None)


@pytest.mark.filterwarnings("ignore:Fixed parameter learning_rate")
def test_absurd_learning_rate_is_pruned_in_a_real_run(etth1_dir: Path) -> None:
    """Two real tiny trainings: a sane one completes, one with learning rate 50 is pruned at epoch 0."""
    base = base_values("dlinear", "ETTh1", 24, data_dir=str(etth1_dir), max_epochs=2, seed=1)
    objective = SweepObjective("dlinear", base, ["lookback=48", "limit_train_batches=3", "eval_batch_size=512"])
    study = optuna.create_study(pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0))
    fixed = {"batch_size": 32, "moving_avg": 25, "individual": False}
    study.enqueue_trial({**fixed, "learning_rate": 1e-3})
    study.enqueue_trial({**fixed, "learning_rate": 50.0}, skip_if_exists=False)
    study.optimize(objective, n_trials=2, catch=(Exception,))
    good, bad = study.trials
    assert good.state == TrialState.COMPLETE, good.user_attrs.get("fail_reason")
    assert good.user_attrs["val_mse"] == good.value and "test_mse" not in good.user_attrs
    assert set(good.intermediate_values) == {0, 1}
    assert bad.state == TrialState.PRUNED, bad.user_attrs.get("fail_reason")
    assert bad.last_step == 0 and bad.intermediate_values[0] > good.intermediate_values[0]


def test_failed_trial_records_its_reason(etth1_dir: Path) -> None:
    base = base_values("xlstm", "ETTh1", 24, data_dir=str(etth1_dir), max_epochs=1)
    # 3 heads do not divide a width of 16: the config is invalid, the trial fails with the reason
    objective = SweepObjective("xlstm", base, ["lookback=48", "embedding_dim=16", "num_heads=3"])
    study = optuna.create_study()
    study.optimize(objective, n_trials=1, catch=(Exception,))
    trial = study.trials[0]
    assert trial.state == TrialState.FAIL
    assert "divisible by num_heads=3" in trial.user_attrs["fail_reason"]
    assert trial.user_attrs["worker"]["pid"] > 0


def _budget_trainer(batches_per_epoch: float, max_epochs: int) -> SimpleNamespace:
    return SimpleNamespace(num_training_batches=batches_per_epoch, max_epochs=max_epochs)


def _run_batches(callback, trainer, n: int, seconds_each: float, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlstm_ts.tuning.pruning as pruning

    clock = [0.0]
    monkeypatch.setattr(pruning.time, "perf_counter", lambda: clock[0])
    for i in range(n):
        callback.on_train_batch_start(trainer, None, None, i)
        clock[0] += seconds_each
        callback.on_train_batch_end(trainer, None, None, None, i)


@pytest.mark.parametrize(
    "per_epoch,epochs,seconds_each,budget,pruned",
    [
        (100, 10, 0.05, 60.0, False),  # 1000 batches x 0.05 s = 50 s: inside
        (100, 10, 0.07, 60.0, True),  # 70 s projected: over
        (float("inf"), 3, 0.05, 60.0, False),  # unknown length: only the elapsed time counts
    ],
)
def test_time_budget_prunes_trials_projected_over_it(per_epoch: float, epochs: int, seconds_each: float,
                                                     budget: float, pruned: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from xlstm_ts.tuning.pruning import TIME_PRUNED_KEY, TrialTimeBudget

    trial = optuna.create_study().ask()
    callback = TrialTimeBudget(trial, budget, check_batches=10)
    trainer = _budget_trainer(per_epoch, epochs)
    if pruned:
        with pytest.raises(optuna.TrialPruned, match="pruned for time"):
            _run_batches(callback, trainer, 10, seconds_each, monkeypatch)
        record = trial.user_attrs[TIME_PRUNED_KEY]
        assert record["budget_s"] == budget and record["projected_s"] == pytest.approx(70.0)
    else:
        _run_batches(callback, trainer, 10, seconds_each, monkeypatch)
        assert TIME_PRUNED_KEY not in trial.user_attrs


def test_time_budget_stops_a_run_whose_elapsed_time_passes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from xlstm_ts.tuning.pruning import TrialTimeBudget

    callback = TrialTimeBudget(optuna.create_study().ask(), 5.0, check_batches=100)
    with pytest.raises(optuna.TrialPruned, match="over the trial budget of 5 s"):
        _run_batches(callback, _budget_trainer(float("inf"), 1), 3, 2.0, monkeypatch)  # 6 s before 100 batches
    with pytest.raises(ValueError, match="seconds must be > 0"):
        TrialTimeBudget(optuna.create_study().ask(), 0.0)


def test_a_real_trial_over_its_time_budget_is_pruned(etth1_dir: Path) -> None:
    base = base_values("dlinear", "ETTh1", 24, data_dir=str(etth1_dir), max_epochs=2, seed=1)
    objective = SweepObjective("dlinear", base, ["lookback=48", "eval_batch_size=512"], pruning=False,
                               trial_budget=1e-6)
    study = optuna.create_study()
    study.optimize(objective, n_trials=1, catch=(Exception,))
    (trial,) = study.trials
    assert trial.state == TrialState.PRUNED, trial.user_attrs.get("fail_reason")
    assert trial.user_attrs["pruned_for_time"]["budget_s"] == 1e-6
