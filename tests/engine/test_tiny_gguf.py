"""The tiny test model: byte-level vocabulary, special tokens, and weight-level preferences."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.tiny_gguf import BOS_ID, EOS_ID, write_tiny_gguf

from umi_cli.engine import CompletionRequest
from umi_cli.engine.llama import open_file


def test_written_special_tokens_parse_to_their_ids(tiny) -> None:
    assert tiny.tokenize("</s>") == [EOS_ID]
    assert tiny.tokenize("<s>") == [BOS_ID]
    assert tiny.tokenize("a</s>b")[1] == EOS_ID
    assert tiny.eos_token_id == EOS_ID
    im_end = tiny.tokenize("<|im_end|>")
    assert len(im_end) == 1 and tiny.token_text(im_end[0]) == "<|im_end|>"
    # without special parsing the same text is plain bytes
    assert tiny.tokenize("</s>", special=False) != [EOS_ID]
    assert tiny.tokenize("hi", add_bos=True)[0] == BOS_ID


@pytest.mark.parametrize("text", ["plain ascii", "héllo wörld", "✓ 🙂 中文\n\tend", "\x00\x7f"])
def test_any_utf8_round_trips(tiny, text: str) -> None:
    ids = tiny.tokenize(text, special=False)
    assert tiny.detokenize(ids) == text
    assert tiny.count_tokens(text) == len(ids)


def test_metadata_describes_a_llama_with_chatml(tiny) -> None:
    meta = tiny.metadata
    assert meta["general.architecture"] == "llama"
    assert meta["tokenizer.ggml.eos_token_id"] == str(EOS_ID)
    assert "<|im_start|>" in meta["tokenizer.chat_template"]


def _greedy(path: Path, grammar: str) -> str:
    model = open_file(path)
    request = CompletionRequest("pick: ", grammar=grammar, temperature=0, max_tokens=20)
    return model.complete(request).text


def test_prefer_makes_greedy_choice_deterministic(tmp_path: Path) -> None:
    grammar = "root ::= [a-e]{6}"
    b = _greedy(write_tiny_gguf(tmp_path / "b.gguf", prefer={"b": 8}), grammar)
    d = _greedy(write_tiny_gguf(tmp_path / "d.gguf", prefer={"d": 8}), grammar)
    assert (b, d) == ("bbbbbb", "dddddd")
    # a preferred character only wins where the grammar allows it
    fixed = _greedy(write_tiny_gguf(tmp_path / "x.gguf", prefer={"x": 8}), 'root ::= "ab" [xy]')
    assert fixed == "abx"


def test_prefer_end_of_sequence_ends_at_first_chance(tmp_path: Path) -> None:
    model = open_file(write_tiny_gguf(tmp_path / "eos.gguf", prefer={"</s>": 10}))
    done = model.complete(
        CompletionRequest("go", grammar='root ::= "ok" [a-z]*', temperature=0, max_tokens=20)
    )
    assert (done.text, done.stop_reason) == ("ok", "eos")


def test_model_without_chat_template(tmp_path: Path) -> None:
    from umi_cli.errors import UmiError

    model = open_file(write_tiny_gguf(tmp_path / "raw.gguf", chat_template=None))
    with pytest.raises(UmiError, match="no chat template"):
        model.render_chat([{"role": "user", "content": "hi"}])
