"""Constants shared by the tool tests (importable by name, unlike conftest.py)."""

from __future__ import annotations

from pathlib import Path

#: A secret that must never show up in anything umi prints, logs or returns.
CANARY = "canary-7f3e9b2d-secret"

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
GOLDEN_DIR = SHARED_DATA / "alpha-umi" / "golden"
