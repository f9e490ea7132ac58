"""An end-to-end sweep in-process: xLSTM and two baselines, 3 trials each on tiny configs; the best
YAML, the refit's test metrics, the comparison table, the report's plots; reruns add nothing."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import optuna
import pytest
import torch
from optuna.trial import TrialState

from xlstm_ts.cli import main
from xlstm_ts.pipeline.run_config import RunConfig
from xlstm_ts.tuning.storage import open_storage
from xlstm_ts.tuning.sweep import make_sampler

NAME = "tiny"


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory, sweep_argv) -> tuple[Path, str]:
    """(output dir, printed output) of `sweep --model xlstm --baselines naive,dlinear --trials 3`."""
    out = tmp_path_factory.mktemp("sweep")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            code = main(sweep_argv("--baselines", "naive,dlinear", "--study-name", NAME,
                                            "--output-dir", str(out), "--seed", "7"))
    finally:
        torch.set_num_threads(threads)
    assert code == 0, buffer.getvalue()
    return out, buffer.getvalue()


def _studies(out: Path) -> dict[str, optuna.Study]:
    storage, _ = open_storage(str(out / f"{NAME}.journal"))
    return {m: optuna.load_study(study_name=f"{NAME}-{m}", storage=storage) for m in ("xlstm", "naive", "dlinear")}


def test_sweep_runs_the_budget_and_writes_a_loadable_best_yaml(swept: tuple[Path, str]) -> None:
    from xlstm_ts.cli import build_parser, run_config_from_args

    out, _ = swept
    studies = _studies(out)
    assert [t.state for t in studies["xlstm"].trials] == [TrialState.COMPLETE] * 3
    assert [t.state for t in studies["dlinear"].trials] == [TrialState.COMPLETE] * 3
    assert len(studies["naive"].trials) == 1  # nothing to search: one trial
    for model, study in studies.items():
        best_yaml = out / f"{NAME}-{model}" / "best.yaml"
        config = RunConfig.from_yaml(best_yaml)
        assert config.model == model and config.data.lookback == 48 and config.data.horizon == 24
        assert config.to_dict() == study.best_trial.user_attrs["config"]
        # what `xlstm-ts fit --config best.yaml` builds
        args = build_parser().parse_args(["fit", "--config", str(best_yaml)])
        assert run_config_from_args(args).to_dict() == config.to_dict()
        assert (out / f"{NAME}-{model}" / "refit" / "metrics.json").is_file()
    xlstm = RunConfig.from_yaml(out / f"{NAME}-xlstm" / "best.yaml")
    assert xlstm.network["embedding_dim"] == 16 and xlstm.network["num_blocks"] == 1


def test_selection_is_on_validation_and_the_refit_is_tested(swept: tuple[Path, str]) -> None:
    out, _ = swept
    for study in _studies(out).values():
        for trial in study.trials:
            assert trial.value == trial.user_attrs["val_mse"]
            assert not [k for k in trial.user_attrs if k.startswith("test")]
        best = study.best_trial
        assert best.value == min(t.value for t in study.trials)
        refit = study.user_attrs["refit"]
        assert refit["trial"] == best.number and refit["test_mse"] > 0 and refit["test_mae"] > 0
        assert refit["val_mse"] == pytest.approx(best.value, rel=1e-3)  # same seed: the refit reproduces it


def test_comparison_table_is_printed(swept: tuple[Path, str]) -> None:
    _, printed = swept
    table = printed[printed.index("model "):]
    for model in ("xlstm", "naive", "dlinear"):
        assert f"\n{model} " in table
    assert "vs xlstm" in table and "%" in table
    assert "xLSTM ratio effect" in printed and "best xlstm config:" in printed


def test_sweep_report_prints_the_table_and_saves_plots(swept: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = swept
    assert main(["sweep-report", "--study-name", NAME, "--output-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "test MSE" in printed and "\ndlinear " in printed
    report = out / f"{NAME}-report"
    for name in (f"{NAME}-xlstm-history.png", f"{NAME}-xlstm-importances.png", f"{NAME}-xlstm-ratio.png",
                 f"{NAME}-dlinear-history.png", "report.txt", "report.json", f"{NAME}-xlstm-best.yaml"):
        assert (report / name).is_file(), name
    assert (report / f"{NAME}-xlstm-ratio.png").read_bytes()[:4] == b"\x89PNG"


def test_rerun_adds_no_trial_and_no_refit(swept: tuple[Path, str], sweep_argv) -> None:
    from xlstm_ts.cli import build_parser
    from xlstm_ts.cli.sweep import settings_from_args
    from xlstm_ts.tuning.sweep import run_sweep

    out, _ = swept
    args = build_parser().parse_args(sweep_argv("--baselines", "naive,dlinear", "--study-name", NAME,
                                                "--output-dir", str(out), "--seed", "7"))
    settings = settings_from_args(args)
    settings.log = lambda text: None
    outcomes = run_sweep(settings)
    assert [(o.model, o.trials_run, o.finished, o.refit) for o in outcomes] == [
        ("xlstm", 0, True, None), ("naive", 0, True, None), ("dlinear", 0, True, None)]


def test_a_study_of_another_sweep_is_refused(swept: tuple[Path, str], sweep_argv, capsys) -> None:
    out, _ = swept
    code = main(sweep_argv("--study-name", f"{NAME}-dlinear", "--storage", str(out / f"{NAME}.journal"),
                                    "--output-dir", str(out)))
    assert code == 2
    assert "belongs to another sweep: model='dlinear' (asked: 'xlstm')" in capsys.readouterr().err


def test_sampler_is_reproducible_and_differs_between_trials() -> None:
    def params(seed: int, n: int) -> list[dict]:
        study = optuna.create_study(sampler=make_sampler(seed, 30))
        study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("k", 0, 100), n_trials=n)
        return [t.params for t in study.trials]

    first = params(3, 4)
    assert first == params(3, 4)
    assert len({tuple(sorted(p.items())) for p in first}) == 4
    assert first != params(4, 4)
