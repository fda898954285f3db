"""Lifecycle of stdio servers: crashes, restarts, start failures, environment, no child left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from mcp_data import MakeToolset, raw_source, source_of
from support.mcp_procs import alive, gone_within
from support.mcp_server import TESTS_DIR, server_source

from umi_cli.tools.mcp import McpToolset, McpUnavailable
from umi_cli.tools.mcp import stdio as mcp_stdio
from umi_cli.tools.mcp import toolset as mcp_toolset

CANARY = "canary-mcp-4b1d-secret"


def test_crash_is_unavailable_then_the_server_restarts(make_toolset: MakeToolset) -> None:
    toolset = make_toolset()
    toolset.tools()
    first = toolset.pid
    assert first is not None
    result = toolset.call("crash_for_testsrv", {"code": 7})
    assert (result.ok, result.failure) == (False, "unavailable")
    assert result.service_down
    assert "exited with code 7" in result.text and "crashing on purpose" in result.text
    assert gone_within(first, 5)
    again = toolset.call("whoami_for_testsrv", {})
    assert again.ok
    assert json.loads(again.text)["pid"] == toolset.pid != first


def test_restarts_are_limited(make_toolset: MakeToolset, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mcp_toolset, "MAX_RESTARTS", 0)
    toolset = make_toolset()
    assert toolset.call("crash_for_testsrv", {}).failure == "unavailable"
    result = toolset.call("echo_for_testsrv", {"text": "x"})
    assert (result.ok, result.failure) == (False, "unavailable")
    assert "keeps stopping (1 starts); not started again" in result.text


def test_the_child_environment_is_exactly_path_and_the_files_env(
    make_toolset: MakeToolset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UMI_MCP_CANARY", CANARY)
    monkeypatch.setenv("FORWARDED_SECRET", "forwarded-9c2e")
    toolset = make_toolset(server_source(env={"MODE": "test", "TOKEN": "${FORWARDED_SECRET}"}))
    result = toolset.call("environment_for_testsrv", {})
    assert result.ok
    assert CANARY not in result.text and "UMI_MCP_CANARY" not in result.text
    assert "forwarded-9c2e" not in result.text  # forwarded, and masked in the observation
    env = json.loads(result.text)
    # Python itself adds LC_CTYPE in a C locale (PEP 538); nothing else may appear
    assert set(env) - {"LC_CTYPE"} == {"PATH", "MODE", "TOKEN"}
    assert env["PATH"] == os.environ["PATH"] and env["MODE"] == "test" and env["TOKEN"] == "***"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the trampoline is Linux-only")
def test_the_trampoline_passes_the_environment_unchanged() -> None:
    env = {"PATH": os.environ["PATH"], "ONLY": "this"}
    argv = mcp_stdio.launch_argv(["/usr/bin/env"], env)
    listed = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    assert sorted(listed.split()) == sorted(f"{key}={value}" for key, value in env.items())


def test_no_child_after_close(make_toolset: MakeToolset) -> None:
    toolset = make_toolset()
    toolset.tools()
    pid = toolset.pid
    assert pid is not None and alive(pid)
    started = time.monotonic()
    toolset.close()
    assert time.monotonic() - started < 5  # the server exits on EOF: well under EXIT_GRACE
    assert not alive(pid)
    toolset.close()  # idempotent
    result = toolset.call("echo_for_testsrv", {"text": "x"})
    assert (result.ok, result.failure) == (False, "unavailable")
    with pytest.raises(McpUnavailable, match="closed"):
        toolset.tools()


def test_no_child_after_an_exception_in_the_with_block() -> None:
    pid = None
    with pytest.raises(RuntimeError), McpToolset(source_of(server_source())) as toolset:
        toolset.tools()
        pid = toolset.pid
        raise RuntimeError("the agent failed")
    assert pid is not None and not alive(pid)


def test_the_exit_hook_kills_running_children(make_toolset: MakeToolset) -> None:
    toolset = make_toolset()
    toolset.tools()
    pid = toolset.pid
    assert pid is not None
    mcp_stdio.kill_all_children()  # what atexit runs
    assert gone_within(pid, 5)
    assert toolset.call("echo_for_testsrv", {"text": "x"}).failure == "unavailable"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["sleep", "raise", "stuck-sleep", "stuck-raise"])
def test_no_child_outlives_its_owner(mode: str) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-m", "support.mcp_owner", mode],
        cwd=TESTS_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert owner.stdin is not None and owner.stdout is not None
        pid = json.loads(owner.stdout.readline())["pid"]
        assert alive(pid)
        if mode.endswith("sleep"):
            if mode == "stuck-sleep" and not sys.platform.startswith("linux"):
                pytest.skip("only Linux has a parent-death signal")
            owner.send_signal(signal.SIGKILL)
        else:
            owner.stdin.write("raise\n")
            owner.stdin.flush()
        owner.wait(20)
        assert gone_within(pid, 5), f"the MCP child {pid} outlived its owner ({mode})"
    finally:
        owner.kill()
        owner.wait()


def test_grandchildren_go_with_the_server(make_toolset: MakeToolset) -> None:
    toolset = make_toolset(raw_source())
    result = toolset.call("grandchild_for_raw", {})
    grandchild = int(result.text)
    assert alive(grandchild)
    toolset.close()
    assert gone_within(grandchild, 5)


def test_command_not_found(make_toolset: MakeToolset) -> None:
    toolset = make_toolset({"name": "ghost", "mcp": {"command": ["no-such-mcp-server-xyz"]}})
    with pytest.raises(McpUnavailable, match="no-such-mcp-server-xyz not found"):
        toolset.tools()
    result = toolset.call("anything", {})
    assert (result.ok, result.failure) == (False, "unavailable")


def test_missing_variable_is_refused(make_toolset: MakeToolset) -> None:
    toolset = make_toolset(server_source(env={"KEY": "${UMI_TEST_UNSET_VARIABLE}"}))
    result = toolset.call("echo_for_testsrv", {"text": "x"})
    assert (result.ok, result.failure) == (False, "refused")
    assert "mcp.env.KEY: ${UMI_TEST_UNSET_VARIABLE} is not set (export" in result.text


def test_server_dying_at_start_shows_its_stderr(make_toolset: MakeToolset) -> None:
    toolset = make_toolset(raw_source(RAW_MODE="die"))
    with pytest.raises(McpUnavailable) as caught:
        toolset.tools()
    message = str(caught.value)
    assert "exited with code 3" in message and "cannot open the database" in message


@pytest.mark.slow
def test_server_hanging_at_start_times_out(make_toolset: MakeToolset) -> None:
    data = raw_source(RAW_MODE="hang")
    data["mcp"]["start_timeout"] = 1
    toolset = make_toolset(data)
    started = time.monotonic()
    with pytest.raises(McpUnavailable, match=r"did not start within 1 s"):
        toolset.tools()
    assert time.monotonic() - started < 6
    assert toolset.pid is None


def test_stray_output_is_tolerated(make_toolset: MakeToolset) -> None:
    toolset = make_toolset(raw_source())
    assert toolset.call("garbage_for_raw", {}).text == "after garbage"
    assert toolset.call("hello_for_raw", {}).text == "hello"


def test_a_result_outside_the_schema_is_a_response_failure(make_toolset: MakeToolset) -> None:
    toolset = make_toolset(raw_source())
    result = toolset.call("bad_result_for_raw", {})
    assert (result.ok, result.failure) == (False, "response")
    assert toolset.call("hello_for_raw", {}).ok


@pytest.mark.slow
def test_closed_pipe_is_unavailable_and_close_kills_a_stubborn_server(
    make_toolset: MakeToolset,
) -> None:
    toolset = make_toolset(raw_source(RAW_IGNORE_TERM="1"))
    toolset.tools()
    pid = toolset.pid
    assert pid is not None
    started = time.monotonic()
    result = toolset.call("hangup_for_raw", {})
    assert (result.ok, result.failure) == (False, "unavailable")
    assert time.monotonic() - started < 3
    assert alive(pid)  # it closed stdout but runs on, ignoring stdin and SIGTERM
    toolset.close()
    assert not alive(pid)


def test_an_oversized_message_is_unavailable(make_toolset: MakeToolset) -> None:
    toolset = make_toolset(raw_source())
    result = toolset.call("huge_for_raw", {})
    assert (result.ok, result.failure) == (False, "unavailable")
    assert "message over" in result.text
