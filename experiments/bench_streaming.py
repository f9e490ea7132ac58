"""Streaming cost: ``XLSTMForecaster.update`` row by row, its memory, and update+predict against
``predict`` on the whole history.

    OMP_NUM_THREADS=1 python experiments/bench_streaming.py [--updates 20000] [--json experiments/results/streaming.json]

One hourly series (a daily cycle plus noise), a model fitted on its first 2,000 steps (horizon 24,
lookback 96, the default network width and depth, one epoch, the network forecasting), then:

1. ``--updates`` single-row updates (a one-row pandas slice each; the slicing is timed apart):
   time per update, process RSS at the start, middle and end, the kept context's shape;
2. as many single-row updates again under ``tracemalloc``: traced memory at the start, middle and
   end (tracemalloc slows Python down, so these are not timed);
3. the parsing share of one update (the frame checks and ``extract_series`` that fit/predict
   share) and one-row updates from a long frame and from a numpy array;
4. update + ``predict()`` per new row, against ``predict(df)`` on the whole history so far.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xlstm_ts.forecaster import XLSTMForecaster  # noqa: E402
from xlstm_ts.forecasting.streaming import read_new_rows, update  # noqa: E402

FIT_STEPS = 2000
SETTINGS: dict[str, Any] = dict(horizon=24, lookback=96, max_epochs=1, model="xlstm", verbose=0, random_state=0)
"""The model (default network: embedding_dim 16, 2 blocks, patches of 16)."""


def hourly_series(n: int, seed: int = 0) -> pd.DataFrame:
    """A wide frame ``ds, a``: a daily cycle plus noise, ``n`` hourly steps."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=n, freq="h"),
                         "a": 10.0 + np.sin(2 * np.pi * t / 24) + 0.2 * rng.standard_normal(n)})


