"""What a GGUF file says about itself (``umi models info``), read with llama.cpp's ``gguf``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from umi_cli.errors import UmiError

_ARRAYS = {
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.token_type",
    "tokenizer.ggml.merges",
    "tokenizer.ggml.scores",
}


@dataclass(frozen=True)
class GGUFInfo:
    """The headline metadata of a GGUF file."""

    path: str
    size: int
    name: str | None
    architecture: str | None
    context_length: int | None
    file_type: str | None
    vocab_size: int | None
    layers: int | None
    tensors: int
    chat_template: bool
    tokenizer: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _file_type_name(value: int | None) -> str | None:
    if value is None:
        return None
    import gguf

    try:
        return gguf.LlamaFileType(value).name.removeprefix("MOSTLY_")
    except ValueError:
        return f"type {value}"


def read_gguf_info(path: Path) -> GGUFInfo:
    """Read ``path``'s header; a file that is not GGUF is a UmiError naming it."""
    import gguf

    try:
        reader = gguf.GGUFReader(path)
    except (ValueError, OSError, IndexError, KeyError) as exc:
        raise UmiError(f"{path} is not a readable GGUF file ({exc})") from None

    def value(key: str) -> Any:
        field = reader.fields.get(key)
        if field is None:
            return None
        if key in _ARRAYS:
            return len(field.data)
        return field.contents()

    arch = value("general.architecture")
    return GGUFInfo(
        path=str(path),
        size=path.stat().st_size,
        name=value("general.name"),
        architecture=arch,
        context_length=value(f"{arch}.context_length") if arch else None,
        file_type=_file_type_name(value("general.file_type")),
        vocab_size=value("tokenizer.ggml.tokens"),
        layers=value(f"{arch}.block_count") if arch else None,
        tensors=len(reader.tensors),
        chat_template=value("tokenizer.chat_template") is not None,
        tokenizer=value("tokenizer.ggml.model"),
    )
