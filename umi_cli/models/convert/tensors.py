"""A checkpoint tensor that is read from disk only when asked for."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

#: Storage dtype name → numpy dtype of the raw bytes (bf16 is kept as its uint16 bit pattern).
RAW_DTYPES: dict[str, np.dtype] = {
    "BF16": np.dtype("<u2"),
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}

FLOAT_DTYPES = frozenset({"BF16", "F16", "F32", "F64"})


def bf16_bits_to_float32(bits: np.ndarray) -> np.ndarray:
    """Widen bf16 values held as uint16 bit patterns to float32 (exact: a 16-bit shift)."""
    wide = bits.astype(np.uint32)
    wide <<= 16
    return wide.view(np.float32)


def float32_to_bf16_bits(values: np.ndarray) -> np.ndarray:
    """Round float32 to bf16 (nearest, ties to even) and return the uint16 bit patterns."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounding = ((bits >> 16) & 1) + np.uint32(0x7FFF)
    return ((bits + rounding) >> 16).astype(np.uint16)


@dataclass(frozen=True)
class LazyTensor:
    """Name, dtype and shape of a stored tensor; ``raw()`` reads its bytes from disk."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    read_raw: Callable[[], np.ndarray]
    #: Reads ``count`` items from item ``start`` (flat order), when the data is contiguous.
    read_items: Callable[[int, int], np.ndarray] | None = None

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.numel * RAW_DTYPES[self.dtype].itemsize

    def raw(self) -> np.ndarray:
        """The stored values in their storage dtype (bf16 as uint16), shaped."""
        array = self.read_raw()
        return array.reshape(self.shape)

    def chunks(self, dtype: np.dtype, chunk_items: int = 1 << 22) -> Iterator[np.ndarray]:
        """The values cast to ``dtype`` as consecutive flat pieces, each read from disk on its
        own when the storage allows it: memory stays at one piece, whatever the tensor size."""
        if self.read_items is None:
            yield self.to_dtype(dtype, chunk_items).reshape(-1)
            return
        for start in range(0, self.numel, chunk_items):
            part = self.read_items(start, min(chunk_items, self.numel - start))
            if self.dtype == "BF16":
                part = bf16_bits_to_float32(part)
            with np.errstate(over="ignore"):  # overflow to inf is reported by the writer
                part = part.astype(dtype, copy=False)
            yield part

    def to_float32(self) -> np.ndarray:
        """The values as float32 (bf16 and f16 widen exactly)."""
        return self.to_dtype(np.dtype(np.float32))

    def to_dtype(self, dtype: np.dtype, chunk_items: int = 1 << 22) -> np.ndarray:
        """The values cast to ``dtype``, converted in chunks so that the only full-size arrays
        alive at once are the raw bytes and the result."""
        raw = self.raw()
        if raw.dtype == dtype:
            return raw
        out = np.empty(self.shape, dtype=dtype)
        flat_in, flat_out = raw.reshape(-1), out.reshape(-1)
        for start in range(0, flat_in.size, chunk_items):
            part = flat_in[start : start + chunk_items]
            if self.dtype == "BF16":
                part = bf16_bits_to_float32(part)
            with np.errstate(over="ignore"):
                flat_out[start : start + chunk_items] = part
        return out


def read_exact(file, offset: int, count: int, dtype: np.dtype) -> np.ndarray:
    """Read ``count`` items of ``dtype`` at byte ``offset`` into a fresh array (no mmap, so
    the pages do not stay in this process's resident set)."""
    out = np.empty(count, dtype=dtype)
    view = memoryview(out).cast("B")  # type: ignore[arg-type]  # ndarray is a buffer
    file.seek(offset)
    done = 0
    while done < len(view):
        got = file.readinto(view[done:])
        if not got:
            raise EOFError(f"unexpected end of file at byte {offset + done}")
        done += got
    return out
