"""Speed report on CPU: training throughput and inference latency of the default ETTh1 model,
and the mLSTM chunkwise op's time and peak memory at T = 1k and 4k (bench_ops.py has the full sweep).

    python experiments/bench_train.py [--steps 20] [--json out.json]

If the optional official `xlstm` package is installed (`pip install xlstm`, never required), the
same network is timed a second time with its xLSTM stack built from that package (same width,
heads, blocks, block order, conv kernel, projection factors; its sLSTM on the "vanilla" PyTorch
backend, the one that runs on a CPU); otherwise that column says so.
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

from experiments.bench_ops import fwd_bwd_seconds, peak_memory_mib  # noqa: E402
from xlstm_ts.cpu_memory import keep_freed_memory  # noqa: E402
from xlstm_ts.models import XLSTMForecastConfig, XLSTMForecastNet  # noqa: E402
from xlstm_ts.nn.config import FFN_DIM_MULTIPLE  # noqa: E402
from xlstm_ts.training.config import TrainConfig  # noqa: E402


def default_network(channels: int, official_stack: bool = False) -> XLSTMForecastNet:
    """The default ETTh1 network; with `official_stack`, its xLSTM stack comes from `xlstm`."""
    config = XLSTMForecastConfig()
    network = XLSTMForecastNet(config, channels)
    if official_stack:
        network.stack = build_official_stack(config)
    return network


def build_official_stack(config: XLSTMForecastConfig) -> torch.nn.Module:
    """The same xLSTM[a:b] stack built from the official `xlstm` package: (B, N, D) -> (B, N, D)."""
    import xlstm

    pattern = config.block_types
    mlstm_block = xlstm.mLSTMBlockConfig(
        mlstm=xlstm.mLSTMLayerConfig(
            conv1d_kernel_size=config.conv_kernel_size,
            qkv_proj_blocksize=int(config.embedding_dim * config.mlstm_proj_factor) // config.num_heads,
            num_heads=config.num_heads,
            proj_factor=config.mlstm_proj_factor,
            round_proj_up_to_multiple_of=config.num_heads,  # as ours (the package default is 64)
        )
    )
    slstm_block = xlstm.sLSTMBlockConfig(
        slstm=xlstm.sLSTMLayerConfig(
            backend="vanilla",
            num_heads=config.num_heads,
            conv1d_kernel_size=config.conv_kernel_size if config.slstm_conv else 0,
            bias_init="powerlaw_blockdependent",
        ),
        feedforward=xlstm.FeedForwardConfig(
            proj_factor=config.slstm_ffn_proj_factor, act_fn="gelu", round_proj_up_to_multiple_of=FFN_DIM_MULTIPLE
        ),
    )
    stack_config = xlstm.xLSTMBlockStackConfig(
        mlstm_block=mlstm_block,
        slstm_block=slstm_block,
        context_length=config.num_patches,
        num_blocks=len(pattern),
        embedding_dim=config.embedding_dim,
        slstm_at=[j for j, kind in enumerate(pattern) if kind == "s"],
        dropout=config.dropout,
    )
    return xlstm.xLSTMBlockStack(stack_config)


def training_throughput(steps: int, batch_size: int = 64, channels: int = 7, official_stack: bool = False) -> float:
    """Training windows per second (forward, backward, AdamW step) of the default network."""
    config = XLSTMForecastConfig()
    network = default_network(channels, official_stack)
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
def inference_latency(batch_size: int, repeats: int = 20, channels: int = 7, official_stack: bool = False) -> float:
    """Median seconds to forecast `batch_size` windows with the default network (eval mode)."""
    config = XLSTMForecastConfig()
    network = default_network(channels, official_stack).eval()
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
    parser.add_argument(
        "--default-allocator", action="store_true", help="skip keep_freed_memory() (which `xlstm-ts` applies)"
    )
    args = parser.parse_args(argv)
    kept = False if args.default_allocator else keep_freed_memory()
    results: dict[str, object] = {"threads": torch.get_num_threads(), "torch": torch.__version__}
    results["keep_freed_memory"] = kept
    print(f"CPU, {torch.get_num_threads()} threads, torch {torch.__version__}; default ETTh1 network")
    implementations = ["xlstm_ts"]
    if importlib.util.find_spec("xlstm") is not None:
        implementations.append("official_xlstm")
    for name in implementations:
        official = name == "official_xlstm"
        row: dict[str, float] = {"train_windows_per_s": training_throughput(args.steps, official_stack=official)}
        for batch in (1, 256):
            row[f"inference_s_batch{batch}"] = inference_latency(batch, official_stack=official)
        results[name] = row
        print(
            f"  {name:15s} training {row['train_windows_per_s']:7.0f} windows/s (batch 64, fwd+bwd+AdamW);"
            f" inference {row['inference_s_batch1'] * 1e3:6.1f} ms (1 window),"
            f" {row['inference_s_batch256'] * 1e3:6.1f} ms (256 windows)"
        )
    if "official_xlstm" not in results:
        print("  official `xlstm` package: not installed (pip install xlstm to compare side by side)")
    op, memory = {}, {}
    for T in (1024, 4096):
        op[T] = fwd_bwd_seconds("chunkwise", 8, 4, T, 64, 64, 3)
        memory[T] = peak_memory_mib("chunkwise", 8, 4, T, 64, 64)
        print(f"  mlstm chunkwise fwd+bwd B=8 H=4 D=64 T={T}: {op[T]:.3f} s, peak extra memory {memory[T]:.0f} MiB")
    results["mlstm_chunkwise_s"] = op
    results["mlstm_chunkwise_peak_mib"] = memory
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
