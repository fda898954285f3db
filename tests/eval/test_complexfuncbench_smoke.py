"""Every dev task's reference calls, replayed, match themselves (real data where installed)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from umi_cli.errors import UmiError
from umi_cli.eval.complexfuncbench import data
from umi_cli.eval.complexfuncbench.data import ReferenceCall, Task
from umi_cli.eval.complexfuncbench.matcher import Matcher
from umi_cli.eval.complexfuncbench.metrics import TaskScore, aggregate, score_task
from umi_cli.eval.complexfuncbench.replay import ReplayToolset
from umi_cli.eval.complexfuncbench.tools import tool_defs, tool_name
from umi_cli.eval.complexfuncbench.values import resolve
from umi_cli.tools.toolset import ToolDef

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dev() -> tuple[list[Task], list[ToolDef]]:
    try:
        tasks = data.load_tasks("dev")
        tools = tool_defs(data.load_functions())
    except UmiError:
        pytest.skip("nestful-wrapper 0.1.7 not installed")
    return tasks, tools


def as_typed(tool: ToolDef, arguments: dict[str, Any]) -> dict[str, Any]:
    """Arguments the way a schema-constrained caller writes them (numbers as numbers...)."""
    properties = tool.parameters["properties"]
    typed: dict[str, Any] = {}
    for name, value in arguments.items():
        kind = properties[name]["type"]
        if kind == "number" and isinstance(value, str):
            number = float(value)
            typed[name] = int(number) if number.is_integer() and "." not in value else number
        elif kind == "string" and not isinstance(value, str):
            typed[name] = str(value)
        else:
            typed[name] = value
    return typed


def replay_failures(
    tasks: list[Task], tools: list[ToolDef], *, typed: bool, skip_lookups: bool, seed: int | None
) -> tuple[list[str], list[TaskScore]]:
    """Replay each task's own resolved reference calls; list those that do not match."""
    by_name = {tool.name: tool for tool in tools}
    rng = random.Random(seed)
    failures: list[str] = []
    scores: list[TaskScore] = []
    for task in tasks:
        matcher = Matcher(task)
        calls = [c for c in task.calls if not (skip_lookups and matcher.is_optional(c.label))]
        if seed is not None:  # any order that keeps the data dependencies
            ordered: list[ReferenceCall] = []
            done: set[str] = set()
            while calls:
                ready = [c for c in calls if matcher.requires[c.label] <= done]
                call = rng.choice(ready)
                calls.remove(call)
                done.add(call.label)
                ordered.append(call)
            calls = ordered
        results = {call.label: call.response for call in task.calls}
        toolset = ReplayToolset(task, tools)
        for call in calls:
            arguments = resolve(call.arguments, results)
            if typed:
                arguments = as_typed(by_name[tool_name(call.name)], arguments)
            result = toolset.call(call.name, arguments)
            record = toolset.records[-1]
            if not result.ok or record.label != call.label or record.outcome != "match":
                failures.append(f"task {task.id} {call.label} {call.name}: {result.text[:200]}")
        scores.append(score_task(task, toolset.records))
    return failures, scores


def test_every_dev_reference_call_matches_itself(dev: tuple[list[Task], list[ToolDef]]) -> None:
    tasks, tools = dev
    assert [task.id for task in tasks] == list(range(500))
    failures, scores = replay_failures(tasks, tools, typed=False, skip_lookups=False, seed=None)
    assert failures == []
    summary = aggregate(scores)
    assert summary.success_rate == 1.0 and summary.call_accuracy == 1.0
    assert summary.complexeval_success_rate == 1.0 and summary.precision == 1.0


def test_schema_typed_arguments_match_too(dev: tuple[list[Task], list[ToolDef]]) -> None:
    tasks, tools = dev
    failures, _ = replay_failures(tasks, tools, typed=True, skip_lookups=False, seed=None)
    assert failures == []


def test_any_dependency_order_without_lookups_matches(
    dev: tuple[list[Task], list[ToolDef]],
) -> None:
    tasks, tools = dev
    failures, scores = replay_failures(tasks, tools, typed=True, skip_lookups=True, seed=1)
    assert failures == []
    assert all(score.complexeval_success for score in scores)
