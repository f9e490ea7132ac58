"""Speed report on CPU: training throughput and inference latency of the default ETTh1 model,
a stack forward+backward in a patch forecaster's batch shape, and the mLSTM chunkwise op's time
and peak memory at T = 1k and 4k (bench_ops.py has the full sweep).

    OMP_NUM_THREADS=2 XLSTM_TS_DATA=../shared/datasets python experiments/bench_train.py [--steps 20] [--epoch] [--bf16] [--json out.json]

With ``--bf16`` the stack and the default network's training step are timed a second time under
``torch.autocast("cpu", dtype=torch.bfloat16)`` (what ``precision="bf16-mixed"`` does), both
stacks alike.

Ours and the official stack are timed side by side in this one process, their calls interleaved,
so that a busy machine slows both alike: compare the ratios, not the seconds, across runs.

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
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from experiments.bench_ops import fwd_bwd_seconds, peak_memory_mib  # noqa: E402
from xlstm_ts.cpu_memory import keep_freed_memory  # noqa: E402
from xlstm_ts.models import XLSTMForecastConfig, XLSTMForecastNet  # noqa: E402
from xlstm_ts.nn import XLSTMStack  # noqa: E402
from xlstm_ts.nn.config import FFN_DIM_MULTIPLE, XLSTMStackConfig  # noqa: E402
from xlstm_ts.training.config import TrainConfig  # noqa: E402


def default_network(channels: int, official_stack: bool = False) -> XLSTMForecastNet:
    """The default ETTh1 network; with `official_stack`, its xLSTM stack comes from `xlstm`."""
    config = XLSTMForecastConfig()
    network = XLSTMForecastNet(config, channels)
    if official_stack:
        network.stack = build_official_stack(config)
    return network


STACK_SHAPE = {"batch": 224, "tokens": 41, "embedding_dim": 128, "num_heads": 4, "num_blocks": 2, "ratio": "1:1"}
"""The stack benchmark: a patch forecaster's batch (32 windows x 7 channels, 41 patches), D = 128."""


def build_official_stack(config: XLSTMStackConfig, context_length: int | None = None) -> torch.nn.Module:
    """The same xLSTM[a:b] stack built from the official `xlstm` package: (B, N, D) -> (B, N, D).

    context_length defaults to the forecaster's number of patches (``config.num_patches``).
    """
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
        context_length=config.num_patches if context_length is None else context_length,
        num_blocks=len(pattern),
        embedding_dim=config.embedding_dim,
        slstm_at=[j for j, kind in enumerate(pattern) if kind == "s"],
        dropout=config.dropout,
    )
    return xlstm.xLSTMBlockStack(stack_config)


def interleaved_medians(calls: dict[str, Callable[[], object]], repeats: int, warmup: int = 2) -> dict[str, float]:
    """Median seconds of each call, the calls alternating round by round (one process, one machine state)."""
    for _ in range(warmup):
        for call in calls.values():
            call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def training_step_call(network: torch.nn.Module, batch_size: int = 64, channels: int = 7) -> Callable[[], None]:
    """One training step (forward, backward, AdamW) of a forecasting network on a fixed random batch."""
    config = network.config
    optimizer = torch.optim.AdamW(network.parameters(), lr=TrainConfig().learning_rate)
    x = torch.randn(batch_size, config.lookback, channels)
    y = torch.randn(batch_size, config.horizon, channels)

    def step() -> None:
        loss = (network(x) - y).abs().mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    return step


def inference_call(network: torch.nn.Module, batch_size: int, channels: int = 7) -> Callable[[], None]:
    """Forecasting `batch_size` windows in eval mode without gradients."""
    network = network.eval()
    x = torch.randn(batch_size, network.config.lookback, channels)

    def forecast() -> None:
        with torch.no_grad():
            network(x)

    return forecast


def stack_fwd_bwd_call(stack: torch.nn.Module, shape: dict = STACK_SHAPE) -> Callable[[], None]:
    """Forward + backward of a stack on a (batch, tokens, D) input (sum of the output as the loss)."""
    x = torch.randn(shape["batch"], shape["tokens"], shape["embedding_dim"], requires_grad=True)

    def fwd_bwd() -> None:
        stack.zero_grad(set_to_none=True)
        stack(x).sum().backward()

    return fwd_bwd


def under_bf16_autocast(call: Callable[[], object]) -> Callable[[], None]:
    """``call`` run under CPU bf16 autocast (Lightning's ``precision="bf16-mixed"`` on a CPU)."""

    def run() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            call()

    return run


def stack_config(shape: dict = STACK_SHAPE) -> XLSTMStackConfig:
    keys = ("embedding_dim", "num_heads", "num_blocks", "ratio")
    return XLSTMStackConfig(**{key: shape[key] for key in keys})


