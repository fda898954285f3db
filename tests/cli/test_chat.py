"""`umi chat` through a pseudo-terminal: slash commands, tasks, memory, Ctrl-C, Ctrl-D."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from cli_helpers import TIMEOUT, default_sigint, slow_spec, tool_args

pexpect = pytest.importorskip("pexpect")

pytestmark = pytest.mark.usefixtures("tiny_profiles")

REPO_ROOT = Path(__file__).resolve().parents[2]
PROMPT = "umi> "


def spawn_chat(umi_home: Path, *args: str):
    env = {**os.environ, "UMI_HOME": str(umi_home), "TERM": "xterm", "NO_COLOR": "1"}
    env.pop("COLUMNS", None)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "umi_cli", "chat", *args],
        cwd=str(REPO_ROOT),
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(40, 160),
        preexec_fn=default_sigint,
    )
    child.expect_exact(PROMPT)
    return child


def test_repl_commands_tasks_memory_and_exit(umi_home, music_spec, tool_server, tmp_path):
    child = spawn_chat(
        umi_home, "-p", "tiny", *tool_args(music_spec, tool_server.base_url), "--max-steps", "1"
    )
    try:
        child.sendline("/help")
        child.expect_exact("/reset")
        child.expect_exact(PROMPT)
        child.sendline("/tools")
        child.expect_exact("browse_music_for_testapi")
        child.expect_exact(PROMPT)
        child.sendline("/profile")
        child.expect_exact("profile tiny")
        child.expect_exact(PROMPT)
        child.sendline("/nonsense")
        child.expect_exact("unknown command /nonsense")
        child.expect_exact(PROMPT)

        child.sendline("Find a song about love")
        child.expect_exact("browse_music_for_testapi")
        child.expect_exact("answered")
        child.expect_exact(PROMPT)
        child.sendline("And another one")
        child.expect_exact("answered")
        child.expect_exact(PROMPT)
        trace = tmp_path / "trace.json"
        child.sendline(f"/trace {trace}")
        child.expect_exact("trace written")
        child.expect_exact(PROMPT)

        child.send("half a line")  # Ctrl-C at the prompt clears the line only
        child.expect_exact("half a line")
        child.sendintr()
        child.expect_exact(PROMPT)
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    turns = json.loads(trace.read_text())["conversations"]
    users = [t["value"] for t in turns if t["from"] == "user"]
    assert users == ["Find a song about love", "And another one"]  # the first turn is remembered
    assert len(tool_server.requests_to("/music/search")) == 2
    history = (umi_home / "config" / "chat_history").read_text()
    assert "/help" in history and "Find a song about love" in history


def test_ctrl_c_cancels_the_running_step_and_keeps_the_repl(umi_home, tool_server, tmp_path):
    spec = slow_spec(tmp_path, 3.0)
    child = spawn_chat(umi_home, "-p", "tiny", *tool_args(spec, tool_server.base_url))
    try:
        child.sendline("Look it up slowly")
        child.expect_exact("calling a_slow_lookup_for_testapi")  # the call is in flight
        child.sendintr()
        child.expect_exact("cancelling")
        child.expect_exact("cancelled")
        child.expect_exact(PROMPT)
        child.sendline("/reset")
        child.expect_exact("memory cleared")
        child.expect_exact(PROMPT)
        child.sendline("/exit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert len(tool_server.requests_to("/fault/slow")) == 1  # the cancelled run stopped there
