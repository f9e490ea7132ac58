"""XLSTMForecaster's defaults on a panel of real series nobody tuned on, beside the simple models.

Each series is a column of a benchmark CSV, aggregated to another step and cut (short ones
included); the last horizon is held out. Reported per series: MASE (scale: the in-sample
seasonal-naive MAE) of the defaults (``model="auto"``), the network forced (``model="xlstm"``),
seasonal naive, naive, our standard Theta (on the whole history), and statsforecast's AutoETS and AutoTheta when installed; what the
defaults chose; the fit seconds; and, where the validation hold-out allows, the share of held-out
points inside the 80 % conformal interval (series never calibrated on: each model calibrates on
its own training series' validation windows only). Geometric means close the table.

    OMP_NUM_THREADS=1 XLSTM_TS_DATA=../shared/datasets python experiments/forecaster_panel.py [--no-refit] [--panel dev] [--out FILE]

``--panel dev``: the development panel (``panel_series.DEV_PANEL``, other series at two origins
each; written to ``*_dev.json``), on which the selection rules are developed before one run on
the reported panel.

Writes experiments/results/forecaster_panel.json (``forecaster_panel_no_refit.json`` with
``--no-refit``: the estimator's ``refit=False``) and prints a markdown table. The AutoETS and
AutoTheta columns need statsforecast (pandas < 3 as of 2026-12: run it in such an environment).
"""

from __future__ import annotations

import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# the panel, shared with forecaster_panel_peers.py (DATA and load re-exported for callers of this module)
from experiments.panel_series import DATA, DEV_PANEL, PANEL, PanelSeries, holdout, load  # noqa: E402,F401
from xlstm_ts import metrics  # noqa: E402
from xlstm_ts.forecaster import XLSTMForecaster  # noqa: E402
from xlstm_ts.models.theta import theta_forecast  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "forecaster_panel.json"


def statistical(train: np.ndarray, horizon: int, season: int) -> dict[str, np.ndarray]:
    try:
        from statsforecast.models import AutoETS, AutoTheta
    except ImportError:
        return {}
    out = {}
    for name, model in (("AutoETS", AutoETS(season_length=season)), ("AutoTheta", AutoTheta(season_length=season))):
        try:
            out[name] = np.asarray(model.forecast(y=train, h=horizon)["mean"], dtype=np.float64)
        except Exception as err:  # noqa: BLE001 -- a peer that fails on a series is reported, not fatal
            print(f"  {name} failed: {err}", file=sys.stderr)
    return out


def run(spec: PanelSeries, refit: bool = True) -> dict[str, object]:
    frame, train, test, m, scale = holdout(spec)
    y = train["y"].to_numpy()
    forecasts: dict[str, np.ndarray] = {
        "seasonal_naive": metrics.seasonal_naive_forecast(y, spec.horizon, m),
        "naive": np.full(spec.horizon, y[-1]),
        "theta": theta_forecast(y, spec.horizon, m),  # ours (xlstm_ts.models.theta) on the whole history
    }
    row: dict[str, object] = {"series": spec.name, "rows": len(frame), "horizon": spec.horizon, "season": spec.season}
    seconds = {}
    for label, kwargs in (("defaults", {}), ("xlstm", {"model": "xlstm"})):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model = XLSTMForecaster(horizon=spec.horizon, random_state=0, verbose=0, levels=[80], refit=refit,
                                        **kwargs).fit(train)
            except ValueError as err:  # too few held-out windows to calibrate 80 %: no interval
                if "levels" not in str(err):
                    raise
                model = XLSTMForecaster(horizon=spec.horizon, random_state=0, verbose=0, refit=refit, **kwargs).fit(train)
            prediction = model.predict()
        seconds[label] = round(time.perf_counter() - start, 1)
        forecasts[label] = prediction["y"].to_numpy()
        if label == "defaults":
            row["chosen"] = model.fit_info_["model"]
            row["chosen_members"] = model.fit_info_["model_selection"].get("chosen", row["chosen"])
            row["lookback"] = model.lookback_
            if "y-lo-80" in prediction:
                inside = (test >= prediction["y-lo-80"].to_numpy()) & (test <= prediction["y-hi-80"].to_numpy())
                row["inside_80"] = int(inside.sum())
    forecasts.update(statistical(y, spec.horizon, spec.season))
    row["mase"] = {name: float(np.mean(np.abs(test - f)) / scale) for name, f in forecasts.items()}
    row["fit_seconds"] = seconds
    return row


def geometric_mean(values: list[float]) -> float:
    return float(math.exp(np.mean(np.log(values))))


def main() -> int:
    torch.set_num_threads(1)
    args = sys.argv[1:]
    refit = "--no-refit" not in args
    out = OUT if refit else OUT.with_name("forecaster_panel_no_refit.json")
    panel = PANEL
    if "--panel" in args and args[args.index("--panel") + 1] == "dev":  # the development panel
        panel = DEV_PANEL
        out = out.with_name(out.stem + "_dev.json")
    if "--out" in args:
        out = Path(args[args.index("--out") + 1])
    rows = []
    for spec in panel:
        print(f"{spec.name} ...", flush=True)
        rows.append(run(spec, refit))
        print(f"  {rows[-1]}", flush=True)
    names = list(rows[0]["mase"])
    summary = {name: geometric_mean([r["mase"][name] for r in rows if name in r["mase"]]) for name in names}
    covered = [r for r in rows if "inside_80" in r]
    coverage = (sum(r["inside_80"] for r in covered) / sum(r["horizon"] for r in covered)) if covered else None
    result = {"rows": rows, "geometric_mean_mase": summary, "coverage_80": coverage,
              "series_with_intervals": len(covered), "torch_threads": torch.get_num_threads(), "refit": refit}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    header = ["series", "rows", "H", "chosen", *names, "fit s (defaults)"]
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for r in rows:
        cells = [r["series"], r["rows"], r["horizon"], r.get("chosen_members", r["chosen"]), *(f"{r['mase'].get(n, float('nan')):.3f}" for n in names),
                 r["fit_seconds"]["defaults"]]
        print("| " + " | ".join(map(str, cells)) + " |")
    print("| geometric mean | | | | " + " | ".join(f"{summary[n]:.3f}" for n in names) + " | |")
    if coverage is not None:
        print(f"\n80% interval: {coverage:.1%} of {sum(r['horizon'] for r in covered)} held-out points "
              f"({len(covered)} series)")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
