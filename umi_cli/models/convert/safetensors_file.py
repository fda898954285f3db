"""Read ``*.safetensors`` files: an 8-byte header length, a JSON header, then raw tensor bytes."""

from __future__ import annotations

import json
import math
import struct
from functools import partial
from pathlib import Path

from umi_cli.errors import UmiError
from umi_cli.models.convert.tensors import RAW_DTYPES, LazyTensor, read_exact

_MAX_HEADER = 100 * 1024 * 1024


def _header(path: Path) -> tuple[dict, int]:
    with path.open("rb") as file:
        head = file.read(8)
        if len(head) != 8:
            raise UmiError(f"{path}: too short to be a safetensors file")
        (length,) = struct.unpack("<Q", head)
        if length > _MAX_HEADER:
            raise UmiError(f"{path}: safetensors header of {length} bytes is implausible")
        try:
            header = json.loads(file.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UmiError(f"{path}: unreadable safetensors header ({exc})") from None
    return header, 8 + length


def _reader(path: Path, offset: int, count: int, dtype):
    def read_items(start: int, n: int):
        with path.open("rb") as file:
            return read_exact(file, offset + start * dtype.itemsize, n, dtype)

    return read_items


def read_safetensors(path: Path) -> list[LazyTensor]:
    """The tensors of one safetensors file, in header order, without reading their data."""
    header, data_start = _header(path)
    size = path.stat().st_size
    tensors = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info.get("dtype")
        if dtype not in RAW_DTYPES:
            raise UmiError(f"{path}: tensor {name} has unsupported dtype {dtype}")
        shape = tuple(int(d) for d in info["shape"])
        begin, end = (int(x) for x in info["data_offsets"])
        raw = RAW_DTYPES[dtype]
        count = math.prod(shape)
        if end - begin != count * raw.itemsize or data_start + end > size:
            raise UmiError(f"{path}: tensor {name} has inconsistent data offsets")
        read_items = _reader(path, data_start + begin, count, raw)
        tensors.append(LazyTensor(name, dtype, shape, partial(read_items, 0, count), read_items))
    return tensors