def rss_mib() -> float | None:
    """The process's resident memory now (Linux), MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def microseconds(seconds: list[float]) -> dict[str, float]:
    """Median, mean and 99th percentile of ``seconds``, in microseconds."""
    values = np.asarray(seconds) * 1e6
    return {"median_us": round(float(np.median(values)), 1), "mean_us": round(float(values.mean()), 1),
            "p99_us": round(float(np.percentile(values, 99)), 1)}


def timed_updates(model: XLSTMForecaster, frame: pd.DataFrame, start: int, count: int) -> dict[str, Any]:
    """``count`` single-row updates from row ``start``: per-update times and RSS at 0, 1/2, end."""
    update_s, slice_s, memory = [], [], {"start": rss_mib()}
    for i in range(start, start + count):
        t0 = time.perf_counter()
        row = frame.iloc[i : i + 1]
        t1 = time.perf_counter()
        update(model, row)
        t2 = time.perf_counter()
        slice_s.append(t1 - t0)
        update_s.append(t2 - t1)
        if i - start + 1 == count // 2:
            memory["middle"] = rss_mib()
    memory["end"] = rss_mib()
    return {"updates": count, "update": microseconds(update_s), "row_slice": microseconds(slice_s),
            "rss_mib": {k: None if v is None else round(v, 1) for k, v in memory.items()},
            "context_shape": list(model.state_.context_target.shape)}


def traced_updates(model: XLSTMForecaster, frame: pd.DataFrame, start: int, count: int) -> dict[str, Any]:
    """``count`` single-row updates under tracemalloc: traced MiB at 0, 1/2 and the end."""
    tracemalloc.start()
    traced = {"start": tracemalloc.get_traced_memory()[0]}
    for i in range(start, start + count):
        update(model, frame.iloc[i : i + 1])
        if i - start + 1 == count // 2:
            traced["middle"] = tracemalloc.get_traced_memory()[0]
    traced["end"], peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mib = {k: round(v / 2**20, 3) for k, v in traced.items()}
    return {"updates": count, "traced_mib": mib, "traced_peak_mib": round(peak / 2**20, 3),
            "context_shape": list(model.state_.context_target.shape)}


def parsing_share(model: XLSTMForecaster, frame: pd.DataFrame, start: int, count: int) -> dict[str, Any]:
    """Time of the reading that update shares with fit/predict (columns, extract_series) per row."""
    seconds = []
    layout = model.state_.layout
    for i in range(start, start + count):
        row = frame.iloc[i : i + 1]
        t0 = time.perf_counter()
        read_new_rows(model, row, layout)
        seconds.append(time.perf_counter() - t0)
    return microseconds(seconds)


def other_forms(wide: pd.DataFrame, count: int) -> dict[str, Any]:
    """One-row updates of a long-frame model and of an array model (``count`` each)."""
    out = {}
    long = wide.rename(columns={"a": "y"}).assign(unique_id="a")[["unique_id", "ds", "y"]]
    array = wide[["a"]].to_numpy()
    for name, data in (("long_pandas", long), ("numpy", array)):
        model = XLSTMForecaster(**SETTINGS).fit(data[:FIT_STEPS])
        seconds = []
        for i in range(FIT_STEPS, FIT_STEPS + count):
            row = data[i : i + 1] if isinstance(data, np.ndarray) else data.iloc[i : i + 1]
            t0 = time.perf_counter()
            update(model, row)
            seconds.append(time.perf_counter() - t0)
        out[name] = {"updates": count, "update": microseconds(seconds)}
    return out


def update_and_predict(model: XLSTMForecaster, frame: pd.DataFrame, start: int, count: int,
                       full_repeats: int) -> dict[str, Any]:
    """update + predict() per row (``count`` rows) against predict(df) on the whole history."""
    seconds, predict_only = [], []
    for i in range(start, start + count):
        row = frame.iloc[i : i + 1]
        t0 = time.perf_counter()
        update(model, row)
        t1 = time.perf_counter()
        model.predict()
        t2 = time.perf_counter()
        seconds.append(t2 - t0)
        predict_only.append(t2 - t1)
    history = frame.iloc[: start + count]
    reference = XLSTMForecaster(**SETTINGS)._adopt(model.state_)  # same network and scalers
    full = []
    for _ in range(full_repeats):
        t0 = time.perf_counter()
        on_history = reference.predict(history)
        full.append(time.perf_counter() - t0)
    same = float(np.abs(on_history["a"].to_numpy() - model.predict()["a"].to_numpy()).max())
    return {"rows": count, "update_plus_predict": microseconds(seconds), "predict_kept_context": microseconds(predict_only),
            "predict_whole_history": {"history_steps": len(history), **microseconds(full)},
            "max_abs_difference": same}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=20000, help="single-row updates per phase (default 20000)")
    parser.add_argument("--predict-rows", type=int, default=1000, help="rows of the update+predict phase")
    parser.add_argument("--json", help="write the results here (e.g. experiments/results/streaming.json)")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    n = args.updates
    steps = FIT_STEPS + 2 * n + args.predict_rows
    frame = hourly_series(steps)
    started = time.perf_counter()
    model = XLSTMForecaster(**SETTINGS).fit(frame.iloc[:FIT_STEPS])
    fit_seconds = time.perf_counter() - started
    warm = XLSTMForecaster(**SETTINGS)._adopt(model.state_)  # warm-up (imports, caches) on a twin: model is unchanged
    for i in range(FIT_STEPS, FIT_STEPS + 50):
        update(warm, frame.iloc[i : i + 1])

    results: dict[str, Any] = {
        "command": "OMP_NUM_THREADS=1 python experiments/bench_streaming.py" + (f" --updates {n}" if n != 20000 else ""),
        "machine": {"python": platform.python_version(), "torch": torch.__version__, "pandas": pd.__version__,
                    "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "platform": platform.platform()},
        "model": {**SETTINGS, "fit_steps": FIT_STEPS, "fit_seconds": round(fit_seconds, 2),
                  "parameters": sum(p.numel() for p in model.network_.parameters())},
    }
    start = FIT_STEPS
    results["single_row_updates"] = timed_updates(model, frame, start, n)
    start += n
    results["traced_updates"] = traced_updates(model, frame, start, n)
    start += n
    few = min(2000, n)
    results["parsing_per_row"] = parsing_share(model, frame, FIT_STEPS, few)
    results["other_forms"] = other_forms(frame, few)
    results["update_and_predict"] = update_and_predict(model, frame, start, args.predict_rows, full_repeats=20)
    update_median = results["single_row_updates"]["update"]["median_us"]
    results["streaming_overhead_per_row_us"] = round(update_median - results["parsing_per_row"]["median_us"], 1)
    results["total_seconds"] = round(time.perf_counter() - started, 1)

    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(text + "\n")
    summary = results["update_and_predict"]
    print(f"\nupdate: median {update_median} us/row; update+predict {summary['update_plus_predict']['median_us']} us; "
          f"predict on {summary['predict_whole_history']['history_steps']} steps "
          f"{summary['predict_whole_history']['median_us']} us", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
