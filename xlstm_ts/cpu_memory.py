"""Keep freed memory inside the process, so large CPU tensors are not re-faulted on every step.

glibc's allocator hands blocks of 32 MiB and more straight to the kernel (mmap) and gives them back
on free. PyTorch has no caching allocator on the CPU, so a training step that creates such tensors
pays page faults and page zeroing for every one of them, every step: on the 2-core machine this
project is developed on, that was about half of the chunkwise mLSTM's forward+backward time
(see docs/performance.md). Raising glibc's mmap and trim thresholds makes freed blocks reusable.

This changes a process-wide setting, so the library never does it on import: the `xlstm-ts`
command does it at start (set XLSTM_TS_KEEP_FREED_MEMORY=0 to opt out), and library users can call
:func:`keep_freed_memory` themselves. jemalloc or tcmalloc preloaded with LD_PRELOAD have the same
effect.
"""

from __future__ import annotations

import ctypes
import os
import platform

ENV_SWITCH = "XLSTM_TS_KEEP_FREED_MEMORY"
"""Set to 0 to stop the `xlstm-ts` command from calling :func:`keep_freed_memory`."""

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_memory(max_bytes: int = 1 << 30) -> bool:
    """Let glibc keep up to `max_bytes` of freed memory and serve blocks below it from its heap.

    Returns True when the setting was applied, False where it does not apply (not Linux with
    glibc, or glibc refused the value). The process may then hold up to `max_bytes` of memory it
    no longer uses; that is the price of not faulting it in again.
    """
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be positive, got {max_bytes}")
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    applied_mmap = libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(min(max_bytes, 2**31 - 1)))
    applied_trim = libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(min(max_bytes, 2**31 - 1)))
    return bool(applied_mmap and applied_trim)


def keep_freed_memory_unless_disabled() -> bool:
    """:func:`keep_freed_memory` unless ${ENV_SWITCH} is 0/false/no/off (what the CLI calls)."""
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in {"0", "false", "no", "off"}:
        return False
    return keep_freed_memory()
