"""The SentencePiece vocabulary of a LLaMA checkpoint, as llama.cpp's GGUF keys want it.

``tokenizer.model`` is a serialized ``sentencepiece.ModelProto``. We read the few fields we need
straight from the protobuf wire format (pieces with score and type, the normalizer's
``add_dummy_prefix``, the trainer's special ids), so conversion needs no ``sentencepiece`` package.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from umi_cli.errors import UmiError

# sentencepiece.ModelProto.SentencePiece.Type values; GGUF token types use the same numbers.
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) for each field of one protobuf message."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if pos > len(data):
            raise ValueError("truncated field")
        yield number, wire, value


@dataclass
class SentencePieceModel:
    """What we use of a ``tokenizer.model``."""

    pieces: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    types: list[int] = field(default_factory=list)
    add_dummy_prefix: bool = True
    model_type: int = 1  # UNIGRAM=1, BPE=2
    trainer_ids: dict[str, int] = field(default_factory=dict)


def parse_sentencepiece(path: Path) -> SentencePieceModel:
    """Parse a SentencePiece ``ModelProto`` file."""
    model = SentencePieceModel()
    try:
        for number, wire, value in _fields(path.read_bytes()):
            if number == 1 and wire == 2:
                piece, score, kind = "", 0.0, NORMAL
                for n, w, v in _fields(value):
                    if n == 1 and w == 2:
                        piece = v.decode("utf-8")
                    elif n == 2 and w == 5:
                        (score,) = struct.unpack("<f", v)
                    elif n == 3 and w == 0:
                        kind = v
                model.pieces.append(piece)
                model.scores.append(score)
                model.types.append(kind)
            elif number == 2 and wire == 2:  # TrainerSpec
                names = {3: "model_type", 40: "unk_id", 41: "bos_id", 42: "eos_id", 43: "pad_id"}
                for n, w, v in _fields(value):
                    if n in names and w == 0:
                        # int32 fields: negative values arrive as 64-bit two's complement
                        model.trainer_ids[names[n]] = v - (1 << 64) if v >= 1 << 63 else v
            elif number == 3 and wire == 2:  # NormalizerSpec
                for n, w, v in _fields(value):
                    if n == 3 and w == 0:
                        model.add_dummy_prefix = bool(v)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise UmiError(f"{path}: not a readable SentencePiece model ({exc})") from None
    if not model.pieces:
        raise UmiError(f"{path}: the SentencePiece model holds no pieces")
    model.model_type = model.trainer_ids.pop("model_type", 1)
    return model


@dataclass(frozen=True)
class Vocabulary:
    """Tokens, scores, types and special ids ready for the ``tokenizer.ggml.*`` keys."""

    tokens: list[str]
    scores: list[float]
    types: list[int]
    add_space_prefix: bool
    special_ids: dict[str, int]  # bos, eos, unk, padding
    add_bos: bool
    add_eos: bool
    chat_template: str | None


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UmiError(f"{path}: invalid JSON ({exc})") from None
    return data if isinstance(data, dict) else {}


def _token_text(value: Any) -> str | None:
    """A special token as tokenizer_config.json writes it: a string or an AddedToken dict."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


def _special_ids(folder: Path, sp: SentencePieceModel, tokens: list[str]) -> dict[str, int]:
    config = _read_json(folder / "config.json")
    tok_config = _read_json(folder / "tokenizer_config.json") | {
        k: v for k, v in _read_json(folder / "special_tokens_map.json").items() if v
    }
    index = {piece: i for i, piece in enumerate(tokens)}
    ids: dict[str, int] = {}
    for kind, config_key in (("bos", "bos"), ("eos", "eos"), ("unk", "unk"), ("padding", "pad")):
        value = config.get(f"{config_key}_token_id")
        if isinstance(value, list):  # newer configs allow several EOS ids
            value = value[0] if value else None
        if value is None:
            text = _token_text(tok_config.get(f"{config_key}_token"))
            value = index.get(text) if text is not None else None
        if value is None:
            trainer = sp.trainer_ids.get(f"{config_key}_id", -1)
            value = trainer if trainer >= 0 else None
        if value is not None and 0 <= int(value) < len(tokens):
            ids[kind] = int(value)
    return ids


def load_vocabulary(folder: Path, vocab_size: int) -> Vocabulary:
    """The vocabulary of a HF LLaMA folder, padded to ``vocab_size`` as llama.cpp pads it."""
    sp_path = folder / "tokenizer.model"
    if not sp_path.is_file():
        raise UmiError(f"{sp_path}: missing; only SentencePiece (LLaMA-style) vocabularies convert")
    sp = parse_sentencepiece(sp_path)
    tokens, scores, types = list(sp.pieces), list(sp.scores), list(sp.types)
    added = _read_json(folder / "added_tokens.json")
    for text, token_id in sorted(added.items(), key=lambda item: item[1]):
        if token_id < len(tokens):
            continue
        if token_id != len(tokens):
            raise UmiError(f"{folder / 'added_tokens.json'}: token ids are not contiguous")
        tokens.append(text)
        scores.append(-1000.0)
        types.append(USER_DEFINED)
    if len(tokens) > vocab_size:
        raise UmiError(
            f"{folder}: the tokenizer has {len(tokens)} tokens but config.json vocab_size is "
            f"{vocab_size}"
        )
    for i in range(len(tokens), vocab_size):
        tokens.append(f"[PAD{i}]")
        scores.append(-1000.0)
        types.append(UNUSED)
    tok_config = _read_json(folder / "tokenizer_config.json")
    template = tok_config.get("chat_template")
    return Vocabulary(
        tokens=tokens,
        scores=scores,
        types=types,
        add_space_prefix=sp.add_dummy_prefix,
        special_ids=_special_ids(folder, sp, tokens),
        add_bos=bool(tok_config.get("add_bos_token", True)),
        add_eos=bool(tok_config.get("add_eos_token", False)),
        chat_template=template if isinstance(template, str) else None,
    )
