"""Write ``torch.save``-format zip checkpoints without torch (test and benchmark helper).

Produces what ``torch.save(state_dict, path)`` produces: a stored (uncompressed) zip with
``archive/data.pkl`` (protocol 2 pickle whose tensors are ``torch._utils._rebuild_tensor_v2``
calls on persistent storage ids) and one ``archive/data/<key>`` member per storage.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

STORAGE_CLASSES = {"BF16": "BFloat16Storage", "F16": "HalfStorage", "F32": "FloatStorage"}
ITEM_SIZE = {"BF16": 2, "F16": 2, "F32": 4}


def bf16_truncate(values: np.ndarray) -> np.ndarray:
    """bf16 bit patterns of float32 values by truncation (exact for the values it returns)."""
    return (np.ascontiguousarray(values, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)


@dataclass(frozen=True)
class TensorRecord:
    """A tensor as torch pickles it: a view (offset, shape, stride) of a named storage."""

    storage: str
    dtype: str
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _contiguous(shape: tuple[int, ...]) -> tuple[int, ...]:
    out, acc = [], 1
    for dim in reversed(shape):
        out.append(acc)
        acc *= dim
    return tuple(reversed(out))


class _Pickle:
    def __init__(self) -> None:
        self.out = bytearray(b"\x80\x02")

    def glob(self, module: str, name: str) -> None:
        self.out += b"c" + f"{module}\n{name}\n".encode()

    def text(self, value: str) -> None:
        data = value.encode()
        self.out += b"X" + struct.pack("<I", len(data)) + data

    def int(self, value: int) -> None:
        if -(2**31) <= value < 2**31:
            self.out += b"J" + struct.pack("<i", value)
        else:
            data = value.to_bytes(8, "little", signed=True)
            self.out += b"\x8a" + bytes([len(data)]) + data

    def ints(self, values: tuple[int, ...]) -> None:
        self.out += b"("
        for v in values:
            self.int(v)
        self.out += b"t"

    def ordered_dict(self) -> None:
        self.glob("collections", "OrderedDict")
        self.out += b")R"


def state_dict_pickle(tensors: dict[str, TensorRecord], numels: dict[str, int]) -> bytes:
    p = _Pickle()
    p.ordered_dict()
    p.out += b"("
    for name, t in tensors.items():
        p.text(name)
        p.glob("torch._utils", "_rebuild_tensor_v2")
        p.out += b"(("
        p.text("storage")
        p.glob("torch", STORAGE_CLASSES[t.dtype])
        p.text(t.storage)
        p.text("cpu")
        p.int(numels[t.storage])
        p.out += b"tQ"
        p.int(t.offset)
        p.ints(t.shape)
        p.ints(t.stride)
        p.out += b"\x89"
        p.ordered_dict()
        p.out += b"tR"
    p.out += b"u."
    return bytes(p.out)


def save_torch_zip(
    path: Path,
    tensors: dict[str, TensorRecord],
    storages: dict[str, bytes],
    archive: str = "archive",
) -> None:
    """Write tensors viewing the given raw storages (key → bytes) as a torch.save zip."""
    dtypes = {t.storage: t.dtype for t in tensors.values()}
    numels = {key: len(data) // ITEM_SIZE[dtypes[key]] for key, data in storages.items()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{archive}/data.pkl", state_dict_pickle(tensors, numels))
        zf.writestr(f"{archive}/byteorder", "little")
        for key, data in storages.items():
            zf.writestr(f"{archive}/data/{key}", data)
        zf.writestr(f"{archive}/version", "3\n")
        zf.writestr(f"{archive}/.data/serialization_id", "0" * 40)


def save_state_dict(path: Path, arrays: dict[str, np.ndarray], dtype: str = "BF16") -> None:
    """Save float32 arrays as one contiguous storage each (bf16 by truncation, or F16/F32)."""
    tensors, storages = {}, {}
    for i, (name, array) in enumerate(arrays.items()):
        if dtype == "BF16":
            raw = bf16_truncate(array)
        else:
            raw = array.astype(np.float16 if dtype == "F16" else np.float32)
        key = str(i)
        storages[key] = raw.tobytes()
        shape = tuple(array.shape)
        tensors[name] = TensorRecord(key, dtype, 0, shape, _contiguous(shape))
    save_torch_zip(path, tensors, storages)
