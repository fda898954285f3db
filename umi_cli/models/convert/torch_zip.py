"""Read PyTorch ``torch.save`` zip checkpoints without torch.

A ``pytorch_model.bin`` is a zip archive: ``<prefix>/data.pkl`` pickles the state dict, and each
tensor storage lies uncompressed in ``<prefix>/data/<key>``. The pickle names a handful of torch
functions and storage classes; a restricted unpickler maps exactly those to lazy views over the
zip members and refuses every other global, so loading a checkpoint never runs foreign code.
"""

from __future__ import annotations

import collections
import math
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from umi_cli.errors import UmiError
from umi_cli.models.convert.tensors import RAW_DTYPES, LazyTensor, read_exact

#: ``torch.<Name>Storage`` → our dtype name.
STORAGE_DTYPES = {
    "BFloat16Storage": "BF16",
    "HalfStorage": "F16",
    "FloatStorage": "F32",
    "DoubleStorage": "F64",
    "LongStorage": "I64",
    "IntStorage": "I32",
    "ShortStorage": "I16",
    "CharStorage": "I8",
    "ByteStorage": "U8",
    "BoolStorage": "BOOL",
}

_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_LOCAL_HEADER_MAGIC = 0x04034B50


@dataclass(frozen=True)
class _StorageType:
    dtype: str


@dataclass(frozen=True)
class _Storage:
    """One ``data/<key>`` member: where its bytes start in the file and how many items."""

    path: Path
    data_offset: int
    dtype: str
    numel: int


@dataclass(frozen=True)
class _TensorRef:
    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _contiguous_stride(shape: tuple[int, ...]) -> tuple[int, ...]:
    stride, acc = [], 1
    for dim in reversed(shape):
        stride.append(acc)
        acc *= dim
    return tuple(reversed(stride))


def _rebuild_tensor(storage, storage_offset, size, stride, *_rest) -> _TensorRef:
    return _TensorRef(storage, int(storage_offset), tuple(size), tuple(stride))


def _rebuild_parameter(data, *_rest):
    return data


def _rebuild_from_type_v2(func, _new_type, args, _state):
    return func(*args)


class _TypeMarker:
    """Stands in for ``torch.Tensor`` / ``Parameter`` classes named by the pickle."""


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
    ("torch", "Tensor"): _TypeMarker,
    ("torch.nn.parameter", "Parameter"): _TypeMarker,
}


class _CheckpointUnpickler(pickle.Unpickler):
    def __init__(self, file, path: Path, members: dict[str, int]) -> None:
        super().__init__(file)
        self._path = path
        self._members = members
        self._storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str):
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(STORAGE_DTYPES[name])
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise UmiError(
                f"{self._path}: the checkpoint pickle names {module}.{name}, which a plain "
                "state dict never needs; refusing to load it (convert it to safetensors instead)"
            ) from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise UmiError(f"{self._path}: unknown persistent id {pid!r} in the checkpoint pickle")
        _, storage_type, key, _location, numel = pid[:5]
        if not isinstance(storage_type, _StorageType):
            raise UmiError(f"{self._path}: unsupported storage type {storage_type!r}")
        key = str(key)
        if key not in self._storages:
            if key not in self._members:
                raise UmiError(f"{self._path}: storage data/{key} is missing from the archive")
            self._storages[key] = _Storage(
                self._path, self._members[key], storage_type.dtype, int(numel)
            )
        return self._storages[key]


def _data_offsets(path: Path, archive: zipfile.ZipFile, prefix: str) -> dict[str, int]:
    """Byte offset in the file where each stored ``<prefix>data/<key>`` member's bytes start."""
    offsets: dict[str, int] = {}
    with path.open("rb") as file:
        for info in archive.infolist():
            if not info.filename.startswith(prefix + "data/"):
                continue
            if info.compress_type != zipfile.ZIP_STORED:
                raise UmiError(
                    f"{path}: member {info.filename} is compressed; not a torch.save file"
                )
            file.seek(info.header_offset)
            header = _LOCAL_HEADER.unpack(file.read(_LOCAL_HEADER.size))
            if header[0] != _LOCAL_HEADER_MAGIC:
                raise UmiError(f"{path}: corrupt zip entry {info.filename}")
            name_len, extra_len = header[9], header[10]
            start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
            offsets[info.filename[len(prefix) + 5 :]] = start
    return offsets


def _readers(ref: _TensorRef):
    """(read everything, read an item range or None) for one tensor view."""
    storage = ref.storage
    dtype = RAW_DTYPES[storage.dtype]
    numel = math.prod(ref.shape)
    contiguous = numel == 0 or ref.stride == _contiguous_stride(ref.shape)
    if ref.offset + (numel if contiguous else 0) > storage.numel:
        raise UmiError(f"{storage.path}: a tensor reaches past the end of its storage")

    def read_items(start: int, count: int) -> np.ndarray:
        with storage.path.open("rb") as file:
            at = storage.data_offset + (ref.offset + start) * dtype.itemsize
            return read_exact(file, at, count, dtype)

    def read_strided() -> np.ndarray:
        with storage.path.open("rb") as file:
            whole = read_exact(file, storage.data_offset, storage.numel, dtype)
        view = np.lib.stride_tricks.as_strided(
            whole[ref.offset :],
            shape=ref.shape,
            strides=tuple(s * dtype.itemsize for s in ref.stride),
        )
        return np.ascontiguousarray(view).reshape(-1)

    if contiguous:
        return (lambda: read_items(0, numel)), read_items
    return read_strided, None


def read_torch_checkpoint(path: Path) -> list[LazyTensor]:
    """The tensors of a ``torch.save`` zip file, in file order, without reading their data."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise UmiError(
            f"{path}: not a zip-format PyTorch checkpoint (legacy pre-1.6 torch.save files are "
            "not supported; re-save it with a recent torch or as safetensors)"
        ) from None
    with archive:
        pickles = [n for n in archive.namelist() if n.endswith("data.pkl")]
        if len(pickles) != 1:
            raise UmiError(f"{path}: expected one data.pkl in the archive, found {len(pickles)}")
        prefix = pickles[0][: -len("data.pkl")]
        members = _data_offsets(path, archive, prefix)
        with archive.open(pickles[0]) as pkl:
            state = _CheckpointUnpickler(pkl, path, members).load()
    if not isinstance(state, dict):
        raise UmiError(f"{path}: the checkpoint does not hold a state dict")
    tensors = []
    for name, ref in state.items():
        if not isinstance(ref, _TensorRef):
            continue
        read_all, read_items = _readers(ref)
        tensors.append(LazyTensor(str(name), ref.storage.dtype, ref.shape, read_all, read_items))
    return tensors
