"""Fixtures of the tool tests: the loopback tool server and a spec pointing at it."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.loopback_spec import write_spec
from support.tool_server import ToolServer
from tools_data import CANARY


@pytest.fixture
def loopback_spec(tool_server: ToolServer, tmp_path: Path) -> Path:
    """The ``loopback`` tool spec for the running server (2 s timeout)."""
    return write_spec(tmp_path / "specs", tool_server.base_url)


@pytest.fixture
def canary_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LOOPBACK_API_KEY", CANARY)
    return CANARY