def default_etth1_epoch() -> dict[str, float]:
    """One epoch of `xlstm-ts fit --dataset ETTh1` (the default config) through ``fit_run``: the
    training seconds (every training batch, then validation), as the pipeline measures them."""
    from xlstm_ts.data.config import DataConfig
    from xlstm_ts.pipeline.fit import fit_run
    from xlstm_ts.pipeline.run_config import RunConfig

    config = RunConfig(data=DataConfig(dataset="ETTh1"), train=TrainConfig(max_epochs=1))
    result = fit_run(config, None, progress=False, quiet=True)
    assert result is not None
    return {"train_seconds": float(result.metrics["train_seconds"]),
            "n_parameters": int(result.metrics.get("n_parameters", 0))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20, help="timed training steps")
    parser.add_argument("--repeats", type=int, default=7, help="timed stack forward+backward calls")
    parser.add_argument("--no-op", action="store_true", help="skip the mLSTM op timing at T = 1k and 4k")
    parser.add_argument("--json", help="write the numbers to this file")
    parser.add_argument(
        "--epoch", action="store_true",
        help="also time one epoch of the default ETTh1 run through the training core (needs XLSTM_TS_DATA)",
    )
    parser.add_argument("--bf16", action="store_true", help="also time the stack and a training step under bf16 autocast")
    parser.add_argument(
        "--default-allocator", action="store_true", help="skip keep_freed_memory() (which `xlstm-ts` applies)"
    )
    args = parser.parse_args(argv)
    kept = False if args.default_allocator else keep_freed_memory()
    results: dict[str, object] = {"threads": torch.get_num_threads(), "torch": torch.__version__}
    results["keep_freed_memory"] = kept
    print(f"CPU, {torch.get_num_threads()} threads, torch {torch.__version__}; default ETTh1 network")
    official = importlib.util.find_spec("xlstm") is not None
    names = ["xlstm_ts", "official_xlstm"] if official else ["xlstm_ts"]

    config = stack_config()
    stacks = {"xlstm_ts": XLSTMStack(config)}
    if official:
        stacks["official_xlstm"] = build_official_stack(config, STACK_SHAPE["tokens"])
    stack_s = interleaved_medians({name: stack_fwd_bwd_call(stack) for name, stack in stacks.items()}, args.repeats)
    results["stack_fwd_bwd_s"] = stack_s
    shape = ", ".join(f"{key} {value}" for key, value in STACK_SHAPE.items())
    print(f"  stack forward+backward ({shape}):")
    for name in names:
        print(f"    {name:15s} {stack_s[name]:.3f} s")

    networks = {name: default_network(7, official_stack=name == "official_xlstm") for name in names}
    train_s = interleaved_medians({name: training_step_call(net) for name, net in networks.items()}, args.steps)
    rows: dict[str, dict[str, float]] = {name: {"train_windows_per_s": 64 / train_s[name]} for name in names}
    for batch in (1, 256):
        infer_s = interleaved_medians({name: inference_call(net, batch) for name, net in networks.items()}, 20)
        for name in names:
            rows[name][f"inference_s_batch{batch}"] = infer_s[name]
    print("  default ETTh1 network:")
    for name in names:
        row = rows[name]
        results[name] = row
        print(
            f"    {name:15s} training {row['train_windows_per_s']:7.0f} windows/s (batch 64, fwd+bwd+AdamW);"
            f" inference {row['inference_s_batch1'] * 1e3:6.1f} ms (1 window),"
            f" {row['inference_s_batch256'] * 1e3:6.1f} ms (256 windows)"
        )
    if args.bf16:
        stack_bf16 = interleaved_medians(
            {name: under_bf16_autocast(stack_fwd_bwd_call(stack)) for name, stack in stacks.items()}, args.repeats)
        train_bf16 = interleaved_medians(
            {name: under_bf16_autocast(training_step_call(net.train())) for name, net in networks.items()}, args.steps)
        results["bf16_autocast"] = {name: {"stack_fwd_bwd_s": stack_bf16[name],
                                           "train_windows_per_s": 64 / train_bf16[name]} for name in names}
        print("  under bf16 autocast (precision='bf16-mixed'):")
        for name in names:
            print(f"    {name:15s} stack {stack_bf16[name]:.3f} s (fp32 {stack_s[name]:.3f} s); default network "
                  f"training {64 / train_bf16[name]:7.0f} windows/s (fp32 {rows[name]['train_windows_per_s']:.0f})")
    if official:
        ratio = {
            "stack_fwd_bwd": stack_s["official_xlstm"] / stack_s["xlstm_ts"],
            "training": rows["xlstm_ts"]["train_windows_per_s"] / rows["official_xlstm"]["train_windows_per_s"],
        }
        results["speedup_vs_official"] = ratio
        print(f"  ours vs official: stack {ratio['stack_fwd_bwd']:.2f}x, default network training {ratio['training']:.2f}x")
    else:
        print("  official `xlstm` package: not installed (pip install xlstm to compare side by side)")
    op, memory = {}, {}
    for T in () if args.no_op else (1024, 4096):
        op[T] = fwd_bwd_seconds("chunkwise", 8, 4, T, 64, 64, 3)
        memory[T] = peak_memory_mib("chunkwise", 8, 4, T, 64, 64)
        print(f"  mlstm chunkwise fwd+bwd B=8 H=4 D=64 T={T}: {op[T]:.3f} s, peak extra memory {memory[T]:.0f} MiB")
    results["mlstm_chunkwise_s"] = op
    results["mlstm_chunkwise_peak_mib"] = memory
    if args.epoch:
        results["default_etth1_epoch"] = default_etth1_epoch()
        epoch = results["default_etth1_epoch"]
        print(f"  default ETTh1 run (xlstm-ts fit --dataset ETTh1), one epoch through the training core: "
              f"{epoch['train_seconds']:.1f} s ({epoch['n_parameters']} parameters)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
