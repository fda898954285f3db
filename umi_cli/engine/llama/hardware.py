"""Where a model runs: GPU offload when llama.cpp was built with it, else CPU threads."""

from __future__ import annotations

import os
from pathlib import Path

import llama_cpp


def gpu_offload_supported() -> bool:
    """True when this llama-cpp-python build can offload layers to a GPU (CUDA, Metal, ...)."""
    return bool(llama_cpp.llama_supports_gpu_offload())


def default_gpu_layers(requested: int | None) -> int:
    """Layers to offload: the explicit value, else all (-1) with GPU support, else none."""
    if requested is not None:
        return requested
    return -1 if gpu_offload_supported() else 0


def physical_cores(cpuinfo: Path = Path("/proc/cpuinfo"), usable: set[int] | None = None) -> int:
    """Physical CPU cores available to this process (hyper-threads not counted).

    Reads the distinct (physical id, core id) pairs of /proc/cpuinfo, limited to the CPUs this
    process may run on (``usable``, default: its affinity); falls back to the logical CPU count.
    """
    usable = usable if usable is not None else _usable_cpu_ids()
    logical = len(usable) if usable else (os.cpu_count() or 1)
    try:
        text = cpuinfo.read_text()
    except OSError:
        return max(1, logical)
    cores: set[tuple[str, str]] = set()
    for block in text.split("\n\n"):
        fields = dict(
            (k.strip(), v.strip()) for k, _, v in (ln.partition(":") for ln in block.splitlines())
        )
        if "processor" not in fields or "core id" not in fields:
            continue
        if usable is not None and int(fields["processor"]) not in usable:
            continue
        cores.add((fields.get("physical id", "0"), fields["core id"]))
    return max(1, min(len(cores), logical)) if cores else max(1, logical)


def _usable_cpu_ids() -> set[int] | None:
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None
