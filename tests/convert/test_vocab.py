"""The protobuf-level SentencePiece reader agrees with the sentencepiece package."""

from __future__ import annotations

import json

import pytest

from umi_cli.errors import UmiError
from umi_cli.models.convert.vocab import (
    BYTE,
    CONTROL,
    NORMAL,
    UNKNOWN,
    UNUSED,
    USER_DEFINED,
    load_vocabulary,
    parse_sentencepiece,
)


def test_pieces_scores_and_types_match_sentencepiece(tmp_path, sp_model):
    import sentencepiece as spm

    (tmp_path / "tokenizer.model").write_bytes(sp_model)
    parsed = parse_sentencepiece(tmp_path / "tokenizer.model")
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    assert len(parsed.pieces) == processor.get_piece_size()
    for i, (piece, score, kind) in enumerate(
        zip(parsed.pieces, parsed.scores, parsed.types, strict=True)
    ):
        assert piece == processor.id_to_piece(i)
        assert score == pytest.approx(processor.get_score(i))
        checks = [
            (processor.is_unknown, UNKNOWN),
            (processor.is_control, CONTROL),
            (processor.is_byte, BYTE),
            (processor.is_unused, UNUSED),
        ]
        expected = next((kind for test, kind in checks if test(i)), NORMAL)
        assert kind == expected, piece
    assert parsed.types.count(BYTE) == 256
    assert parsed.add_dummy_prefix is True
    assert parsed.model_type == 2  # BPE
    assert parsed.trainer_ids == {"unk_id": 0, "bos_id": 1, "eos_id": 2, "pad_id": -1}


def test_vocabulary_special_ids_added_tokens_and_padding(tmp_path, sp_model):
    (tmp_path / "tokenizer.model").write_bytes(sp_model)
    (tmp_path / "config.json").write_text(json.dumps({"bos_token_id": 1}))
    (tmp_path / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "eos_token": {"content": "</s>", "__type": "AddedToken"},
                "pad_token": "<unk>",
                "add_bos_token": True,
                "chat_template": "{{ messages }}",
            }
        )
    )
    n = len(parse_sentencepiece(tmp_path / "tokenizer.model").pieces)
    (tmp_path / "added_tokens.json").write_text(json.dumps({"<extra>": n}))
    vocab = load_vocabulary(tmp_path, n + 3)
    assert len(vocab.tokens) == n + 3
    assert vocab.tokens[n] == "<extra>" and vocab.types[n] == USER_DEFINED
    assert vocab.tokens[n + 1 :] == [f"[PAD{n + 1}]", f"[PAD{n + 2}]"]
    assert vocab.types[n + 1 :] == [UNUSED, UNUSED]
    assert vocab.special_ids == {"bos": 1, "eos": 2, "unk": 0, "padding": 0}
    assert vocab.add_bos and not vocab.add_eos
    assert vocab.chat_template == "{{ messages }}"


def test_more_tokens_than_the_config_allows_is_an_error(tmp_path, sp_model):
    (tmp_path / "tokenizer.model").write_bytes(sp_model)
    with pytest.raises(UmiError, match=r"config\.json vocab_size is 100"):
        load_vocabulary(tmp_path, 100)


def test_missing_or_broken_tokenizer_model(tmp_path):
    with pytest.raises(UmiError, match=r"tokenizer\.model: missing"):
        load_vocabulary(tmp_path, 10)
    (tmp_path / "tokenizer.model").write_bytes(b"\x0a\xff\xff\xff")
    with pytest.raises(UmiError, match="not a readable SentencePiece model"):
        load_vocabulary(tmp_path, 10)
