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

``--part network`` (record: ``experiments/results/streaming_net.json``) measures
``XLSTMForecaster(streaming=True)`` at lookback 512, horizon 96, against the default network of
the same width and depth: per new row, update + ``predict()`` of each, ``predict(df)`` on the last
512 rows, and the networks alone (a window forward against ``push_rows`` + ``forecast``); and the
accuracy of the two on ETTh1 "OT" (H = 96, the standard 12/4/4-month split, MSE and MAE in the
units of the training part's standardization, every origin of the validation and test parts, the
streaming network advanced row by row through them) and on a few real series (MASE at every
origin of their last rows). Needs ``XLSTM_TS_DATA`` (the benchmark CSVs) for the accuracy part.

    OMP_NUM_THREADS=1 XLSTM_TS_DATA=/work/shared/datasets python experiments/bench_streaming.py --part network \
        --json experiments/results/streaming_net.json
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


# --------------------------------------------------------------------------- --part network: streaming=True
NET_SETTINGS: dict[str, Any] = dict(horizon=96, lookback=512, max_epochs=1, model="xlstm", verbose=0, random_state=0)
"""The cost comparison: the default width and depth, lookback 512, horizon 96 (one epoch: cost only)."""


def _scaled(model: XLSTMForecaster, values: np.ndarray) -> np.ndarray:
    scaler = model.scalers_[model.series_ids_[0]]
    return (np.asarray(values, dtype=np.float64) - scaler.mean_[0]) / scaler.std_[0]


def network_cost(rows: int, fit_steps: int = 3000) -> dict[str, Any]:
    """Per new row: update + predict() with streaming=True and with the default network (which
    re-predicts from the lookback), predict(df) on the last lookback rows, and the networks alone."""
    frame = hourly_series(fit_steps + 2 * rows + 200, seed=1)
    out: dict[str, Any] = {"settings": {**NET_SETTINGS, "fit_steps": fit_steps, "rows": rows}}
    models = {}
    for name, streaming in (("streaming", True), ("default", False)):
        model = XLSTMForecaster(**NET_SETTINGS, streaming=streaming).fit(frame.iloc[:fit_steps])
        models[name] = model
        for i in range(fit_steps, fit_steps + 50):  # warm-up
            model.update(frame.iloc[i : i + 1]).predict()
        both, upd, pred, from_df = [], [], [], []
        for i in range(fit_steps + 50, fit_steps + 50 + rows):
            row = frame.iloc[i : i + 1]
            t0 = time.perf_counter()
            model.update(row)
            t1 = time.perf_counter()
            model.predict()
            t2 = time.perf_counter()
            both.append(t2 - t0), upd.append(t1 - t0), pred.append(t2 - t1)
        window = frame.iloc[fit_steps + 50 + rows - model.lookback_ : fit_steps + 50 + rows]
        for _ in range(100):
            t0 = time.perf_counter()
            model.predict(window)
            from_df.append(time.perf_counter() - t0)
        out[name] = {"parameters": sum(p.numel() for p in model.network_.parameters()),
                     "update_plus_predict": microseconds(both), "update": microseconds(upd),
                     "predict": microseconds(pred), "predict_df_last_lookback_rows": microseconds(from_df)}
    # the networks alone: a window forward (re-predicting) against push_rows + forecast (one new row)
    stream_model, default_model = models["streaming"], models["default"]
    net, state = stream_model.network_, stream_model.state_
    values = _scaled(stream_model, frame["a"].to_numpy())
    L = stream_model.lookback_
    window = torch.from_numpy(values[:L].astype(np.float32))[None]
    stream = net.start_stream(window)
    push, forward_default, forward_streaming = [], [], []
    with torch.no_grad():
        for i in range(L, L + rows):
            window = torch.from_numpy(values[i + 1 - L : i + 1].astype(np.float32))[None]
            t0 = time.perf_counter()
            stream = net.push_rows(stream, window, torch.ones(1, dtype=torch.long))
            net.forecast(stream, window)
            t1 = time.perf_counter()
            default_model.network_(window[..., None])
            t2 = time.perf_counter()
            net(window[..., None], phase=stream.phase)
            t3 = time.perf_counter()
            push.append(t1 - t0), forward_default.append(t2 - t1), forward_streaming.append(t3 - t2)
    out["networks_alone"] = {"streaming_push_row_and_forecast": microseconds(push),
                             "default_network_window_forward": microseconds(forward_default),
                             "streaming_network_window_forward": microseconds(forward_streaming)}
    out["stream_state_floats_per_series"] = sum(t.numel() for t in _tensors(state.stream)) // len(state.series_ids)
    s, d = out["streaming"]["update_plus_predict"]["median_us"], out["default"]["update_plus_predict"]["median_us"]
    out["ratio_update_plus_predict_default_over_streaming"] = round(d / s, 2)
    out["ratio_networks_alone"] = round(
        out["networks_alone"]["default_network_window_forward"]["median_us"]
        / out["networks_alone"]["streaming_push_row_and_forecast"]["median_us"], 2)
    return out


