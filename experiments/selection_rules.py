"""How the estimator's model="auto" rule was chosen: selection rules compared offline on the
development panel (``experiments/panel_series.DEV_PANEL``, never the reported panel).

Step 1 fits the defaults once per series and dumps, per candidate member (seasonal naive, naive,
Theta, ETS, the network), its validation errors (scaled units, captured from the estimator) and its
forecast of the held-out horizon; step 2 scores rules on the dump (geometric-mean MASE, and on how
many series a rule is worse than seasonal naive):

    OMP_NUM_THREADS=1 XLSTM_TS_DATA=../shared/datasets python experiments/selection_rules.py dump dev runs/dev/dump_dev.json
    python experiments/selection_rules.py compare runs/dev/dump_dev.json

Run 2026-12-06 on a dump made before the means existed (the old rule with ETS as a fourth simple
forecast; the dump does not depend on the rule, except that the network's forecast is the refit
one where the rule chose the network): the old rule (network, its mean with the best simple forecast, seasonal naive / naive /
Theta) 0.765, worse than seasonal naive on 3 of 20; the same with ETS 0.776; every equal-weight
mean of 2-5 of the five members as candidates 0.704 (2 of 20), the rule adopted; fixed means such
as mean(theta, ets, naive) 0.716 but 6 of 20 worse than seasonal naive; always naive 0.732. The
adopted rule's own run, `forecaster_panel.py --panel dev`, gave 0.704 too
(experiments/results/forecaster_panel_dev.json).
"""

import itertools
import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MEMBERS = ("seasonal_naive", "naive", "theta", "ets", "xlstm")
SIMPLE = list(MEMBERS[:-1])
Rule = Callable[[dict[str, np.ndarray], dict[str, np.ndarray]], np.ndarray]


def dump(which: str, out: str) -> None:
    """Fit the defaults on each series of the panel ``which`` ("dev" or "main"); write, per series,
    every member's validation errors ``val_<member>`` and held-out forecast ``fc_<member>``."""
    import torch

    import xlstm_ts.forecasting.estimator as estimator
    from experiments.panel_series import DEV_PANEL, PANEL, holdout
    from xlstm_ts.forecaster import XLSTMForecaster

    torch.set_num_threads(1)
    captured: dict[str, np.ndarray] = {}
    network_residuals, baseline_residuals = estimator.network_residuals, estimator.baseline_residuals

    def capture_network(*args, **kwargs):
        captured["xlstm"] = network_residuals(*args, **kwargs)
        return captured["xlstm"]

    def capture_baseline(name, *args):
        captured[name] = baseline_residuals(name, *args)
        return captured[name]

    estimator.network_residuals, estimator.baseline_residuals = capture_network, capture_baseline
    result = {}
    for spec in DEV_PANEL if which == "dev" else PANEL:
        captured.clear()
        _, train, test, _, scale = holdout(spec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = XLSTMForecaster(horizon=spec.horizon, random_state=0, verbose=0).fit(train)
        record = {"test": test.tolist(), "scale": scale}
        record.update({f"val_{name}": values.tolist() for name, values in captured.items()})
        for name in MEMBERS:
            model.state_.chosen_model, model.state_.ensemble_members = name, None
            record[f"fc_{name}"] = model.predict()["y"].to_numpy().tolist()
        result[spec.name] = record
        print(spec.name, flush=True)
    Path(out).write_text(json.dumps(result))


def _mae(errors: np.ndarray) -> float:
    return float(np.mean(np.abs(errors)))


def _gm(values: np.ndarray) -> float:
    return float(np.exp(np.mean(np.log(values))))


def current_rule(simple: list[str]) -> Rule:
    """The rule before the means: the best of ``simple``, the network and its mean with the best simple."""
    def rule(val, fc):
        best = min((k for k in simple if k in val), key=lambda k: _mae(val[k]))
        learned = {"xlstm": (val["xlstm"], fc["xlstm"]),
                   "ensemble": (0.5 * (val["xlstm"] + val[best]), 0.5 * (fc["xlstm"] + fc[best]))}
        name = min(learned, key=lambda k: _mae(learned[k][0]))
        return learned[name][1] if _mae(learned[name][0]) < _mae(val[best]) else fc[best]
    return rule


def fixed_mean(members: list[str]) -> Rule:
    return lambda val, fc: np.mean([fc[m] for m in members if m in fc], axis=0)


def select_among(simple: list[str], groups: list[tuple[str, ...]]) -> Rule:
    """The single member or equal-weight mean in ``groups`` with the least validation MAE."""
    def rule(val, fc):
        scored = {(k,): (val[k], fc[k]) for k in [*simple, "xlstm"] if k in val}
        for group in groups:
            if all(m in val for m in group):
                scored[group] = (np.mean([val[m] for m in group], 0), np.mean([fc[m] for m in group], 0))
        return scored[min(scored, key=lambda k: _mae(scored[k][0]))][1]
    return rule


def compare(path: str) -> None:
    data = json.loads(Path(path).read_text())

    def evaluate(rule: Rule) -> np.ndarray:
        scores = []
        for record in data.values():
            val = {k[4:]: np.asarray(v) for k, v in record.items() if k.startswith("val_")}
            fc = {k[3:]: np.asarray(v) for k, v in record.items() if k.startswith("fc_")}
            scores.append(np.mean(np.abs(np.asarray(record["test"]) - rule(val, fc))) / record["scale"])
        return np.asarray(scores)

    def means(pool: list[str], sizes: tuple[int, ...]) -> list[tuple[str, ...]]:
        return [g for k in sizes for g in itertools.combinations(pool, k)]

    rules = {
        "current (network, its mean with the best simple; sn, naive, theta)": current_rule(SIMPLE[:3]),
        "current + ets": current_rule(SIMPLE),
        "always naive": fixed_mean(["naive"]),
        "always theta": fixed_mean(["theta"]),
        "always ets": fixed_mean(["ets"]),
        "always the network": fixed_mean(["xlstm"]),
        "mean(theta, ets, naive)": fixed_mean(["theta", "ets", "naive"]),
        "mean(theta, ets, naive, network)": fixed_mean(["theta", "ets", "naive", "xlstm"]),
        "means of 2 as candidates": select_among(SIMPLE, means(list(MEMBERS), (2,))),
        "means of 2-3 as candidates": select_among(SIMPLE, means(list(MEMBERS), (2, 3))),
        "means of 2-5 as candidates (adopted)": select_among(SIMPLE, means(list(MEMBERS), (2, 3, 4, 5))),
        "means of 2-4 without ets": select_among(SIMPLE[:3], means([*SIMPLE[:3], "xlstm"], (2, 3, 4))),
    }
    seasonal_naive = evaluate(fixed_mean(["seasonal_naive"]))
    names = list(data)
    for name, rule in rules.items():
        scores = evaluate(rule)
        first = [v for n, v in zip(names, scores) if n.endswith("@-0")]
        worse = int(np.sum(scores > seasonal_naive + 1e-12))
        print(f"{name:68s} gm MASE {_gm(scores):.3f} (last origin {_gm(np.asarray(first)):.3f}); "
              f"worse than seasonal naive on {worse} of {len(scores)}" if first else
              f"{name:68s} gm MASE {_gm(scores):.3f}; worse than seasonal naive on {worse} of {len(scores)}")


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3])
    else:
        compare(sys.argv[2])
