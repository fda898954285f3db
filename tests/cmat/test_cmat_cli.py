"""`--mode cmat` end to end: the real CLI in subprocesses, tiny GGUFs, loopback HTTP, SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cmat_support import json_events, of, weather_spec

REPO = Path(__file__).resolve().parents[2]
DEV_FILE = REPO / ".." / "shared" / "data" / "alpha-umi" / "toolbench_ood_dev.json"


def run_args(profile: str, spec: Path, server, *extra: str) -> list[str]:
    return [
        "run", "--profile", profile, "--mode", "cmat", "--tools", str(spec),
        "--base-url", f"weather={server.base_url}", "--max-steps", "1", *extra,
        "What is the weather in Paris?",
    ]  # fmt: skip


def memory_list(run_umi) -> list[dict]:
    listed = run_umi("memory", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def test_a_cmat_run_writes_lessons_that_a_second_process_recalls(
    run_umi, cmat_profiles, tool_server, tmp_path
):
    spec = weather_spec(tmp_path)
    first = run_umi(*run_args("tiny-cmat", spec, tool_server, "--json"))
    assert first.returncode in (0, 3), first.stderr
    events = json_events(first.stdout)
    names = [event["event"] for event in events]
    assert names[:2] == ["run_started", "memory_used"] and names[-1] == "run_finished"
    assert events[1]["lessons"] == []
    (check,) = of("check", events)
    assert names.index("planner") < names.index("check") < names.index("call")
    assert (check["verdict"], check["reason"], check["revision"]) == ("accept", "", 0)
    assert check["stats"]["generated_tokens"] > 0
    assert check["api"] == of("call", events)[0]["api"] == "current_for_weather"
    written = of("reflection", events)
    assert written and all(r["apis"] == ["current_for_weather"] for r in written)
    assert all(r["text"].startswith("current_for_weather ") for r in written)

    second = run_umi(*run_args("tiny-cmat", spec, tool_server, "--json"))
    assert second.returncode in (0, 3), second.stderr
    (used,) = of("memory_used", json_events(second.stdout))
    recalled = {lesson["id"] for lesson in used["lessons"]}
    assert recalled and recalled <= {r["lesson_id"] for r in written}
    stored = {lesson["id"]: lesson for lesson in memory_list(run_umi)}
    assert all(stored[i]["uses"] == 1 for i in recalled)
    assert {r["lesson_id"] for r in written} <= set(stored)


def test_rejections_revisions_and_giving_up_through_the_cli(
    run_umi, cmat_profiles, tool_server, tmp_path
):
    spec = weather_spec(tmp_path)
    extra = ("--check-revisions", "1", "--after-rejections", "give-up", "--no-memory", "--json")
    done = run_umi(*run_args("tiny-cmat-strict", spec, tool_server, *extra))
    assert done.returncode == 3, done.stderr  # gave up
    events = json_events(done.stdout)
    checks = of("check", events)
    assert [(c["verdict"], c["revision"]) for c in checks] == [("reject", 0), ("reject", 1)]
    assert [r["revision"] for r in of("revision", events)] == [1]
    assert of("call", events) == [] and tool_server.requests == []
    assert not of("memory_used", events) and not of("reflection", events)
    assert "checker rejected the call 2 times" in of("gave_up", events)[0]["reason"]

    live = run_umi(*run_args("tiny-cmat-strict", spec, tool_server, "--check-revisions", "1"))
    assert live.returncode in (0, 3), live.stderr
    out = live.stdout
    assert "checker  ✗ reject" in out and "checker (revision 1)  ✗ reject" in out
    assert "revision 1/1" in out and "revisions spent: the call is sent anyway" in out
    assert "memory  no lessons for these APIs yet" in out
    assert len(tool_server.requests) == 1  # the overruled call, sent once


def test_no_secret_reaches_the_memory_database(run_umi, cmat_profiles, tool_server, tmp_path):
    canary = "canary-5be1d07a9c"
    spec = weather_spec(tmp_path, cities=canary, key_env="UMI_TEST_CANARY")
    args = run_args("tiny-cmat", spec, tool_server, "--reflection", "facts", "--json")
    args[-1] = f"What is the weather in {canary}?"  # the key in the request too
    done = run_umi(*args, env={"UMI_TEST_CANARY": canary})
    assert done.returncode in (0, 3), done.stderr
    (request,) = tool_server.requests  # the caller had to send the key as the city
    assert request.query["city"] == [canary] and request.header("X-Api-Key") == canary
    written = of("reflection", json_events(done.stdout))
    assert written and any("***" in r["text"] for r in written)
    lessons = memory_list(run_umi)
    assert lessons and canary not in json.dumps(lessons)
    home = Path(run_umi("memory", "path").stdout.strip()).parent
    for file in home.glob("memory.db*"):
        assert canary.encode() not in file.read_bytes(), file


def test_batch_runs_cmat_tasks(run_umi, cmat_profiles, tool_server, tmp_path):
    spec = weather_spec(tmp_path)
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"id": "w1", "query": "Weather in Oslo?"}\n', encoding="utf-8")
    out = tmp_path / "results.jsonl"
    done = run_umi(
        "batch", str(tasks), "-o", str(out), "--profile", "tiny-cmat", "--mode", "cmat",
        "--tools", str(spec), "--base-url", f"weather={tool_server.base_url}",
        "--max-steps", "1", "--no-memory", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["id"] == "w1" and record["calls"] == len(tool_server.requests) == 1
    assert not Path(run_umi("memory", "path").stdout.strip()).exists()


@pytest.mark.skipif(not DEV_FILE.exists(), reason="the ToolBench dev file is not present")
def test_eval_toolbench_has_a_cmat_predictor(run_umi, cmat_profiles, tmp_path):
    out = tmp_path / "results"
    done = run_umi(
        "eval", "toolbench", str(DEV_FILE), "--profile", "tiny-cmat-strict", "--mode", "cmat",
        "--limit", "1", "-o", str(out), "--json", timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (record,) = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    predicted = record["predicted"]
    assert predicted["decision"] == "caller"  # the tiny planner always calls
    assert [c["verdict"] for c in predicted["checks"]] == ["reject"] * 3
    assert [c["revision"] for c in predicted["checks"]] == [0, 1, 2]
    assert predicted["revisions"] == 2 and record["stats"]["checker"]["generated_tokens"] > 0
    assert set(record["scores"]) >= {"act_em", "arg_f1", "hallucinated"}
    # the actor's first proposal is kept and scored: the same run without the checker
    unchecked = predicted["unchecked"]
    assert unchecked["decision"] == "caller" and unchecked["api"]
    assert 0 < unchecked["seconds"] <= record["seconds"]
    assert set(record["unchecked_scores"]) == set(record["scores"])
    without = json.loads(done.stdout)["metrics"]["unchecked"]
    assert without["samples"] == 1 and without["changed_by_checker"] in (0, 1)


def test_the_memory_scenario_script_on_tiny_models(cmat_profiles, umi_home, tmp_path):
    work = tmp_path / "scenario"
    env = {**os.environ, "UMI_HOME": str(umi_home), "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, "bench/memory_scenario.py", "--profile", "tiny-cmat", "--tasks", "2",
         "--max-steps", "1", "--reflection", "facts", "--workdir", str(work), "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["broken_api"] == "artist_albums_for_music_catalog" and report["tasks"] == 2
    first, second = report["twice"]
    assert first["recalled"] == 0
    assert 1 <= second["recalled"] <= len(first["lessons_written"])  # run 1's, in process 2
    on, off = report["batch"]["memory on"], report["batch"]["memory off"]
    for figures in (on, off):
        assert len(figures["calls"]) == 2
        for half in ("first", "last"):
            part = figures[half]
            assert part["tasks"] == 1 and 0 <= part["passed"] <= 1
            assert 0 <= part["broken_calls_per_task"] <= part["calls_per_task"]
        assert figures["first"]["calls_per_task"] == figures["calls"][0]
    assert (work / "memory-on" / "data" / "memory.db").exists()
    assert not (work / "memory-off" / "data" / "memory.db").exists()
    assert (work / "twice" / "config" / "models.yaml").exists()
