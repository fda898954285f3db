"""`umi batch` end to end: results per task, resume after a kill, failures recorded, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import TIMEOUT, slow_spec, tool_args

pytestmark = pytest.mark.usefixtures("tiny_profiles")

REPO_ROOT = Path(__file__).resolve().parents[2]


def write_tasks(path: Path, tasks: list[dict]) -> Path:
    path.write_text("".join(json.dumps(task) + "\n" for task in tasks))
    return path


def result_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_batch_records_every_task_and_summarizes(run_umi, music_spec, tool_server, tmp_path):
    tasks = write_tasks(
        tmp_path / "tasks.jsonl",
        [{"id": f"t{n}", "query": f"Find song number {n}"} for n in range(3)],
    )
    out = tmp_path / "results.jsonl"
    done = run_umi(
        "batch",
        tasks,
        "-o",
        out,
        "-p",
        "tiny",
        *tool_args(music_spec, tool_server.base_url),
        "--max-steps",
        "1",
        "--json",
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    records = result_lines(out)
    assert [r["id"] for r in records] == ["t0", "t1", "t2"]
    for record in records:
        assert list(record) == [
            "id",
            "outcome",
            "answer",
            "steps",
            "calls",
            "tokens",
            "prompt_tokens",
            "seconds",
            "error",
        ]
        assert record["outcome"] == "answered" and record["answer"]
        assert record["steps"] == 2 and record["calls"] == 1 and record["tokens"] > 0
        assert record["error"] is None
    summary = json.loads(done.stdout)
    assert summary["tasks"] == 3 and summary["answered"] == 3 and summary["failed"] == 0
    assert summary["calls"] == 3 and summary["steps"] == 6
    assert len(tool_server.requests_to("/music/search")) == 3

    again = run_umi(
        "batch", tasks, "-o", out, "-p", "tiny", "--json", timeout=TIMEOUT
    )  # all done: no model load
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["skipped"] == 3 and len(result_lines(out)) == 3


def test_failed_task_is_recorded_and_the_batch_goes_on(run_umi, music_spec, tool_server, tmp_path):
    tasks = write_tasks(
        tmp_path / "tasks.jsonl",
        [
            {"id": 1, "query": "Find a song"},
            {"id": 2, "query": "Use a tool that is not there", "tools": ["no-such-tool"]},
            {"id": 3, "query": "Find another song"},
        ],
    )
    out = tmp_path / "results.jsonl"
    done = run_umi(
        "batch",
        tasks,
        "-o",
        out,
        "-p",
        "tiny",
        *tool_args(music_spec, tool_server.base_url),
        "--max-steps",
        "1",
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    records = {r["id"]: r for r in result_lines(out)}
    assert records[1]["outcome"] == "answered" and records[3]["outcome"] == "answered"
    assert records[2]["outcome"] == "failed" and "no-such-tool" in records[2]["error"]
    assert "answered" in done.stdout and "failed" in done.stdout  # the summary table


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("{not json", "not valid JSON"),
        ('{"query": "no id"}', "id"),
        ('{"id": "a", "query": ""}', "query"),
        ('{"id": "a", "query": "q", "tools": "music"}', "tools"),
        ('{"id": "t0", "query": "again"}', "repeats line 1"),
    ],
)
def test_bad_task_line_stops_before_starting(run_umi, tmp_path, line, needle):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"id": "t0", "query": "fine"}\n\n' + line + "\n")
    out = tmp_path / "results.jsonl"
    done = run_umi("batch", tasks, "-o", out, "-p", "tiny", timeout=TIMEOUT)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{tasks}:3:" in lines[0] and needle in lines[0], done.stderr
    assert not out.exists()


def test_resume_after_kill_loses_and_repeats_nothing(umi_home, tool_server, tmp_path):
    spec = slow_spec(tmp_path, 1.0)  # every task's call takes a second: room to kill mid-run
    ids = [f"job-{n}" for n in range(4)]
    tasks = write_tasks(tmp_path / "tasks.jsonl", [{"id": i, "query": f"do {i}"} for i in ids])
    out = tmp_path / "results.jsonl"
    command = [
        sys.executable,
        "-m",
        "umi_cli",
        "batch",
        str(tasks),
        "-o",
        str(out),
        "-p",
        "tiny",
        *tool_args(spec, tool_server.base_url),
        "--max-steps",
        "1",
        "--json",
    ]
    env = {**os.environ, "UMI_HOME": str(umi_home)}
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while not (out.exists() and out.read_text().count("\n") >= 1):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no result line appeared"
            time.sleep(0.05)
        process.kill()
    finally:
        process.wait()
    first = result_lines(out)
    assert 1 <= len(first) < len(ids)  # killed mid-batch
    with out.open("a") as handle:  # what a kill during a write leaves behind
        handle.write('{"id": "job-3", "outcome": "answ')

    done = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    records = result_lines(out)
    assert sorted(r["id"] for r in records) == ids  # each task exactly once
    assert records[: len(first)] == first
    assert all(r["outcome"] == "answered" for r in records)
    summary = json.loads(done.stdout)
    assert summary["skipped"] == len(first) and summary["tasks"] == len(ids)
    assert len(tool_server.requests_to("/fault/slow")) >= len(ids)


def test_corrupt_results_line_is_a_usage_error(run_umi, tmp_path):
    tasks = write_tasks(tmp_path / "tasks.jsonl", [{"id": "a", "query": "q"}])
    out = tmp_path / "results.jsonl"
    out.write_text('garbage\n{"id": "b", "outcome": "answered"}\n')
    done = run_umi("batch", tasks, "-o", out, "-p", "tiny", timeout=TIMEOUT)
    assert done.returncode == 2 and f"{out}:1:" in done.stderr


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("tasks", None),  # -o is the task file itself
        ("one_line.json", '{"name": "my settings", "keep": true}'),  # no newline, no results
        ("notes.jsonl", '{"id": "a", "outcome": "answered"}\n{"id": "b"'),  # not our fields
    ],
)
def test_an_output_that_is_not_a_results_file_is_refused_untouched(
    run_umi, tmp_path, name, content
):
    tasks = write_tasks(tmp_path / "tasks.jsonl", [{"id": "a", "query": "q"}])
    out = tasks if content is None else tmp_path / name
    if content is not None:
        out.write_text(content)
    before = out.read_bytes()
    done = run_umi("batch", tasks, "-o", out, "-p", "tiny", timeout=TIMEOUT)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"umi: error: {out}") or line.startswith(f"umi: error: -o {out}")
    assert out.read_bytes() == before


def test_an_output_folder_is_a_usage_error(run_umi, tmp_path):
    tasks = write_tasks(tmp_path / "tasks.jsonl", [{"id": "a", "query": "q"}])
    done = run_umi("batch", tasks, "-o", tmp_path, "-p", "tiny", timeout=TIMEOUT)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"umi: error: -o {tmp_path}: is a folder; give a results file (e.g. {tmp_path}/out.jsonl)"
    ]
