"""Damaged GGUF headers are refused with one line before llama.cpp can abort the process."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.tiny_gguf import write_tiny_gguf

from umi_cli.engine.llama.gguf_header import check_gguf, read_header
from umi_cli.errors import UmiError


def test_the_tiny_model_header_reads_and_passes(tiny_gguf: Path) -> None:
    header = check_gguf(tiny_gguf)
    assert header.values["general.architecture"] == "llama"
    assert header.values["llama.block_count"] == 2 and header.array_lengths["tokenizer.ggml.tokens"]
    assert len(header.tensor_names) == 3 + 2 * 9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"block_count": 1000}, "the header says 1000 layers but the file holds tensors for 2"),
        ({"n_ctx": 2**31 - 1}, "declares a context of 2147483647 tokens"),
    ],
)
def test_damaged_headers_are_one_clean_line_from_the_cli(run_umi, tmp_path, kwargs, message):
    bad = write_tiny_gguf(tmp_path / "bad.gguf", **kwargs)
    with pytest.raises(UmiError, match=message):
        check_gguf(bad)
    tried = run_umi("models", "try", bad, "hello", "--max-tokens", "2")
    assert tried.returncode == 1  # not 134 (SIGABRT) and no 8 GB allocation
    (line,) = tried.stderr.strip().splitlines()
    assert line.startswith("umi: error: ") and message in line
    verified = run_umi("models", "verify", bad)
    assert verified.returncode == 1 and message in verified.stdout + verified.stderr


def test_a_file_cut_inside_its_header_is_not_readable(tiny_gguf: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(tiny_gguf.read_bytes()[:5000])
    with pytest.raises(UmiError, match="ends inside its header"):
        read_header(cut)
    other = tmp_path / "text.gguf"
    other.write_text("not a model at all")
    with pytest.raises(UmiError, match="does not start with GGUF"):
        read_header(other)
