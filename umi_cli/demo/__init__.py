"""An offline demo API (a small music catalog) and its tool spec, for `umi run --demo`."""

from __future__ import annotations

from pathlib import Path

from umi_cli.demo.server import DemoServer, MusicCatalog

#: The tool spec describing the demo API (tool name :data:`DEMO_TOOL`).
SPEC_PATH = Path(__file__).resolve().parent / "music_catalog.yaml"
#: The tool name in the spec, the key for ``base_urls``.
DEMO_TOOL = "music_catalog"
#: The shipped task suite for the demo API (`umi eval tasks --demo`).
TASKS_PATH = Path(__file__).resolve().parent / "tasks.jsonl"

__all__ = ["DEMO_TOOL", "SPEC_PATH", "TASKS_PATH", "DemoServer", "MusicCatalog"]
