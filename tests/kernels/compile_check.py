"""Compile every xlstm_ts_kernels kernel for NVIDIA targets, without a GPU.

Triton's interpreter is far more permissive than its compiler (types of loop-carried values,
scalar/vector masks, constexpr use...), so the CPU test suite also pushes each kernel through
the real compiler pipeline (TTIR -> TTGIR -> LLVM IR -> PTX -> cubin), with the tile sizes and
warps the wrappers launch. This needs TRITON_INTERPRET unset *before* triton is imported, hence
a separate process:

    python tests/kernels/compile_check.py [--arch 80 90] [--spills]

Prints one line per kernel (shared memory; with --spills also registers and spill bytes from
ptxas -v) and exits 1 if any kernel fails to compile or needs more shared memory than the
architecture has.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

os.environ.pop("TRITON_INTERPRET", None)

import triton  # noqa: E402
from triton.backends.compiler import GPUTarget  # noqa: E402
from triton.compiler import ASTSource  # noqa: E402

from xlstm_ts_kernels.mlstm import chunkwise_bwd, chunkwise_fwd, step  # noqa: E402
from xlstm_ts_kernels.slstm import recurrent_bwd, recurrent_fwd  # noqa: E402

FLOAT_ARGS = {"scale", "eps"}
# pointers that hold caller-dtype data (bf16 here); the others are the kernels' fp32 buffers
INPUT_POINTERS = {"q_ptr", "k_ptr", "v_ptr", "i_ptr", "f_ptr", "h_ptr", "dh_ptr", "wx_ptr", "r_ptr", "b_ptr",
                  "dq_ptr", "dk_ptr", "dv_ptr", "c_ptr", "n_ptr", "m_ptr", "c_new_ptr", "n_new_ptr", "m_new_ptr"}
INT64_POINTERS = {"argmax_ptr"}
SHARED_MEMORY_LIMIT = {80: 163 * 1024, 86: 99 * 1024, 89: 99 * 1024, 90: 227 * 1024}

TF32 = dict(DOT_PRECISION="tf32")
# (kernel, constexprs, num_warps): the configurations mlstm/wrapper.py and slstm/wrapper.py launch
CASES = [
    (chunkwise_fwd.mlstm_chunkwise__recurrent_fwd_C_kernel,
     dict(L=64, BK=32, BV=32, USE_INITIAL_STATE=True, **TF32), 4),
    (chunkwise_fwd.mlstm_chunkwise__recurrent_fwd_C_kernel,
     dict(L=16, BK=32, BV=32, USE_INITIAL_STATE=False, **TF32), 4),
    (chunkwise_fwd.mlstm_chunkwise__parallel_fwd_H_kernel, dict(L=64, BK=64, BV=64, **TF32), 8),
    (chunkwise_fwd.mlstm_chunkwise__parallel_fwd_H_kernel, dict(L=32, BK=64, BV=64, **TF32), 4),
    (chunkwise_bwd.mlstm_chunkwise__bwd_dnorm_kernel, dict(L=64, BV=64), 4),
    (chunkwise_bwd.mlstm_chunkwise__recurrent_bwd_dC_kernel, dict(L=64, BK=32, BV=32, HAS_FINAL_GRAD=True, **TF32), 4),
    (chunkwise_bwd.mlstm_chunkwise__recurrent_bwd_dC_kernel, dict(L=16, BK=32, BV=32, HAS_FINAL_GRAD=False, **TF32), 4),
    (chunkwise_bwd.mlstm_chunkwise__parallel_bwd_dqkv_kernel, dict(L=64, BK=32, BV=32, **TF32), 8),
    (chunkwise_bwd.mlstm_chunkwise__parallel_bwd_dqkv_kernel, dict(L=16, BK=32, BV=32, **TF32), 4),
    (chunkwise_bwd.mlstm_chunkwise__bwd_dgates_kernel,
     dict(L=64, BK=32, BV=32, USE_INITIAL_STATE=True, HAS_FINAL_GRAD=True), 4),
    (chunkwise_bwd.mlstm_chunkwise__bwd_dgates_kernel,
     dict(L=64, BK=32, BV=32, USE_INITIAL_STATE=False, HAS_FINAL_GRAD=False), 4),
    (step.mlstm_step_fwd_kernel, dict(BK=64, BV=64, USE_STATE=True), 4),
    (step.mlstm_step_fwd_kernel, dict(BK=64, BV=64, USE_STATE=False), 4),
    (recurrent_fwd.slstm_recurrent_fwd_kernel, dict(BD=32, USE_INITIAL_STATE=True, SAVE_STATES=True), 4),
    (recurrent_fwd.slstm_recurrent_fwd_kernel, dict(BD=64, USE_INITIAL_STATE=False, SAVE_STATES=False), 8),
    (recurrent_bwd.slstm_recurrent_bwd_kernel,
     dict(BD=32, USE_INITIAL_STATE=True, HAS_DH=True, HAS_FINAL_GRAD=True), 4),
    (recurrent_bwd.slstm_recurrent_bwd_kernel,
     dict(BD=64, USE_INITIAL_STATE=False, HAS_DH=False, HAS_FINAL_GRAD=False), 8),
]


def signature(kernel, constexprs: dict) -> dict[str, str]:
    sig = {}
    for name in kernel.arg_names:
        if name in constexprs:
            sig[name] = "constexpr"
        elif name.endswith("_ptr"):
            sig[name] = "*i64" if name in INT64_POINTERS else "*bf16" if name in INPUT_POINTERS else "*fp32"
        elif name in FLOAT_ARGS:
            sig[name] = "fp32"
        else:
            sig[name] = "i32"
    return sig


def ptxas_usage(ptx: str, arch: int) -> str:
    """Registers and spill bytes reported by the ptxas that Triton bundles."""
    from triton.backends.nvidia.compiler import get_ptxas

    with tempfile.NamedTemporaryFile("w", suffix=".ptx", delete=False) as fh:
        fh.write(ptx)
    try:
        gpu = f"sm_{arch}a" if arch >= 90 else f"sm_{arch}"
        out = subprocess.run([get_ptxas(arch).path, "-v", "--gpu-name", gpu, fh.name, "-o", os.devnull],
                             capture_output=True, text=True, check=False).stderr
    finally:
        os.unlink(fh.name)
    regs = re.search(r"Used (\d+) registers", out)
    spill = re.search(r"(\d+) bytes spill stores", out)
    return f", {regs.group(1) if regs else '?'} regs, {spill.group(1) if spill else '?'} B spilled"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", type=int, nargs="+", default=[90])
    parser.add_argument("--spills", action="store_true", help="also run ptxas -v for registers and spills")
    args = parser.parse_args()
    failed = 0
    for arch in args.arch:
        target = GPUTarget("cuda", arch, 32)
        for kernel, constexprs, num_warps in CASES:
            flags = ",".join(f"{k}={v}" for k, v in constexprs.items() if k != "DOT_PRECISION")
            name = f"{kernel.fn.__name__}[{flags},warps={num_warps}] sm_{arch}"
            t0 = time.time()
            try:
                src = ASTSource(fn=kernel, signature=signature(kernel, constexprs), constexprs=constexprs)
                compiled = triton.compile(src, target=target, options={"num_warps": num_warps})
                shared = compiled.metadata.shared
                limit = SHARED_MEMORY_LIMIT.get(arch, 99 * 1024)
                if shared > limit:
                    raise RuntimeError(f"needs {shared} B of shared memory, sm_{arch} has {limit}")
                usage = ptxas_usage(compiled.asm["ptx"], arch) if args.spills else ""
                print(f"ok   {name} (shared {shared} B{usage}, {time.time() - t0:.1f}s)", flush=True)
            except Exception as err:  # noqa: BLE001 - report every failure
                failed += 1
                print(f"FAIL {name}: {type(err).__name__}: {err}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
