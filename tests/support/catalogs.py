"""Tiny GGUFs written once per preference set, and their user-catalog entries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from support.tiny_gguf import write_tiny_gguf


def catalog_entry(
    path: Path, prompt_format: str = "alpha-umi", max_tokens: int = 96, context: int = 4096
) -> dict:
    """A verified catalog entry for the GGUF at ``path`` (greedy defaults)."""
    data = path.read_bytes()
    return {
        "description": f"tiny test model {path.name}",
        "sources": [{"path": str(path)}],
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "format": prompt_format,
        "context_length": context,
        "defaults": {"temperature": 0.0, "top_p": 1.0, "max_tokens": max_tokens},
    }


def tiny_model_maker(folder: Path) -> Callable[[dict[str, float]], Path]:
    """``make(prefer) -> Path``: a tiny GGUF in ``folder``, written once per preference set."""
    made: dict[str, Path] = {}

    def make(prefer: dict[str, float]) -> Path:
        key = json.dumps(prefer, sort_keys=True)
        if key not in made:
            name = hashlib.sha1(key.encode()).hexdigest()[:10]
            made[key] = write_tiny_gguf(folder / f"{name}.gguf", prefer=prefer)
        return made[key]

    return make
