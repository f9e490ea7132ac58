"""Search spaces: every parameter is sampled, every sample is a valid run config, fixed settings
are not searched."""

from __future__ import annotations

import optuna
import pytest

from xlstm_ts.models.registry import MODELS
from xlstm_ts.pipeline.run_config import RunConfig
from xlstm_ts.tuning.objective import SweepError, SweepObjective, base_values, fixed_params, overrides_for_model
from xlstm_ts.tuning.spaces import (
    RATIOS,
    SPACES,
    ProbeTrial,
    SpaceContext,
    get_space,
    space_parameters,
    suggest_config,
)

XLSTM_PARAMS = {
    "lookback", "batch_size", "learning_rate", "ratio", "num_blocks", "embedding_dim", "num_heads",
    "token_axis", "patch_len", "patch_stride_fraction", "decomposition", "dropout", "cycle_length",
}


def _base(model: str) -> dict:
    return base_values(model, "ETTh1", 96)


def test_every_model_has_a_space() -> None:
    assert set(SPACES) == set(MODELS)
    with pytest.raises(ValueError, match="no search space for model 'nope'"):
        get_space("nope")


def test_xlstm_space_names_the_issue_parameters() -> None:
    assert set(space_parameters("xlstm")) == XLSTM_PARAMS
    assert RATIOS == ("1:0", "7:1", "3:1", "1:1", "1:3", "0:1")
    assert space_parameters("naive") == () and space_parameters("seasonal_naive") == ()
    assert {"lookback", "learning_rate", "batch_size"} <= set(space_parameters("dlinear"))


@pytest.mark.parametrize("model", sorted(MODELS))
def test_fixed_trial_with_every_parameter_gives_a_valid_config(model: str) -> None:
    probe = ProbeTrial()
    get_space(model)(probe, SpaceContext())
    params = dict(probe.params)
    assert set(params) == set(space_parameters(model))
    values = suggest_config(model, optuna.trial.FixedTrial(params), _base(model))
    config = RunConfig.from_dict(values)
    assert config.model == model
    for name, value in params.items():
        if name == "patch_stride_fraction":
            assert values["network"]["patch_stride"] == max(1, round(values["network"]["patch_len"] * value))
            continue
        section = "data" if name in ("lookback", "batch_size") else "train" if name == "learning_rate" else "network"
        assert values[section][name] == value, name


@pytest.mark.parametrize("model", ["xlstm", "dlinear", "nlinear", "patchtst", "lstm"])
def test_random_sampling_covers_every_parameter_and_stays_valid(model: str) -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen: set[str] = set()
    ratios: set[str] = set()
    for _ in range(60):
        trial = study.ask()
        values = suggest_config(model, trial, _base(model))
        RunConfig.from_dict(values).network_config()  # validates every field
        seen |= set(trial.params)
        ratios.add(values["network"].get("ratio"))
        study.tell(trial, 1.0)
    assert seen == set(space_parameters(model))
    if model == "xlstm":
        assert ratios == set(RATIOS)


def test_short_dataset_gets_short_lookbacks() -> None:
    assert SpaceContext.for_dataset("ETTh1", 96).lookbacks == (96, 192, 336, 512, 720)
    ili = SpaceContext.for_dataset("ILI", 24)
    assert max(ili.lookbacks) == 104 and ili.seasonal_period == 52


def test_set_values_are_fixed_not_searched() -> None:
    objective = SweepObjective("xlstm", _base("xlstm"), ["lookback=48", "embedding_dim=16", "train.learning_rate=0.01"])
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    trial = study.ask()
    config = objective.trial_config(trial)
    assert config.data.lookback == 48 and config.network["embedding_dim"] == 16
    assert config.train.learning_rate == 0.01
    assert not {"lookback", "embedding_dim", "learning_rate"} & set(trial.params)
    assert "ratio" in trial.params
    assert fixed_params(["data.lookback=48", "ratio=1:1"]) == {"lookback": 48, "ratio": "1:1"}


def test_overrides_per_model() -> None:
    items = ["limit_train_batches=2", "xlstm.embedding_dim=16", "num_blocks=1"]
    assert overrides_for_model("xlstm", items, strict=False) == ["limit_train_batches=2", "embedding_dim=16", "num_blocks=1"]
    # dlinear has no num_blocks: skipped in a multi-model sweep, an error in a single-model one
    assert overrides_for_model("dlinear", items, strict=False) == ["limit_train_batches=2"]
    objective = SweepObjective("dlinear", _base("dlinear"), overrides_for_model("dlinear", items, strict=True))
    with pytest.raises(ValueError, match="num_blocks"):
        objective.trial_config(optuna.trial.FixedTrial({"lookback": 96, "batch_size": 32, "learning_rate": 1e-3,
                                                        "moving_avg": 25, "individual": False}))


def test_ddp_is_refused() -> None:
    objective = SweepObjective("naive", _base("naive"), ["strategy=ddp"])
    with pytest.raises(SweepError, match="one process"):
        objective.trial_config(optuna.trial.FixedTrial({}))
