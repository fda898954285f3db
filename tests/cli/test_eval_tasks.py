"""`umi eval tasks`: a task suite through the real CLI, tiny models and a loopback API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import TIMEOUT, tool_args

pytestmark = pytest.mark.usefixtures("tiny_profiles")

SUITE = [
    {"id": "browses", "query": "Find the song Hello",
     "expect": {"calls": [{"name": "browse_music"}], "outcome": "answered"}},
    {"id": "wants-name", "query": "Who sings Hello?", "expect": {"answer": ["Daft Punk"]}},
    {"id": "wants-words", "query": "Find Hello",
     "expect": {"calls": [{"name": "browse_music", "arguments": {"q": "hello"}}]}},
    {"id": "impossible", "query": "Book me a flight", "expect": {"unanswerable": True}},
]  # fmt: skip


def write_suite(path: Path, tasks: list[dict]) -> Path:
    path.write_text("".join(json.dumps(task) + "\n" for task in tasks), encoding="utf-8")
    return path


def test_a_suite_is_judged_per_task_with_totals_and_resumes(
    run_umi, music_spec, tool_server, tmp_path
):
    suite = write_suite(tmp_path / "suite.jsonl", SUITE)
    out = tmp_path / "out"
    args = ["eval", "tasks", suite, "-p", "tiny", *tool_args(music_spec, tool_server.base_url),
            "--max-steps", "1", "-o", out]  # fmt: skip
    first = run_umi(*args, "--limit", "3", "--json", timeout=TIMEOUT)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    by_id = {record["id"]: record for record in report["tasks"]}
    assert list(by_id) == ["browses", "wants-name", "wants-words"]
    assert by_id["browses"]["passed"], by_id["browses"]["failures"]
    assert by_id["browses"]["call_list"][0]["api"] == "browse_music_for_testapi"
    assert by_id["wants-name"]["failures"] == ["answer lacks 'Daft Punk'"]
    assert by_id["wants-words"]["failures"] == ["no call browse_music(q='hello')"]
    totals = report["totals"]
    assert totals["tasks"] == 3 and totals["passed"] == 1
    assert totals["mean_calls"] == 1.0 and totals["repeated_calls"] == 0
    assert json.loads((out / "metrics.json").read_text()) == report

    second = run_umi(*args, timeout=TIMEOUT)  # the table, and only the missing task is run
    assert second.returncode == 0, second.stderr
    assert "resuming: 3 of 4" in second.stderr
    assert "answered a question the tools cannot answer" in second.stdout
    assert "passed" in second.stdout and "1 / 4 (25.0%)" in second.stdout
    lines = (out / "predictions.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [t["id"] for t in SUITE]


def test_giving_up_passes_an_unanswerable_task(run_umi, music_spec, tool_server, tmp_path):
    suite = write_suite(tmp_path / "suite.jsonl", [SUITE[3]])
    done = run_umi(
        "eval", "tasks", suite, "-p", "tiny-quitter",
        *tool_args(music_spec, tool_server.base_url), "--json", timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (record,) = json.loads(done.stdout)["tasks"]
    assert record["outcome"] == "gave_up" and record["passed"]


def test_the_shipped_demo_suite_runs_with_demo(run_umi, tmp_path):
    done = run_umi("eval", "tasks", "--demo", "-p", "tiny", "--max-steps", "1", "--limit", "1",
                   "--json", timeout=TIMEOUT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    (record,) = json.loads(done.stdout)["tasks"]
    assert record["id"] == "albums-count-radiohead"
    assert record["calls"] == 1  # a real call to the demo API on loopback
    assert record["call_list"][0]["api"].endswith("_for_music_catalog")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "a", "query": "q"}', "expect: give an object"),
        ('{"id": "a", "query": "q", "expect": {"answr": ["x"]}}', "unknown field 'answr'"),
        ('{"id": "a", "query": "q", "expect": {"answer_regex": ["("]}}', "not a regular"),
        ('{"id": "a", "query": "q", "expect": {"outcome": "won"}}', "expect.outcome: 'won'"),
        ('{"id": "a", "query": "q", "expect": {"calls": [{"args": {}}]}}', "expect.calls[0]"),
        ("not json", "not valid JSON"),
    ],
)
def test_a_bad_suite_line_is_one_line_naming_file_and_line(run_umi, tmp_path, line, message):
    suite = tmp_path / "suite.jsonl"
    good = json.dumps({"id": "ok", "query": "q", "expect": {"outcome": "answered"}})
    suite.write_text(good + "\n" + line + "\n", encoding="utf-8")
    done = run_umi("eval", "tasks", suite, "-p", "tiny")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{suite}:2" in lines[0] and message in lines[0], done.stderr


def test_no_file_without_demo_is_a_usage_error(run_umi):
    done = run_umi("eval", "tasks")
    assert done.returncode == 2 and "--demo" in done.stderr
