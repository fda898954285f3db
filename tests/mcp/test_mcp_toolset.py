"""McpToolset over the test server: ToolDefs, calls and how each outcome becomes a ToolResult."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp_data import MakeToolset
from support.mcp_server import server_source

from umi_cli import secrets
from umi_cli.tools.mcp import McpToolset
from umi_cli.tools.toolset import Toolset


def test_is_a_toolset(shared_toolset: McpToolset) -> None:
    assert isinstance(shared_toolset, Toolset)
    assert shared_toolset.name == "testsrv"


def test_tool_definitions(shared_toolset: McpToolset) -> None:
    tools = {tool.name: tool for tool in shared_toolset.tools()}
    assert set(tools) == {
        f"{name}_for_testsrv"
        for name in (
            "echo", "paint", "fail", "nap", "crash", "environment", "whoami", "weather", "refuse",
        )
    }  # fmt: skip
    echo = tools["echo_for_testsrv"]
    assert echo.service == "testsrv"
    assert echo.description == "Repeat a text, optionally in capitals."
    assert echo.parameters["type"] == "object"
    assert echo.parameters["required"] == ["text"]
    assert set(echo.parameters["properties"]) == {"text", "times", "shout"}
    assert echo.parameters["properties"]["times"]["type"] == "integer"
    paint = tools["paint_for_testsrv"]
    assert paint.parameters["properties"]["color"]["enum"] == ["red", "green", "blue"]
    assert paint.parameters["required"] == ["color"]


def test_ok_call(shared_toolset: McpToolset) -> None:
    result = shared_toolset.call("echo_for_testsrv", {"text": "hi", "times": 3, "shout": True})
    assert (result.ok, result.failure, result.text) == (True, None, "HI HI HI")
    assert result.detail == {"mcp_tool": "echo"}
    assert result.size == len("HI HI HI")
    assert result.seconds > 0


def test_arguments_as_json_text_and_by_mcp_name(shared_toolset: McpToolset) -> None:
    assert shared_toolset.call("echo_for_testsrv", '{"text": "a"}').text == "a"
    assert shared_toolset.call("echo", {"text": "b"}).text == "b"


def test_structured_content_is_compact_json(shared_toolset: McpToolset) -> None:
    result = shared_toolset.call("weather_for_testsrv", {"city": "Oslo"})
    assert result.ok
    assert result.text == json.dumps({"city": "Oslo", "celsius": 21.5, "sky": "clear"})


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("echo_for_testsrv", {}, "'text' is a required property"),
        ("echo_for_testsrv", {"text": "x", "times": "2"}, "times: '2' is not of type 'integer'"),
        ("paint_for_testsrv", {"color": "pink"}, "color: 'pink' is not one of"),
        ("echo_for_testsrv", "{not json", "arguments are not valid JSON"),
        ("echo_for_testsrv", "[1, 2]", "arguments must be a JSON object"),
        ("no_such_api", {}, "unknown API 'no_such_api' of testsrv (known: crash_for_testsrv"),
    ],
)
def test_caller_faults_are_arguments_failures(
    shared_toolset: McpToolset, name: str, arguments: dict[str, Any] | str, expected: str
) -> None:
    result = shared_toolset.call(name, arguments)
    assert (result.ok, result.failure) == (False, "arguments")
    assert expected in json.loads(result.text)["error"]
    assert not result.service_down


def test_is_error_is_a_failure_that_keeps_the_api_offered(shared_toolset: McpToolset) -> None:
    result = shared_toolset.call("fail_for_testsrv", {"message": "disk full"})
    assert (result.ok, result.failure) == (False, "client")
    assert "disk full" in result.text and not result.service_down


def test_json_rpc_errors(shared_toolset: McpToolset) -> None:
    invalid = shared_toolset.call("refuse_for_testsrv", {"code": -32602})
    assert (invalid.ok, invalid.failure, invalid.detail["code"]) == (False, "arguments", -32602)
    internal = shared_toolset.call("refuse_for_testsrv", {"code": -32603})
    assert (internal.ok, internal.failure) == (False, "unavailable")
    assert "answered error -32603: refused with -32603" in internal.text
    assert shared_toolset.call("echo_for_testsrv", {"text": "still here"}).ok


def test_slow_call_times_out_and_the_session_stays_usable(shared_toolset: McpToolset) -> None:
    result = shared_toolset.call("nap_for_testsrv", {"seconds": 30})
    assert (result.ok, result.failure) == (False, "timeout")
    assert 1.9 < result.seconds < 5
    assert "within 2 s" in result.text
    assert shared_toolset.call("echo_for_testsrv", {"text": "awake"}).text == "awake"


def test_observations_are_masked_and_cut(make_toolset: MakeToolset) -> None:
    toolset = make_toolset(max_observation_chars=50)
    secrets.remember("sk-live-0123456789")
    result = toolset.call("echo_for_testsrv", {"text": "key sk-live-0123456789 " + "y" * 100})
    assert result.ok
    assert "sk-live" not in result.text
    assert result.text.startswith("key *** yyy")
    assert len(result.text) == 53 and result.text.endswith("...")


def test_include_and_exclude_filter_the_tools(make_toolset: MakeToolset) -> None:
    toolset = make_toolset(server_source(include=["echo", "paint"], exclude=["paint"]))
    assert [tool.name for tool in toolset.tools()] == ["echo_for_testsrv"]
    assert toolset.call("paint_for_testsrv", {"color": "red"}).failure == "arguments"


def test_starts_on_first_call(make_toolset: MakeToolset) -> None:
    toolset = make_toolset()
    assert toolset.pid is None
    assert toolset.call("paint_for_testsrv", {"color": "red"}).text == "painted red (plain)"
    assert toolset.pid is not None