def _tensors(state: Any) -> list[torch.Tensor]:
    if isinstance(state, torch.Tensor):
        return [state]
    if state is None:
        return []
    return [t for item in state for t in _tensors(item)]


def _rolling_forecasts(model: XLSTMForecaster, values: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Scaled forecasts (n, H) from every origin t in [start, stop) (the rows before t as history):
    the default network on each window; the streaming one advanced row by row from ``start``."""
    net, L = model.network_, model.lookback_
    z = torch.from_numpy(_scaled(model, values).astype(np.float32))
    with torch.no_grad():
        if not model.streaming:
            windows = z.unfold(0, L, 1)[start - L : stop - L]  # window ending before t
            return torch.cat([net(w[..., None])[..., 0] for w in windows.split(512)]).double().numpy()
        stream = net.start_stream(z[start - L : start][None])
        out = [net.forecast(stream, z[start - L : start][None])]
        for t in range(start + 1, stop):
            window = z[t - L : t][None]
            stream = net.push_rows(stream, window, torch.ones(1, dtype=torch.long))
            out.append(net.forecast(stream, window))
    return torch.cat(out).double().numpy()


def _errors(model: XLSTMForecaster, values: np.ndarray, start: int, stop: int) -> dict[str, float]:
    H = model.horizon
    stop = min(stop, len(values) - H + 1)
    forecasts = _rolling_forecasts(model, values, start, stop)
    truth = np.lib.stride_tricks.sliding_window_view(_scaled(model, values), H)[start:stop]
    error = forecasts - truth
    return {"mse": round(float((error**2).mean()), 4), "mae": round(float(np.abs(error).mean()), 4),
            "origins": int(stop - start)}


def etth1_accuracy(data: Path, epochs: int, lookback: int) -> dict[str, Any]:
    """ETTh1 "OT", H = 96: both networks fitted on the training part (validation: the next 4
    months, early stopping on it, no refit), scored at every origin of validation and test."""
    frame = pd.read_csv(data / "ETTh1.csv", parse_dates=["date"]).rename(columns={"date": "ds"})[["ds", "OT"]]
    train, val, test = 12 * 30 * 24, 4 * 30 * 24, 4 * 30 * 24
    values = frame["OT"].to_numpy()[: train + val + test]
    out: dict[str, Any] = {"series": "ETTh1 OT", "horizon": 96, "lookback": lookback, "max_epochs": epochs}
    for name, streaming in (("default", False), ("streaming", True)):
        t0 = time.perf_counter()
        model = XLSTMForecaster(horizon=96, lookback=lookback, max_epochs=epochs, model="xlstm", validation_size=val,
                                refit=False, random_state=0, verbose=0, streaming=streaming)
        model.fit(frame.iloc[: train + val])
        out[name] = {"fit_seconds": round(time.perf_counter() - t0, 1), "epochs": model.fit_info_["epochs"],
                     "validation": _errors(model, values, train, train + val),
                     "test": _errors(model, values, train + val, train + val + test)}
        print(name, out[name], file=sys.stderr)
    return out


REAL_SERIES = (
    # name, file, column, resample rule (mean), kept rows, horizon, test origins
    ("ETTh2-OT hourly", "ETTh2.csv", "OT", None, 4000, 24, 480),
    ("Weather-T hourly", "weather.csv", "T (degC)", "h", 4000, 24, 480),
    ("Exchange-0 daily", "exchange_rate.csv", "0", None, 3000, 14, 300),
)


def real_series_mase(data: Path, epochs: int) -> list[dict[str, Any]]:
    """MASE (scale: the in-sample seasonal-naive MAE) at every origin of the last rows, both networks
    fitted on what comes before (lookback derived by the estimator, no refit)."""
    results = []
    for name, file, column, rule, rows, horizon, origins in REAL_SERIES:
        raw = pd.read_csv(data / file, parse_dates=["date"]).rename(columns={"date": "ds"})[["ds", column]]
        if rule is not None:
            raw = raw.set_index("ds").resample(rule).mean().reset_index()
        frame = raw.iloc[-rows:].reset_index(drop=True).rename(columns={column: "y"})
        values = frame["y"].to_numpy()
        cut = rows - origins - horizon + 1
        entry: dict[str, Any] = {"series": name, "horizon": horizon, "origins": origins}
        for kind, streaming in (("default", False), ("streaming", True)):
            model = XLSTMForecaster(horizon=horizon, max_epochs=epochs, model="xlstm", refit=False, random_state=0,
                                    verbose=0, streaming=streaming).fit(frame.iloc[:cut])
            m = model.season_length_
            history = _scaled(model, values[:cut])
            scale = float(np.abs(history[m:] - history[:-m]).mean())
            errors = _errors(model, values, cut, rows)
            entry[kind] = {"lookback": model.lookback_, "mase": round(errors["mae"] / scale, 4)}
        entry["season"] = m
        print(entry, file=sys.stderr)
        results.append(entry)
    return results


def emit(results: dict[str, Any], path: str | None) -> None:
    """Print the results as JSON and, with ``path``, write them there too."""
    text = json.dumps(results, indent=2)
    print(text)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text + "\n")


def network_main(args: argparse.Namespace) -> int:
    data = Path(os.environ.get("XLSTM_TS_DATA", "../shared/datasets"))
    started = time.perf_counter()
    results: dict[str, Any] = {
        "command": "OMP_NUM_THREADS=1 XLSTM_TS_DATA=... python experiments/bench_streaming.py --part network",
        "machine": {"python": platform.python_version(), "torch": torch.__version__, "cpus": os.cpu_count(),
                    "torch_threads": torch.get_num_threads(), "platform": platform.platform()},
    }
    results["cost"] = network_cost(args.predict_rows)
    print(json.dumps(results["cost"], indent=2), file=sys.stderr)
    if not args.skip_accuracy:
        results["etth1_96"] = etth1_accuracy(data, args.epochs, args.lookback)
        results["real_series"] = real_series_mase(data, args.epochs)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    emit(results, args.json)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=20000, help="single-row updates per phase (default 20000)")
    parser.add_argument("--predict-rows", type=int, default=1000, help="rows of the update+predict phase")
    parser.add_argument("--json", help="write the results here (e.g. experiments/results/streaming.json)")
    parser.add_argument("--part", choices=("context", "network"), default="context",
                        help="context: update() of the kept context (default); network: streaming=True")
    parser.add_argument("--epochs", type=int, default=5, help="--part network: training epochs of the accuracy runs")
    parser.add_argument("--lookback", type=int, default=336, help="--part network: the ETTh1 lookback")
    parser.add_argument("--skip-accuracy", action="store_true", help="--part network: the cost only")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    if args.part == "network":
        return network_main(args)
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

    emit(results, args.json)
    summary = results["update_and_predict"]
    print(f"\nupdate: median {update_median} us/row; update+predict {summary['update_plus_predict']['median_us']} us; "
          f"predict on {summary['predict_whole_history']['history_steps']} steps "
          f"{summary['predict_whole_history']['median_us']} us", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
