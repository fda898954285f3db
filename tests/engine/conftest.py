"""Engine fixtures: the tiny model opened once per test module."""

from __future__ import annotations

from pathlib import Path

import pytest

from umi_cli.engine.llama import LlamaBackend, open_file


@pytest.fixture(scope="module")
def tiny(tiny_gguf: Path) -> LlamaBackend:
    """The tiny model, opened once per test module (slots are forgotten between tests)."""
    return open_file(tiny_gguf)


@pytest.fixture
def model(tiny: LlamaBackend) -> LlamaBackend:
    tiny.forget()
    return tiny
