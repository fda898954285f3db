"""`umi run` end to end: the real CLI in a subprocess, tiny GGUFs, tools on a loopback server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import TIMEOUT, default_sigint, json_events, slow_spec, tool_args

pytestmark = pytest.mark.usefixtures("tiny_profiles")

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_json_events_follow_planner_call_observation_answer(run_umi, music_spec, tool_server):
    done = run_umi(
        "run",
        "--profile",
        "tiny",
        *tool_args(music_spec, tool_server.base_url),
        "--max-steps",
        "1",
        "--no-answer-check",  # the tiny model's answer as written (checks: test_answering.py)
        "--json",
        "Find a song about love",
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    events = json_events(done.stdout)  # every stdout line is one JSON event
    kinds = [e["event"] for e in events]
    assert kinds == [
        "run_started",
        "planner",
        "call",
        "observation",
        "step_budget",
        "planner",
        "answer",
        "run_finished",
    ]
    started, plan, call, observation = events[:4]
    assert started["task"] == "Find a song about love" and started["profile"] == "tiny"
    assert started["tools"] == ["browse_music_for_testapi"]
    assert plan["decision"] == "caller" and plan["stats"]["generated_tokens"] > 0
    assert call["api"] == "browse_music_for_testapi" and "q" in call["arguments"]
    assert observation["ok"] is True and observation["status"] == 200
    assert json.loads(observation["text"])["total"] == 6  # the server's whole track list
    assert events[5]["decision"] == "conclusion"
    finished = events[-1]
    assert finished["outcome"] == "answered" and finished["steps"] == 2
    assert finished["answer"] == events[6]["text"] and finished["answer"]
    assert len(tool_server.requests_to("/music/search")) == 1


def test_stream_tokens_adds_token_events(run_umi, music_spec, tool_server):
    done = run_umi(
        "run",
        "-p",
        "tiny",
        *tool_args(music_spec, tool_server.base_url),
        "--max-steps",
        "1",
        "--json",
        "--stream-tokens",
        "Find a song",
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    tokens = [e for e in json_events(done.stdout) if e["event"] == "token"]
    assert {t["role"] for t in tokens} == {"planner", "caller", "summarizer"}


def test_quiet_prints_only_the_answer_and_trace_is_toolbench(
    run_umi, music_spec, tool_server, tmp_path
):
    trace = tmp_path / "out" / "trace.json"
    done = run_umi(
        "run",
        "-p",
        "tiny",
        *tool_args(music_spec, tool_server.base_url),
        "--max-steps",
        "1",
        "--quiet",
        "--trace",
        str(trace),
        "-",
        input="Find a song about love\n",
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(trace.read_text())
    assert data["instruction"] == "Find a song about love"
    assert [t["Name"] for t in data["tools"]] == ["browse_music_for_testapi"]
    turns = [t["from"] for t in data["conversations"]]
    assert turns == ["user", "assistant", "caller", "observation", "assistant", "conclusion"]
    assert data["conversations"][2]["value"].startswith("Action: browse_music_for_testapi")
    answer = data["conversations"][-1]["value"]
    assert done.stdout == answer.strip() + "\n"  # nothing but the answer


def test_live_view_shows_steps_and_totals(run_umi, music_spec, tool_server):
    done = run_umi(
        "run",
        "-p",
        "tiny",
        *tool_args(music_spec, tool_server.base_url),
        "--max-steps",
        "1",
        "Find",
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for piece in (
        "step 1 · planner",
        "→ caller",
        "browse_music_for_testapi",
        "HTTP 200",
        "Love Story",
        "answer",
        "answered · 2 steps",
        "tok/s",
    ):
        assert piece in out, piece


def test_failing_api_forces_a_switch(run_umi, weather_spec, tool_server):
    tool_server.down = True
    done = run_umi(
        "run",
        "-p",
        "tiny",
        *tool_args(weather_spec, tool_server.base_url),
        "--max-steps",
        "2",
        "--json",
        "What is the weather in Paris?",
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    events = json_events(done.stdout)
    calls = [e["api"] for e in events if e["event"] == "call"]
    assert calls == ["all_weather_for_testapi", "backup_weather_for_testapi"]
    first, second = [e for e in events if e["event"] == "observation"]
    assert first["ok"] is False and first["status"] == 503
    assert "not available" in first["text"]
    assert second["ok"] is True and second["status"] == 200
    assert len(tool_server.requests_to("/weather/down")) == 1
    assert len(tool_server.requests_to("/echo/weather")) == 1


def test_give_up_exits_3_and_retries_record_every_attempt(run_umi, music_spec, tool_server):
    done = run_umi(
        "run",
        "-p",
        "tiny-quitter",
        *tool_args(music_spec, tool_server.base_url),
        "--retries",
        "1",
        "--json",
        "Find a song",
        timeout=TIMEOUT,
    )
    assert done.returncode == 3, done.stderr
    events = json_events(done.stdout)
    kinds = [e["event"] for e in events]
    assert kinds.count("gave_up") == 2 and kinds.count("retry") == 1
    assert [e["attempt"] for e in events if e["event"] == "gave_up"] == [1, 2]
    assert events[-1]["outcome"] == "gave_up" and events[-1]["attempts"] == 2

    quiet = run_umi(
        "run",
        "-p",
        "tiny-quitter",
        *tool_args(music_spec, tool_server.base_url),
        "-q",
        "x",
        timeout=TIMEOUT,
    )
    assert quiet.returncode == 3 and quiet.stdout == ""
    assert "gave up" in quiet.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--max-steps", "0", "task"], "--max-steps"),
        (["--json", "--quiet", "task"], "--json and --quiet"),
        (["--base-url", "nourl", "task"], "--base-url"),
        (["--retries", "-1", "task"], "--retries"),
        (["-p", "no-such-profile", "task"], "no-such-profile"),
        (["-"], "empty"),
    ],
)
def test_usage_errors_exit_2_with_one_line(run_umi, music_spec, args, needle):
    done = run_umi("run", "--tools", str(music_spec), *args, input="", timeout=TIMEOUT)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("umi: error:") and needle in lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize("args", [["--no-such-flag", "task"], [], ["--max-steps", "many", "task"]])
def test_bad_flags_exit_2_with_one_line(run_umi, args):
    done = run_umi("run", *args, timeout=TIMEOUT)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("umi: error:"), done.stderr
    assert "umi run --help" in lines[0]


def test_unknown_tool_is_one_line_error(run_umi):
    done = run_umi("run", "-p", "tiny", "--tools", "no-such-tool", "task", timeout=TIMEOUT)
    assert done.returncode in (1, 2)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-such-tool" in lines[0], done.stderr


def test_ctrl_c_cancels_the_run_cleanly(umi_home, tool_server, tmp_path):
    spec = slow_spec(tmp_path, 3.0)
    command = [
        sys.executable,
        "-m",
        "umi_cli",
        "run",
        "-p",
        "tiny",
        *tool_args(spec, tool_server.base_url),
        "--json",
        "Look it up slowly",
    ]
    env = {**os.environ, "UMI_HOME": str(umi_home)}
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    try:
        lines = []
        for line in process.stdout:  # wait for the call that is now in flight
            lines.append(json.loads(line))
            if lines[-1]["event"] == "call":
                break
        process.send_signal(signal.SIGINT)
        rest, errors = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, errors
    events = lines + json_events(rest)
    finished = events[-1]
    assert finished["event"] == "run_finished" and finished["outcome"] == "failed"
    assert finished["error"] == "cancelled"
    assert "cancelled" in errors and "Traceback" not in errors
