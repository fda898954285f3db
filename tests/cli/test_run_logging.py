"""`umi run` and `umi chat` record their runs in the run log; `--no-log` and settings stop it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import TIMEOUT, tool_args

pytestmark = pytest.mark.usefixtures("tiny_profiles")


def logged(run_umi) -> list[dict]:
    listed = run_umi("logs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def test_a_run_is_logged_with_the_events_it_printed(run_umi, music_spec, tool_server):
    args = ["run", "Find Hello", "-p", "tiny", *tool_args(music_spec, tool_server.base_url)]
    done = run_umi(*args, "--max-steps", "1", "--json", timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    (row,) = logged(run_umi)
    assert (row["command"], row["profile"], row["task"]) == ("run", "tiny", "Find Hello")
    shown = json.loads(run_umi("logs", "show", str(row["id"]), "--json").stdout)
    printed = [json.loads(line) for line in done.stdout.splitlines()]
    assert shown["events"] == printed

    quiet = run_umi(*args, "--max-steps", "1", "-q", "--no-log", timeout=TIMEOUT)
    assert quiet.returncode == 0, quiet.stderr
    off = run_umi(*args, "--max-steps", "1", "-q", env={"UMI_NO_LOG": "1"}, timeout=TIMEOUT)
    assert off.returncode == 0, off.stderr
    assert len(logged(run_umi)) == 1


def test_chat_turns_are_logged_and_a_bad_settings_file_is_one_line(
    run_umi, music_spec, tool_server, umi_home: Path
):
    args = ["chat", "-p", "tiny", *tool_args(music_spec, tool_server.base_url), "--max-steps", "1"]
    done = run_umi(*args, input="Find Hello\nFind Bye\n/exit\n", timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    rows = logged(run_umi)
    assert [row["command"] for row in rows] == ["chat", "chat"]
    assert [row["task"] for row in rows] == ["Find Bye", "Find Hello"]

    settings = umi_home / "config" / "settings.yaml"
    settings.write_text("log: maybe\n", encoding="utf-8")
    bad = run_umi(*args, input="/exit\n", timeout=TIMEOUT)
    assert bad.returncode != 0
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "settings.yaml" in lines[0] and "log:" in lines[0], bad.stderr
