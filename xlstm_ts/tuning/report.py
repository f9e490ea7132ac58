"""The sweep report: xLSTM against each baseline, the ratio's effect, and Optuna's plots.

A sweep named NAME consists of the study NAME (a single-model sweep) and/or the studies
NAME-<model> (``--model all`` / ``--baselines``). For each: trial counts, the best validation MSE
(the selection criterion), and the test metrics of the refit of the best config (stored by the
sweep in the study's ``refit`` user attribute), relative to xLSTM's. Plots (PNG, matplotlib Agg):
``<study>-history.png`` (optimization history), ``<study>-importances.png`` (parameter
importances), and for xLSTM ``<study>-ratio.png`` (validation MSE of every complete trial per
mLSTM:sLSTM ratio).
"""

from __future__ import annotations

import json
import math
import statistics
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from xlstm_ts.tuning.objective import SweepError
from xlstm_ts.tuning.spaces import RATIOS
from xlstm_ts.tuning.storage import FAIL_REASON_KEY
from xlstm_ts.tuning.sweep import REFIT_KEY, SETTINGS_KEY


def find_studies(storage: Any, name: str, display: str = "the storage") -> list[str]:
    """The studies of sweep ``name``: ``name`` itself and ``name-<model>`` (registry order)."""
    from xlstm_ts.models.registry import MODELS

    existing = [s.study_name for s in storage.get_all_studies()]
    selected = [name] if name in existing else []
    selected += [f"{name}-{model}" for model in MODELS if f"{name}-{model}" in existing]
    if not selected:
        known = ", ".join(sorted(existing)) or "none"
        raise SweepError(f"no study {name!r} (nor {name}-<model>) in {display}; studies there: {known}")
    return selected


def _model_of(study: optuna.Study) -> str:
    settings = study.user_attrs.get(SETTINGS_KEY) or {}
    if settings.get("model"):
        return str(settings["model"])
    for trial in study.get_trials(deepcopy=False):
        config = trial.user_attrs.get("config")
        if isinstance(config, dict) and config.get("model"):
            return str(config["model"])
    return "?"


def ratio_of(trial: FrozenTrial) -> str | None:
    """The xLSTM[a:b] ratio a trial used (sampled, or fixed in its config)."""
    if "ratio" in trial.params:
        return str(trial.params["ratio"])
    config = trial.user_attrs.get("config") or {}
    ratio = (config.get("network") or {}).get("ratio") if config.get("model") == "xlstm" else None
    return str(ratio) if ratio is not None else None


def summarize(study: optuna.Study) -> dict[str, Any]:
    """Counts, best trial and refit metrics of one study (plain dict)."""
    trials = study.get_trials(deepcopy=False)
    counts = {state.name.lower(): sum(t.state == state for t in trials) for state in TrialState}
    summary: dict[str, Any] = {
        "study": study.study_name,
        "model": _model_of(study),
        "trials": len(trials),
        "budget": (study.user_attrs.get(SETTINGS_KEY) or {}).get("budget"),
        **{k: counts[k] for k in ("complete", "pruned", "fail", "running")},
        "best_trial": None,
        "best_val_mse": None,
        "best_params": {},
        "refit": study.user_attrs.get(REFIT_KEY),
        "fail_reasons": sorted({str(t.user_attrs.get(FAIL_REASON_KEY, t.system_attrs.get("fail_reason", "?")))
                                for t in trials if t.state == TrialState.FAIL}),
    }
    try:
        best = study.best_trial
    except ValueError:
        return summary
    summary.update(best_trial=best.number, best_val_mse=best.value, best_params=dict(best.params))
    if summary["refit"] and summary["refit"].get("trial") != best.number:
        summary["refit_stale"] = True
    return summary


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def comparison_table(summaries: list[dict[str, Any]]) -> str:
    """Aligned text table: one row per model, test MSE relative to xLSTM's."""
    reference = next((s for s in summaries if s["model"] == "xlstm" and s.get("refit")), None)
    ref_mse = reference["refit"].get("test_mse") if reference else None
    header = ["model", "trials", "complete", "pruned", "failed", "running", "best val MSE", "best trial",
              "test MSE", "test MAE", "vs xlstm"]
    rows = []
    for s in summaries:
        refit = s.get("refit") or {}
        test_mse = refit.get("test_mse")
        if ref_mse and test_mse is not None and s["model"] != "xlstm":
            relative = f"{100.0 * (test_mse / ref_mse - 1.0):+.1f}%"
        else:
            relative = "-"
        stale = "*" if s.get("refit_stale") else ""
        rows.append([
            s["model"], f"{s['trials']}/{s['budget']}" if s.get("budget") else str(s["trials"]),
            str(s["complete"]), str(s["pruned"]), str(s["fail"]), str(s["running"]),
            _fmt(s["best_val_mse"]), f"#{s['best_trial']}" if s["best_trial"] is not None else "-",
            _fmt(test_mse) + stale, _fmt(refit.get("test_mae")) + stale, relative,
        ])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    notes = ["test MSE/MAE: the best config (lowest validation MSE) retrained once and evaluated on every test window (scaled data)."]
    if any(s.get("refit_stale") for s in summaries):
        notes.append("*: the refit is of an earlier best trial; rerun `xlstm-ts sweep` with the same study to refit the new best.")
    if any(s["trials"] and not s.get("refit") for s in summaries):
        notes.append("-: no refit yet (budget not finished, or no trial completed).")
    return "\n".join(lines + [""] + notes)


