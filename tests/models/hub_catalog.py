"""The test model served by the local hub, as a user-catalog entry."""

from __future__ import annotations

import hashlib

REPO = "acme/tiny-GGUF"
FILE = "tiny-q4.gguf"
MODEL_ID = "tiny-hub"


def hub_entry(blob: bytes, **overrides) -> dict:
    """A catalog entry for the local hub's file (valid unless ``overrides`` break it)."""
    entry = {
        "description": "a test model served by the local hub",
        "sources": [{"hub": {"repo": REPO, "file": FILE, "revision": "main"}}],
        "sha256": hashlib.sha256(blob).hexdigest(),
        "size": len(blob),
        "format": "chat",
        "context_length": 2048,
    }
    entry.update(overrides)
    return entry
