"""Benchmark of the PyTorch mLSTM forms on CPU: forward+backward time and peak memory vs T.

    python experiments/bench_ops.py                 # the full report (a few minutes on 2 cores)
    python experiments/bench_ops.py --quick         # a smaller run
    python experiments/bench_ops.py --json out.json # also write the numbers

Every point runs in a fresh subprocess: peak memory (peak resident set size minus the process's
size before the call) so one point's allocations never hide another's, and timings both with
glibc's default allocator settings and with `xlstm_ts.cpu_memory.keep_freed_memory()` (what the
`xlstm-ts` command applies), because on CPU the page faults of fresh large tensors are a large
share of the time and that setting cannot be undone inside a process.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from xlstm_ts.ops import mlstm


OFFICIAL_KERNELS = ("chunkwise--native_autograd", "chunkwise--native_custbw")
"""NX-AI's PyTorch (CPU-capable) chunkwise mLSTM implementations, timed when installed."""


def make_inputs(B: int, H: int, T: int, D: int, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(B, H, T, D, generator=g) for _ in range(3))
    i = torch.randn(B, H, T, generator=g)
    f = torch.randn(B, H, T, generator=g) + 3.0
    return [t.requires_grad_() for t in (q, k, v, i, f)]


def fwd_bwd_seconds(form: str, B: int, H: int, T: int, D: int, chunk_size: int, repeats: int) -> float:
    """Median wall time of one forward+backward call (after one warm-up call).

    `form` is one of ours ("chunkwise", "parallel", ...) or "mlstm_kernels:<kernel name>" for a
    PyTorch implementation from NX-AI's optional `mlstm_kernels` package (installed with `xlstm`).
    """
    if form.startswith("mlstm_kernels:"):
        from mlstm_kernels.torch import get_mlstm_kernel

        kernel = get_mlstm_kernel(form.split(":", 1)[1])

        def call(*x: torch.Tensor) -> torch.Tensor:
            return kernel(*x, chunk_size=chunk_size)
    else:

        def call(*x: torch.Tensor) -> torch.Tensor:
            return mlstm(*x, form=form, chunk_size=chunk_size, backend="torch")

    inputs = make_inputs(B, H, T, D)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        call(*inputs).sum().backward()
        times.append(time.perf_counter() - start)
        for x in inputs:
            x.grad = None
    return statistics.median(times[1:])


def _run_point(code: str, **fmt: object) -> float:
    """Run `code` (which prints one number) in a fresh interpreter with this repository importable."""
    prelude = (
        "import sys; sys.path[:0] = {path!r};"
        "from experiments.bench_ops import make_inputs, high_water_kib, fwd_bwd_seconds;"
        "from xlstm_ts.ops import mlstm; from xlstm_ts.cpu_memory import keep_freed_memory;"
    )
    source = (prelude + code).format(path=[str(Path(__file__).resolve().parent.parent)], **fmt)
    out = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def time_in_subprocess(
    form: str, B: int, H: int, T: int, D: int, chunk_size: int, repeats: int, keep_freed: bool
) -> float:
    """:func:`fwd_bwd_seconds` in a fresh process, optionally after keep_freed_memory()."""
    code = "{setup}print(fwd_bwd_seconds({form!r}, {B}, {H}, {T}, {D}, {cs}, {repeats}))"
    setup = "keep_freed_memory();" if keep_freed else ""
    return _run_point(code, setup=setup, form=form, B=B, H=H, T=T, D=D, cs=chunk_size, repeats=repeats)


def peak_memory_mib(form: str, B: int, H: int, T: int, D: int, chunk_size: int) -> float:
    """Peak extra resident memory of one forward+backward call, in a fresh process.

    Reads VmHWM (the high-water mark of this process image) from /proc: unlike ru_maxrss it does
    not inherit the parent's peak across fork + exec.
    """
    code = (
        "x = make_inputs({B}, {H}, {T}, {D}); base = high_water_kib();"
        "mlstm(*x, form={form!r}, chunk_size={cs}, backend='torch').sum().backward();"
        "print((high_water_kib() - base) / 1024)"
    )
    return _run_point(code, B=B, H=H, T=T, D=D, form=form, cs=chunk_size)


def high_water_kib() -> int:
    """Peak resident set size of this process image so far, in KiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("VmHWM not found in /proc/self/status (Linux only)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer points and repeats")
    parser.add_argument("--json", help="write the results to this JSON file")
    args = parser.parse_args(argv)
    B, H, D = 8, 4, 64
    repeats = 2 if args.quick else 5
    results: dict[str, object] = {"threads": torch.get_num_threads(), "torch": torch.__version__}
    print(f"mLSTM fwd+bwd on CPU, fp32, B={B} H={H} Dqk=Dv={D}, {torch.get_num_threads()} threads")

    T = 4096
    chunk_times: dict[str, dict[int, float]] = {"default": {}, "keep_freed_memory": {}}
    print(f"  chunkwise T={T}   default allocator   keep_freed_memory()")
    for chunk_size in (32, 64, 128):
        for mode, times in chunk_times.items():
            keep = mode == "keep_freed_memory"
            times[chunk_size] = time_in_subprocess("chunkwise", B, H, T, D, chunk_size, repeats, keep)
        print(
            f"  chunk={chunk_size:4d}          {chunk_times['default'][chunk_size]:8.3f} s"
            f"          {chunk_times['keep_freed_memory'][chunk_size]:8.3f} s"
        )
    best_chunk = min(chunk_times["default"], key=chunk_times["default"].get)
    parallel = time_in_subprocess("parallel", B, H, T, D, 64, 1, keep_freed=False)
    speedup = parallel / chunk_times["default"][best_chunk]
    print(f"  parallel  T={T}: {parallel:.3f} s -> chunkwise (chunk {best_chunk}) is {speedup:.1f}x faster")
    results["T4096"] = {"chunkwise_s": chunk_times, "parallel_s": parallel, "speedup": speedup}
    if importlib.util.find_spec("mlstm_kernels") is not None:
        official: dict[str, dict[str, float]] = {}
        print(f"  official mlstm_kernels (PyTorch), T={T}, chunk 64: default / keep_freed_memory()")
        for name in OFFICIAL_KERNELS:
            form = f"mlstm_kernels:{name}"
            official[name] = {
                mode: time_in_subprocess(form, B, H, T, D, 64, repeats, mode == "keep_freed_memory")
                for mode in ("default", "keep_freed_memory")
            }
            print(f"    {name:28s} {official[name]['default']:8.3f} s   {official[name]['keep_freed_memory']:8.3f} s")
        results["official_mlstm_kernels_s"] = official
    else:
        print("  official mlstm_kernels: not installed (pip install xlstm to compare)")

    lengths = (1024, 4096) if args.quick else (1024, 2048, 4096, 8192, 16384)
    memory = {}
    print(f"  peak memory vs T (chunk={best_chunk}):")
    for T in lengths:
        memory[T] = peak_memory_mib("chunkwise", B, H, T, D, best_chunk)
        print(f"    T={T:6d}: {memory[T]:8.1f} MiB  ({memory[T] / T * 1024:.1f} MiB per 1k steps)")
    results["peak_memory_mib"] = memory
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
