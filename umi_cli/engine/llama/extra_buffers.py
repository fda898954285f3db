"""Whether llama.cpp may put weights into its extra buffer types, decided once per machine.

On load, llama.cpp can move weights into "extra" CPU buffer types that repack them for faster
kernels: the CPU repack of Q4_0/IQ4_NL on AVX2 and ARM, and the AMX buffer on Intel CPUs with
Advanced Matrix Extensions (Sapphire Rapids and later). The AMX path crashes with SIGSEGV in
``ggml_backend_amx_mul_mat`` at the first decode (ggml-org/llama.cpp#20824, closed unfixed), so
umi turns extra buffer types off where the CPU reports AMX and leaves them on elsewhere, where they
only help. ``UMI_LLAMA_EXTRA_BUFTS=auto|on|off`` overrides the rule (default ``auto``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from umi_cli.errors import UsageError

log = logging.getLogger(__name__)

ENV = "UMI_LLAMA_EXTRA_BUFTS"
SETTINGS = ("auto", "on", "off")
#: /proc/cpuinfo flags that mean the CPU has AMX tiles (any one is enough).
AMX_FLAGS = frozenset({"amx_tile", "amx_int8", "amx_bf16", "amx_fp16", "amx_complex"})


@dataclass(frozen=True)
class ExtraBuffers:
    """The decision and why, in words a user can act on (``umi doctor`` prints both)."""

    enabled: bool
    reason: str
    setting: str = "auto"


def cpu_flags(cpuinfo: str) -> frozenset[str]:
    """The feature flags of /proc/cpuinfo text (x86 ``flags``, ARM ``Features``)."""
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in ("flags", "features"):
            flags.update(value.split())
    return frozenset(flags)


def decide(cpuinfo: str, setting: str | None = None, system_info: str = "") -> ExtraBuffers:
    """The rule: ``on``/``off`` as set; ``auto`` turns them off exactly when the CPU has AMX.

    ``system_info`` is llama.cpp's own feature line (``AMX_INT8 = 1`` when it was built with AMX
    kernels); either source reporting AMX is enough.
    """
    chosen = (setting or "auto").strip().lower()
    if chosen not in SETTINGS:
        raise UsageError(
            f"{ENV}={setting!r} is not one of {', '.join(SETTINGS)} (unset it or pick one)"
        )
    if chosen == "on":
        return ExtraBuffers(True, f"{ENV}=on", chosen)
    if chosen == "off":
        return ExtraBuffers(False, f"{ENV}=off", chosen)
    amx = sorted(cpu_flags(cpuinfo) & AMX_FLAGS)
    if not amx and "AMX_INT8 = 1" in system_info:
        amx = ["AMX_INT8 (llama.cpp system info)"]
    if amx:
        return ExtraBuffers(
            False,
            f"CPU has AMX ({', '.join(amx)}): llama.cpp's AMX weight repacking crashes "
            "(ggml-org/llama.cpp#20824), so weights stay in plain buffers",
            chosen,
        )
    return ExtraBuffers(True, "no AMX on this CPU: weight repacking stays on", chosen)


@cache
def machine_extra_buffers() -> ExtraBuffers:
    """The decision for this process: /proc/cpuinfo, llama.cpp's system info and ``ENV``."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        cpuinfo = ""
    decision = decide(cpuinfo, os.environ.get(ENV), _system_info())
    log.debug(
        "llama.cpp extra buffer types %s: %s",
        "on" if decision.enabled else "off",
        decision.reason,
    )
    return decision


def _system_info() -> str:
    import llama_cpp

    try:
        return llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
    except (AttributeError, OSError):  # pragma: no cover - very old llama-cpp-python
        return ""
