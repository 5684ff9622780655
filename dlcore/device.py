"""Where tensors live: CUDA if there is a GPU, then Apple's MPS, else the CPU.

The choice can be overridden with the ``DLLAB_DEVICE`` environment variable (``cpu``, ``cuda``,
``mps``) or an argument. On the CPU the number of threads PyTorch uses is bounded so that one
session's training cannot take every core of a shared classroom server.
"""

from __future__ import annotations

import ctypes
import os

import torch

DEVICE_ENV = "DLLAB_DEVICE"
THREADS_ENV = "DLLAB_THREADS"


def _available(kind: str) -> bool:
    if kind == "cpu":
        return True
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    return False


def pick_device(override: str | None = None) -> torch.device:
    """The device to train on: ``override``, else $DLLAB_DEVICE, else CUDA > MPS > CPU.

    Raises:
        ValueError: the device asked for does not exist on this machine.
    """
    wanted = (override or os.environ.get(DEVICE_ENV, "")).strip().lower()
    if wanted:
        kind = wanted.split(":")[0]
        if kind not in ("cpu", "cuda", "mps"):
            raise ValueError(f"device must be cpu, cuda or mps, got {wanted!r}")
        if not _available(kind):
            raise ValueError(f"device {wanted!r} was asked for, but this machine has none")
        return torch.device(wanted)
    for kind in ("cuda", "mps"):
        if _available(kind):
            return torch.device(kind)
    return torch.device("cpu")


def device_name(device: torch.device) -> str:
    """A name a person recognises: the GPU's model, or the CPU with its thread budget."""
    if device.type == "cuda":
        return f"CUDA — {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple MPS (Metal GPU)"
    return f"CPU — {torch.get_num_threads()} thread(s) per training run, {os.cpu_count()} core(s)"


def limit_threads(n: int | None = None) -> int:
    """Bound PyTorch's CPU threads: ``n``, else $DLLAB_THREADS, else half the cores (≤ 4).

    The small networks taught here are dominated by per-operation overhead, so extra threads
    buy little; a bound keeps a shared server responsive when many students train at once.
    Returns the number of threads now in force.
    """
    if n is None:
        env = os.environ.get(THREADS_ENV)
        n = int(env) if env else max(1, min(4, (os.cpu_count() or 2) // 2))
    if n < 1:
        raise ValueError(f"threads must be ≥ 1, got {n}")
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


MEMORY_ENV = "DLLAB_KEEP_FREED_MEMORY"
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
KEEP_MIB = 32  # blocks up to this size are reused, and this much free memory is kept (32 MiB: glibc's upper limit)


def keep_freed_memory(mib: int | None = None) -> bool:
    """Let the C allocator keep the memory of freed tensors for the next ones (glibc only: Linux).

    By default glibc hands a large freed block back to the system, and the next tensor of that size
    takes fresh pages, one page fault per 4 KiB. Measured in a script thread (where Streamlit runs a
    page), the CNN page's 4,851 shifted validation digits in passes of 539 images: 52,000 page
    faults and 109 ms of CPU per measurement; with blocks up to ``mib`` MiB kept, none and 19 ms.
    ``mib`` (else $DLLAB_KEEP_FREED_MEMORY, else ``KEEP_MIB``; 0: leave the allocator as it is).
    Returns whether the allocator was set."""
    if mib is None:
        env = os.environ.get(MEMORY_ENV)
        mib = int(env) if env else KEEP_MIB
    if mib <= 0:
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, Windows): nothing to set
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, mib << 20)) and bool(mallopt(_M_TRIM_THRESHOLD, mib << 20))
