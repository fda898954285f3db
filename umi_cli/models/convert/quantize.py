"""Quantize an F16 GGUF with llama.cpp's own quantizer (through llama-cpp-python)."""

from __future__ import annotations

import ctypes
import logging
import os
from pathlib import Path

from umi_cli.errors import UmiError, UsageError

#: Quantization type → approximate bits per weight of a LLaMA model (llama.cpp's table), used
#: to estimate the output size before starting.
QUANT_BITS = {
    "F32": 32.0,
    "F16": 16.0,
    "Q8_0": 8.5,
    "Q6_K": 6.56,
    "Q5_K_M": 5.69,
    "Q5_K_S": 5.54,
    "Q5_1": 6.0,
    "Q5_0": 5.5,
    "Q4_K_M": 4.85,
    "Q4_K_S": 4.58,
    "Q4_1": 5.0,
    "Q4_0": 4.5,
    "Q3_K_L": 4.27,
    "Q3_K_M": 3.91,
    "Q3_K_S": 3.5,
    "Q2_K": 3.35,
}

#: Types the converter writes directly, with no llama.cpp quantization pass.
UNQUANTIZED = frozenset({"F16", "F32"})


def normalize_quant(quant: str) -> str:
    """The canonical spelling of a quantization type; UsageError listing the choices if unknown."""
    name = quant.strip().upper()
    if name not in QUANT_BITS:
        raise UsageError(
            f"unknown quantization type {quant!r} for --quant; choose one of "
            + ", ".join(QUANT_BITS)
        )
    return name


def estimated_size(f16_bytes: int, quant: str) -> int:
    """About how large a model of ``f16_bytes`` in F16 is once quantized to ``quant``."""
    return int(f16_bytes * QUANT_BITS[quant] / 16.0 * 1.02)


def quantize_gguf(source: Path, target: Path, quant: str, *, threads: int | None = None) -> None:
    """Write ``target`` as ``source`` quantized to ``quant`` (overwritten).

    Tensors whose row length does not suit the chosen type (k-quants need rows that are a
    multiple of 256) get llama.cpp's own fallback type, as ``llama-quantize`` does.
    """
    import llama_cpp
    import llama_cpp._logger as llama_logger

    quant = normalize_quant(quant)
    if quant in UNQUANTIZED:
        raise UmiError(f"{quant} is written by the converter directly, not by quantization")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{quant}")
    params.nthread = threads or (os.cpu_count() or 1)
    previous = llama_logger.logger.level
    llama_logger.logger.setLevel(logging.ERROR)
    try:
        status = llama_cpp.llama_model_quantize(
            os.fsencode(source), os.fsencode(target), ctypes.byref(params)
        )
    finally:
        llama_logger.logger.setLevel(previous)
    if status != 0:
        raise UmiError(f"llama.cpp failed to quantize {source} to {quant} (status {status})")
