"""Read a GGUF header ourselves and check it before llama.cpp sees the file.

llama.cpp trusts the header: one that declares 1,000 layers over 2 layers' tensors aborts the
process (SIGABRT, no message), and a declared context of 2³¹-1 tokens makes every tokenize call
of llama-cpp-python allocate 8 GB. :func:`check_gguf` refuses such files with one line. The
reader walks the key/value section and the tensor table with bounds checks only (vocabulary
arrays are skipped, not decoded), so a 150k-token vocabulary costs a fraction of a second.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from umi_cli.errors import UmiError

MAGIC = b"GGUF"
#: The longest context umi accepts from a file (the longest real models declare about 10M).
MAX_CONTEXT = 1 << 24
#: Sanity bounds for counts in a header.
MAX_KV = 1 << 16
MAX_TENSORS = 1 << 20

# GGUF value types: fixed-size scalars (struct format), string = 8, array = 9.
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}  # fmt: skip
_STRING, _ARRAY = 8, 9
_LAYER = re.compile(r"^blk\.(\d+)\.")


@dataclass
class GGUFHeader:
    """Scalar and string metadata, array lengths, and the tensor names."""

    version: int
    values: dict[str, Any] = field(default_factory=dict)
    array_lengths: dict[str, int] = field(default_factory=dict)
    tensor_names: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, handle: BinaryIO, size: int, path: Path) -> None:
        self.handle, self.size, self.path = handle, size, path

    def bad(self, what: str) -> UmiError:
        return UmiError(f"not a readable GGUF file ({what})")

    def take(self, n: int) -> bytes:
        data = self.handle.read(n)
        if len(data) != n:
            raise self.bad("it ends inside its header")
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        length = self.unpack("<Q")
        if length > self.size - self.handle.tell():
            raise self.bad("a string is longer than the file")
        return self.take(length).decode("utf-8", errors="replace")

    def skip_strings(self, count: int) -> None:
        for _ in range(count):
            length = self.unpack("<Q")
            if length > self.size - self.handle.tell():
                raise self.bad("a string is longer than the file")
            self.handle.seek(length, 1)

    def value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        raise self.bad(f"unknown value type {kind}")


def read_header(path: Path) -> GGUFHeader:
    """The header of the GGUF at ``path``; a malformed one is a UmiError saying what is wrong
    (callers name the file)."""
    try:
        size = path.stat().st_size
        handle = path.open("rb")
    except OSError as exc:
        raise UmiError(f"cannot read the file ({exc.strerror})") from None
    with handle:
        reader = _Reader(handle, size, path)
        if reader.take(4) != MAGIC:
            raise reader.bad("it does not start with GGUF")
        header = GGUFHeader(version=reader.unpack("<I"))
        n_tensors, n_kv = reader.unpack("<Q"), reader.unpack("<Q")
        if n_tensors > MAX_TENSORS or n_kv > MAX_KV:
            raise reader.bad(f"it claims {n_tensors} tensors and {n_kv} metadata keys")
        for _ in range(n_kv):
            key = reader.string()
            kind = reader.unpack("<I")
            if kind != _ARRAY:
                header.values[key] = reader.value(kind)
                continue
            item_kind, count = reader.unpack("<I"), reader.unpack("<Q")
            header.array_lengths[key] = count
            if item_kind == _STRING:
                reader.skip_strings(count)
            elif item_kind in _SCALARS:
                width = struct.calcsize(_SCALARS[item_kind]) * count
                if width > size - handle.tell():
                    raise reader.bad(f"array {key} is longer than the file")
                handle.seek(width, 1)
            else:
                raise reader.bad(f"array {key} has item type {item_kind}")
        for _ in range(n_tensors):
            header.tensor_names.append(reader.string())
            dims = reader.unpack("<I")
            if dims > 8:
                raise reader.bad(f"tensor {header.tensor_names[-1]} has {dims} dimensions")
            reader.take(8 * dims + 4 + 8)  # shape, type, offset
    return header


def check_gguf(path: Path) -> GGUFHeader:
    """Refuse a file whose header llama.cpp would crash on, with one line saying why."""
    header = read_header(path)
    arch = header.values.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise UmiError("the GGUF header names no general.architecture (not a model)")
    layers = {int(match.group(1)) for name in header.tensor_names if (match := _LAYER.match(name))}
    declared = header.values.get(f"{arch}.block_count")
    if layers and isinstance(declared, int) and declared != max(layers) + 1:
        raise UmiError(
            f"the header says {declared} layers but the file holds tensors for "
            f"{max(layers) + 1} (a damaged or mismatched file; fetch it again)"
        )
    context = header.values.get(f"{arch}.context_length")
    if isinstance(context, int) and not 0 < context <= MAX_CONTEXT:
        raise UmiError(
            f"the header declares a context of {context} tokens, outside what umi "
            f"accepts (1 to {MAX_CONTEXT}); the file is damaged"
        )
    return header
