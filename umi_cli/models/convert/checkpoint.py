"""Find and open the weight files of a Hugging Face model folder (single or sharded)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from umi_cli.errors import UmiError
from umi_cli.models.convert.safetensors_file import read_safetensors
from umi_cli.models.convert.tensors import LazyTensor
from umi_cli.models.convert.torch_zip import read_torch_checkpoint

#: Weight layouts in the order we prefer them: (index file, single file).
WEIGHT_LAYOUTS = (
    ("model.safetensors.index.json", "model.safetensors"),
    ("pytorch_model.bin.index.json", "pytorch_model.bin"),
)


def shard_names(index_path: Path) -> list[str]:
    """The distinct weight files an ``*.index.json`` names, in first-use order."""
    try:
        weight_map = json.loads(index_path.read_text())["weight_map"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UmiError(f"{index_path}: not a valid weight index ({exc})") from None
    return list(dict.fromkeys(weight_map.values()))


@dataclass(frozen=True)
class Checkpoint:
    """All tensors of a model folder, still on disk."""

    folder: Path
    files: tuple[Path, ...]
    tensors: tuple[LazyTensor, ...]

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tensors)

    def by_name(self) -> dict[str, LazyTensor]:
        return {t.name: t for t in self.tensors}


def weight_files(folder: Path) -> list[Path]:
    """The weight files of ``folder``: the shards an index names, or the single file."""
    for index_name, single_name in WEIGHT_LAYOUTS:
        index = folder / index_name
        if index.is_file():
            return [folder / name for name in shard_names(index)]
        if (folder / single_name).is_file():
            return [folder / single_name]
    raise UmiError(
        f"{folder}: no weights found (expected model.safetensors[.index.json] or "
        "pytorch_model.bin[.index.json])"
    )


def open_checkpoint(folder: Path) -> Checkpoint:
    """Read the headers of every weight file in ``folder`` (no tensor data is loaded)."""
    files = weight_files(folder)
    tensors: list[LazyTensor] = []
    for path in files:
        if not path.is_file():
            raise UmiError(f"{path}: weight shard named by the index is missing")
        if path.name.endswith(".safetensors"):
            tensors.extend(read_safetensors(path))
        else:
            tensors.extend(read_torch_checkpoint(path))
    names = [t.name for t in tensors]
    if len(set(names)) != len(names):
        raise UmiError(f"{folder}: a tensor name appears in more than one weight file")
    return Checkpoint(folder, tuple(files), tuple(tensors))
