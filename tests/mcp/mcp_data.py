"""Helpers shared by the MCP tests (importable by name, unlike conftest.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from support.mcp_server import TESTS_DIR

from umi_cli.tools.mcp import McpSource, McpToolset, parse_source

#: The ``make_toolset`` fixture: a source dict (default: the test server) and options.
MakeToolset = Callable[..., McpToolset]


def source_of(data: dict[str, Any]) -> McpSource:
    """The parsed source; fails the test on any problem."""
    source, problems = parse_source(data)
    assert source is not None, problems
    return source


def raw_source(**env: str) -> dict[str, Any]:
    """The source dict of the misbehaving raw server (``env`` sets RAW_MODE and friends)."""
    return {
        "name": "raw",
        "mcp": {
            "command": [sys.executable, "-m", "support.mcp_raw_server"],
            "cwd": str(TESTS_DIR),
            "env": env,
            "start_timeout": 5,
            "call_timeout": 5,
        },
    }
