"""A rejected rule, kept with its number: two-stage selection on the dump of
``experiments/selection_rules.py`` -- the simple candidates (single and means) scored on a longer
backtest (the last quarter of the training part, at least the validation stretch), then the
winner against the network's candidates on the validation windows.

    XLSTM_TS_DATA=../shared/datasets python experiments/selection_two_stage.py dev runs/dev/dump_dev.json [0.25]

2026-12-06, development panel: 0.759 geometric-mean MASE against 0.704 for the adopted rule
(both worse than seasonal naive on 2 of 20): the longer backtest chose worse on the weekly and
monthly series (Exchange-1 monthly, ILI age 0-4 weekly), so it was not adopted.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import numpy as np
from experiments.panel_series import DEV_PANEL, PANEL, holdout
from xlstm_ts.forecasting.selection import baseline_forecast, candidates, choose, label, BASELINES
panel = DEV_PANEL if sys.argv[1] == "dev" else PANEL
d = json.load(open(sys.argv[2]))
frac = float(sys.argv[3]) if len(sys.argv) > 3 else 0.25
def gm(x): return float(np.exp(np.mean(np.log(x))))
res_new, res_two, res_sn = [], [], []
for spec in panel:
    r = d[spec.name]
    _, train, test, _, scale = holdout(spec)
    y = train["y"].to_numpy(); H = spec.horizon; m = spec.season
    val = {k[4:]: np.asarray(v) for k, v in r.items() if k.startswith("val_")}
    fc = {k[3:]: np.asarray(v) for k, v in r.items() if k.startswith("fc_")}
    n_val = val["xlstm"].shape[0]
    held = max(n_val + H - 1, int(frac * len(y)))
    starts = range(len(y) - held, len(y) - H + 1)
    long = {}
    for name in BASELINES:
        if name not in val: continue
        long[name] = np.asarray([y[s:s+H] - baseline_forecast(name, y[max(0, s-4096):s], H, m) for s in starts])
    # stage 1: best simple candidate (single or mean) on the long backtest
    simple_members, _, _ = choose(long)
    # stage 2: that simple candidate vs every candidate with the network, on validation
    best, best_err = simple_members, float(np.abs(np.mean([val[k] for k in simple_members], 0)).mean())
    for c in candidates(list(val)):
        if "xlstm" in c:
            e = float(np.abs(np.mean([val[k] for k in c], 0)).mean())
            if e < best_err: best, best_err = c, e
    f_two = np.mean([fc[k] for k in best], 0)
    one, _, _ = choose(val)
    f_new = np.mean([fc[k] for k in one], 0)
    res_two.append(np.mean(np.abs(test - f_two)) / scale); res_new.append(np.mean(np.abs(test - f_new)) / scale)
    res_sn.append(np.mean(np.abs(test - fc["seasonal_naive"])) / scale)
    print(f"{spec.name:32s} adopted {label(one):45s} {res_new[-1]:.3f} | two-stage {label(best):45s} {res_two[-1]:.3f} | sn {res_sn[-1]:.3f}")
a, b, s = map(np.asarray, (res_new, res_two, res_sn))
print(f"adopted gm {gm(a):.3f} worse than sn {int(np.sum(a > s + 1e-12))}; two-stage gm {gm(b):.3f} worse than sn {int(np.sum(b > s + 1e-12))}")
