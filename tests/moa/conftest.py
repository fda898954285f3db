"""MoA fixtures: tiny chat and α-UMi GGUFs, opened once per module or put in a user catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from moa_helpers import CALLING, CHATTY, EMPTY, OTHER
from support.catalogs import catalog_entry
from support.tiny_gguf import write_tiny_gguf

from umi_cli.engine.llama import LlamaBackend, open_file


@pytest.fixture(scope="session")
def moa_ggufs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny GGUFs: ``chatty`` writes letters, ``other`` other letters, ``empty`` ends at once,
    ``calling`` is the α-UMi model the CLI tests use (plans a call, calls, answers)."""
    folder = tmp_path_factory.mktemp("moa_models")
    return {
        "plain": write_tiny_gguf(folder / "plain.gguf"),
        "chatty": write_tiny_gguf(folder / "chatty.gguf", prefer=CHATTY),
        "other": write_tiny_gguf(folder / "other.gguf", prefer=OTHER, seed=1),
        "empty": write_tiny_gguf(folder / "empty.gguf", prefer=EMPTY),
        "calling": write_tiny_gguf(folder / "calling.gguf", prefer=CALLING),
    }


@pytest.fixture(scope="module")
def plain(moa_ggufs: dict[str, Path]) -> LlamaBackend:
    """The unbiased tiny model (its greedy text depends on the prompt), opened once."""
    backend = open_file(moa_ggufs["plain"], 1024)
    yield backend
    backend.close()


def _entry(path: Path, prompt_format: str, *, context: int = 4096, max_tokens: int = 48) -> dict:
    return catalog_entry(path, prompt_format, max_tokens, context)


@pytest.fixture
def moa_catalog(umi_home: Path, moa_ggufs: dict[str, Path]) -> Path:
    """A user catalog: chat models ``tiny-chat``, ``tiny-other``, ``tiny-empty``, the α-UMi
    ``tiny-calling``; profiles ``chat`` (tiny-chat in every role), ``calling`` (tiny-calling),
    ``chat-moa`` (mode moa)."""
    models = {
        "tiny-chat": _entry(moa_ggufs["chatty"], "chat"),
        "tiny-other": _entry(moa_ggufs["other"], "chat"),
        "tiny-empty": _entry(moa_ggufs["empty"], "chat"),
        "tiny-calling": _entry(moa_ggufs["calling"], "alpha-umi", max_tokens=64),
    }
    trio = ("planner", "caller", "summarizer")
    profiles = {
        "chat": {"roles": {role: "tiny-chat" for role in trio}},
        "calling": {"roles": {role: "tiny-calling" for role in trio}},
        "chat-moa": {"mode": "moa", "roles": {role: "tiny-chat" for role in trio}},
    }
    catalog = umi_home / "config" / "models.yaml"
    catalog.parent.mkdir(parents=True, exist_ok=True)
    catalog.write_text(json.dumps({"models": models, "profiles": profiles}, indent=2))
    return catalog
