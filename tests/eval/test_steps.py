"""ToolBench trajectories become step samples; the results folder resumes and refuses mixing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from umi_cli.errors import UsageError
from umi_cli.eval.results import ResultsFolder
from umi_cli.eval.steps import load_trajectories, select, step_samples

DEV = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "alpha-umi"
DEV_FILE = DEV / "toolbench_ood_dev.json"

TOOLS = [{"Name": "weather_for_w", "function": "f", "input": {"city": "string, the city"}}]
TRAJECTORY = {
    "tools": TOOLS,
    "instruction": "Weather in Paris?",
    "conversations": [
        {"from": "user", "value": "Weather in Paris?"},
        {"from": "assistant", "value": "I will look it up.\n Next: caller."},
        {"from": "caller", "value": 'Action: weather_for_w\nAction Input: {"city": "Paris"}'},
        {"from": "observation", "value": '{"temp": 18}'},
        {"from": "assistant", "value": "I know it now.\n Next: conclusion."},
        {"from": "conclusion", "value": "It is 18 degrees in Paris."},
    ],
}


def test_samples_of_a_trajectory(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps([TRAJECTORY]))
    first, second = step_samples(load_trajectories(path))
    assert first.id == "0:1" and first.decision == "caller"
    assert first.history == TRAJECTORY["conversations"][:1]
    assert first.call is not None
    assert (first.call.api, first.call.arguments) == ("weather_for_w", {"city": "Paris"})
    assert second.id == "0:4" and second.decision == "conclusion"
    assert len(second.history) == 4 and second.call is None
    assert second.answer == "It is 18 degrees in Paris."


def test_a_single_trajectory_object_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "trace.json"
    path.write_text(json.dumps({**TRAJECTORY, "steps": [{"extra": "figures"}]}))
    assert len(step_samples(load_trajectories(path))) == 2


@pytest.mark.skipif(not DEV_FILE.exists(), reason="shared data not present")
def test_dev_set_sample_counts_match_the_data_readme() -> None:
    samples = step_samples(load_trajectories(DEV_FILE))
    decisions = [s.decision for s in samples]
    assert len(samples) == 829
    assert decisions.count("caller") == 628
    assert decisions.count("conclusion") == 141
    assert decisions.count("give up") == 60
    # every reference call names an API of its own sample's tool list
    assert all(s.call.api in s.tool_names for s in samples if s.call)
    assert sum(s.answer is not None for s in samples) == 141


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a JSON file"),
        ('[{"tools": [], "conversations": [{"from": "robot", "value": "x"}]}]', "conversations[0]"),
        ('[{"tools": [{"name": "x"}], "conversations": []}]', "field 'tools'"),
        ("42", "expected a JSON list"),
    ],
)
def test_bad_files_are_one_line_usage_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(UsageError) as error:
        load_trajectories(path)
    assert message in str(error.value) and str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_select_is_reproducible_and_prefix_stable(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps([TRAJECTORY] * 10))
    samples = step_samples(load_trajectories(path))
    assert [s.id for s in select(samples, 3, None)] == ["0:1", "0:4", "1:1"]
    five = [s.id for s in select(samples, 5, 7)]
    assert five == [s.id for s in select(samples, 5, 7)]
    assert five[:3] == [s.id for s in select(samples, 3, 7)]
    assert five != [s.id for s in select(samples, 5, None)]


def test_results_folder_resumes_and_refuses_other_settings(tmp_path: Path) -> None:
    folder = ResultsFolder(tmp_path / "out", {"profile": "a"})
    folder.append({"id": "0:1", "x": 1})
    folder.close()
    # a torn line, as left by a killed process, is skipped and does not glue to the next record
    with (tmp_path / "out" / "predictions.jsonl").open("a") as handle:
        handle.write('{"id": "0:4", "x"')
    again = ResultsFolder(tmp_path / "out", {"profile": "a"})
    assert again.done_ids() == {"0:1"}
    again.append({"id": "0:4", "x": 2})
    again.close()
    assert again.done_ids() == {"0:1", "0:4"}
    with pytest.raises(UsageError, match="profile"):
        ResultsFolder(tmp_path / "out", {"profile": "b"})


def test_trace_files_written_by_the_agent_load(tmp_path: Path) -> None:
    from umi_cli.agent.trace import write_trace

    path = write_trace(tmp_path / "run.json", {**TRAJECTORY, "outcome": "answered", "steps": 2})
    samples = step_samples(load_trajectories(path))
    assert [s.decision for s in samples] == ["caller", "conclusion"]