def ratio_table(study: optuna.Study) -> str | None:
    """Per xLSTM[a:b] ratio: complete trials, best and median validation MSE (None if no ratio)."""
    groups: dict[str, list[float]] = {}
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        ratio = ratio_of(trial)
        if ratio is not None and trial.value is not None:
            groups.setdefault(ratio, []).append(trial.value)
    if not groups:
        return None
    order = [r for r in RATIOS if r in groups] + sorted(r for r in groups if r not in RATIOS)
    lines = [f"{'ratio (m:s)':<12} {'trials':>6} {'best val MSE':>13} {'median val MSE':>15}"]
    for ratio in order:
        values = groups[ratio]
        lines.append(f"{ratio:<12} {len(values):>6} {min(values):>13.4f} {statistics.median(values):>15.4f}")
    return "\n".join(lines)


def format_report(studies: list[optuna.Study]) -> tuple[str, list[dict[str, Any]]]:
    """The printed report and the summaries it was made from."""
    summaries = [summarize(study) for study in studies]
    parts = [comparison_table(summaries), "", "best parameters:"]
    for s in summaries:
        params = ", ".join(f"{k}={_fmt(v, 6)}" for k, v in s["best_params"].items()) or "(none searched)"
        parts.append(f"  {s['model']} ({s['study']}, trial #{s['best_trial']}): {params}"
                     if s["best_trial"] is not None else f"  {s['model']} ({s['study']}): no complete trial")
        if s["fail_reasons"]:
            parts.append(f"    failures: {'; '.join(s['fail_reasons'][:3])}")
    for study, s in zip(studies, summaries):
        table = ratio_table(study) if s["model"] == "xlstm" else None
        if table:
            parts += ["", f"xLSTM ratio effect ({s['study']}):", table]
    return "\n".join(parts), summaries


# --------------------------------------------------------------------------- plots
def _save(ax: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure = ax.figure if hasattr(ax, "figure") else ax.flat[0].figure
    figure.set_size_inches(8, 5)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_ratio_effect(study: optuna.Study, path: Path) -> Path | None:
    """Validation MSE of every complete trial per ratio, the best of each marked."""
    import matplotlib.pyplot as plt

    groups: dict[str, list[float]] = {}
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        ratio = ratio_of(trial)
        if ratio is not None and trial.value is not None and math.isfinite(trial.value):
            groups.setdefault(ratio, []).append(trial.value)
    if not groups:
        return None
    order = [r for r in RATIOS if r in groups] + sorted(r for r in groups if r not in RATIOS)
    figure, ax = plt.subplots()
    for i, ratio in enumerate(order):
        values = groups[ratio]
        ax.scatter([i] * len(values), values, alpha=0.6, color="tab:blue")
        ax.scatter([i], [min(values)], marker="_", s=600, color="tab:red")
    ax.set_xticks(range(len(order)), [f"xLSTM[{r}]" for r in order])
    ax.set_xlabel("mLSTM:sLSTM ratio")
    ax.set_ylabel("validation MSE (complete trials; red: best)")
    ax.set_title(f"{study.study_name}: effect of the block ratio")
    return _save(ax, path)


def write_plots(study: optuna.Study, out_dir: Path) -> tuple[list[Path], list[str]]:
    """History, importances and (xLSTM) ratio plots of ``study``; returns (paths, skipped notes)."""
    import matplotlib

    matplotlib.use("Agg")
    from optuna.visualization import matplotlib as ovm

    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    skipped: list[str] = []
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if complete:
            paths.append(_save(ovm.plot_optimization_history(study), out_dir / f"{study.study_name}-history.png"))
        else:
            skipped.append(f"{study.study_name}: no complete trial, no history plot")
        searched = {name for t in complete for name in t.params}
        if len(complete) >= 2 and searched:
            try:
                paths.append(_save(ovm.plot_param_importances(study), out_dir / f"{study.study_name}-importances.png"))
            except Exception as err:  # e.g. every trial with the same parameters
                skipped.append(f"{study.study_name}: no importance plot ({type(err).__name__}: {err})")
        else:
            skipped.append(f"{study.study_name}: importances need >= 2 complete trials with searched parameters")
        if _model_of(study) == "xlstm":
            ratio = plot_ratio_effect(study, out_dir / f"{study.study_name}-ratio.png")
            if ratio is not None:
                paths.append(ratio)
    return paths, skipped


def write_report(storage: Any, name: str, out_dir: str | Path, *, plots: bool = True,
                 display: str = "the storage") -> tuple[str, list[Path]]:
    """Print-ready report of sweep ``name``; writes report.txt, report.json, best YAMLs and plots
    into ``out_dir``. Returns (text, written files)."""
    from xlstm_ts.pipeline.run_config import RunConfig

    names = find_studies(storage, name, display)
    studies = [optuna.load_study(study_name=n, storage=storage) for n in names]
    text, summaries = format_report(studies)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "report.txt", out / "report.json"]
    (out / "report.txt").write_text(text + "\n")
    (out / "report.json").write_text(json.dumps(summaries, indent=2, default=str) + "\n")
    for study, summary in zip(studies, summaries):
        if summary["best_trial"] is not None:
            config = study.best_trial.user_attrs.get("config")
            if config:
                path = out / f"{study.study_name}-best.yaml"
                RunConfig.from_dict(config).to_yaml(path)
                written.append(path)
    notes: list[str] = []
    if plots:
        for study in studies:
            paths, skipped = write_plots(study, out)
            written += paths
            notes += skipped
    if notes:
        text += "\n\n" + "\n".join(f"note: {n}" for n in notes)
    return text, written
