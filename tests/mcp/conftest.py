"""Fixtures of the MCP tests: toolsets over the test servers, closed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mcp_data import MakeToolset, source_of
from support.mcp_server import server_source

from umi_cli import secrets
from umi_cli.tools.mcp import McpToolset


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    yield
    secrets.forget_all()


@pytest.fixture
def make_toolset() -> Iterator[MakeToolset]:
    """Build toolsets from source dicts (default: the test server); all closed at teardown."""
    made: list[McpToolset] = []

    def make(data: dict[str, Any] | None = None, **options: Any) -> McpToolset:
        toolset = McpToolset(source_of(data or server_source()), **options)
        made.append(toolset)
        return toolset

    yield make
    for toolset in made:
        toolset.close()


@pytest.fixture(scope="module")
def shared_toolset() -> Iterator[McpToolset]:
    """One started toolset over the test server for tests that leave it as they found it."""
    toolset = McpToolset(source_of(server_source(call_timeout=2)))
    toolset.tools()
    yield toolset
    toolset.close()
