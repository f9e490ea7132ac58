"""Benchmark the Triton kernels against the PyTorch reference backends (GPU only).

For the mLSTM (chunkwise form) and the sLSTM, and T from 512 to 65536, it measures through
:mod:`xlstm_ts.ops` with ``backend="triton"`` and ``backend="torch"``:

* forward time (no autograd) and forward + backward time, in ms,
* throughput in tokens/s (batch * T / time),
* peak extra GPU memory of forward + backward, in MiB.

Examples::

    python experiments/bench_kernels.py
    python experiments/bench_kernels.py --cells mlstm --T 4096 65536 --B 2 --H 8 --D 128 --csv mlstm.csv

Without CUDA (or under TRITON_INTERPRET=1) it says so and exits 0: the interpreter is for
correctness tests, not timings.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from collections.abc import Callable

import torch

DEFAULT_T = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cells", nargs="+", default=["mlstm", "slstm"], choices=["mlstm", "slstm"])
    p.add_argument("--T", nargs="+", type=int, default=DEFAULT_T, help="sequence lengths")
    p.add_argument("--B", type=int, default=1, help="batch size")
    p.add_argument("--H", type=int, default=4, help="heads")
    p.add_argument("--D", type=int, default=64, help="head dim (mLSTM Dqk = Dv, sLSTM Dh)")
    p.add_argument("--dtype", default="bf16", choices=sorted(DTYPES))
    p.add_argument("--chunk-size", type=int, default=64)
    p.add_argument("--reps", type=int, default=5, help="timed repetitions (after 2 warm-up runs)")
    p.add_argument("--backends", nargs="+", default=["triton", "torch"], choices=["triton", "torch"])
    p.add_argument("--max-torch-slstm-T", type=int, default=8192,
                   help="skip the torch sLSTM (a Python step loop) beyond this T")
    p.add_argument("--csv", default=None, help="also write the results to this CSV file")
    return p.parse_args(argv)


def time_ms(fn: Callable[[], object], reps: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / reps


def peak_mib(fn: Callable[[], object]) -> float:
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    fn()
    torch.cuda.synchronize()
    return (torch.cuda.max_memory_allocated() - base) / 2**20


def make_case(cell: str, backend: str, T: int, args: argparse.Namespace):
    """(forward, forward+backward) closures for one configuration."""
    from xlstm_ts import ops

    dtype, dev = DTYPES[args.dtype], "cuda"
    B, H, D = args.B, args.H, args.D
    if cell == "mlstm":
        q, k, v = (torch.randn(B, H, T, D, device=dev, dtype=dtype) for _ in range(3))
        i = torch.randn(B, H, T, device=dev, dtype=dtype)
        f = torch.randn(B, H, T, device=dev, dtype=dtype) + 3
        leaves = [x.requires_grad_() for x in (q, k, v, i, f)]

        def call():
            return ops.mlstm(*leaves, form="chunkwise", backend=backend, chunk_size=args.chunk_size)
    else:
        wx = torch.randn(B, T, 4, H, D, device=dev, dtype=dtype)
        r = torch.randn(4, H, D, D, device=dev, dtype=dtype) / math.sqrt(D)
        b = torch.zeros(4, H, D, device=dev, dtype=dtype)
        leaves = [x.requires_grad_() for x in (wx, r, b)]

        def call():
            return ops.slstm(*leaves, backend=backend)

    def forward():
        with torch.no_grad():
            return call()

    def forward_backward():
        for x in leaves:
            x.grad = None
        h = call()
        h.backward(torch.ones_like(h))

    return forward, forward_backward


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not torch.cuda.is_available():
        print("bench_kernels: no CUDA device here; the Triton kernels are only benchmarked on a GPU "
              "(on CPU they run through Triton's interpreter, which is for correctness tests). Nothing to do.")
        return 0
    if os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"):
        print("bench_kernels: TRITON_INTERPRET is set, so the kernels would be interpreted; unset it to benchmark.")
        return 0

    print(f"device: {torch.cuda.get_device_name()}  B={args.B} H={args.H} D={args.D} dtype={args.dtype} "
          f"chunk={args.chunk_size}  torch {torch.__version__}")
    header = ["cell", "T", "backend", "fwd_ms", "fwdbwd_ms", "fwd_tok_s", "fwdbwd_tok_s", "peak_MiB"]
    print("{:<6} {:>6} {:<7} {:>10} {:>10} {:>12} {:>12} {:>9}".format(*header))
    rows = []
    for cell in args.cells:
        for T in args.T:
            for backend in args.backends:
                row = {"cell": cell, "T": T, "backend": backend}
                if cell == "slstm" and backend == "torch" and T > args.max_torch_slstm_T:
                    row.update(note=f"skipped (T > --max-torch-slstm-T={args.max_torch_slstm_T})")
                else:
                    try:
                        fwd, fwd_bwd = make_case(cell, backend, T, args)
                        reps = args.reps if backend == "triton" else max(1, min(args.reps, 2))
                        t_f = time_ms(fwd, reps)
                        t_fb = time_ms(fwd_bwd, reps)
                        mem = peak_mib(fwd_bwd)
                        tokens = args.B * T
                        row.update(fwd_ms=t_f, fwdbwd_ms=t_fb, fwd_tok_s=tokens / t_f * 1e3,
                                   fwdbwd_tok_s=tokens / t_fb * 1e3, peak_MiB=mem)
                    except torch.cuda.OutOfMemoryError:
                        row.update(note="out of memory")
                    finally:
                        torch.cuda.empty_cache()
                rows.append(row)
                if "note" in row:
                    print(f"{cell:<6} {T:>6} {backend:<7} {row['note']}")
                else:
                    print(f"{cell:<6} {T:>6} {backend:<7} {row['fwd_ms']:>10.3f} {row['fwdbwd_ms']:>10.3f} "
                          f"{row['fwd_tok_s']:>12.3e} {row['fwdbwd_tok_s']:>12.3e} {row['peak_MiB']:>9.1f}", flush=True)
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=header + ["note"])
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
