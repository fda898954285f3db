"""Task suites for any toolset: ``{"id", "query", "tools"?, "expect": {...}}`` per line.

``expect`` may hold any of:

- ``answer``: strings the final answer must all contain (case and spacing ignored);
- ``answer_any``: strings of which the answer must contain at least one;
- ``answer_regex``: regular expressions the answer must all match (case ignored);
- ``calls``: API calls that must be made, each ``{"name", "arguments"?}`` (the name as `umi
  tools list` shows it, with or without its ``_for_<tool>`` suffix); the arguments given must be
  among the call's (strings compared case-insensitively, numbers by value);
- ``outcome``: ``answered`` or ``gave_up``;
- ``unanswerable``: ``true`` when the tools cannot answer: the task passes when the agent gives
  up or its answer says that it could not find the information.

Every problem in the file is a :class:`UsageError` naming ``file:line`` and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from umi_cli.errors import UsageError
from umi_cli.inputs import read_json_lines

EXPECT_FIELDS = ("answer", "answer_any", "answer_regex", "calls", "outcome", "unanswerable")
TASK_FIELDS = ("id", "query", "tools", "expect")
OUTCOMES = ("answered", "gave_up")

#: How a written answer says the tools did not have it (the honest answer to an impossible task).
NOT_FOUND = re.compile(
    r"\b(?:could ?n[o']t|can ?n[o']t|cannot|unable to|was unable|were unable|not able to|"
    r"no (?:information|data|results?|record|details|matching|such)|not (?:found|available|"
    r"provided|possible|in the catalog)|(?:do|does|did)(?: ?n[o']t| not) (?:have|provide|"
    r"contain|include|find|know)|is(?: ?n[o']t| not) (?:available|listed)|no api|"
    r"none of the (?:available )?(?:tools|apis)|outside|beyond)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ExpectedCall:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Expectation:
    answer: tuple[str, ...] = ()
    answer_any: tuple[str, ...] = ()
    answer_regex: tuple[re.Pattern[str], ...] = ()
    calls: tuple[ExpectedCall, ...] = ()
    outcome: str | None = None
    unanswerable: bool = False


@dataclass(frozen=True)
class SuiteTask:
    """One line of a task suite."""

    id: str
    query: str
    tools: tuple[str, ...] | None
    expect: Expectation
    line: int


@dataclass(frozen=True)
class MadeCall:
    """A call the agent made, as its events tell it."""

    api: str
    arguments: Mapping[str, Any]
    ok: bool


@dataclass(frozen=True)
class Verdict:
    """Whether a run met its task's expectation, and every reason it did not."""

    passed: bool
    failures: tuple[str, ...]


def read_suite(path: Path) -> list[SuiteTask]:
    """Every task of the file; any bad line stops with a UsageError naming ``file:line``."""
    tasks: list[SuiteTask] = []
    seen: dict[str, int] = {}
    for where, number, data in read_json_lines(path):
        task = parse_task(data, where, number)
        if task.id in seen:
            raise UsageError(
                f"{where}: id {task.id!r} repeats line {seen[task.id]} (ids must be unique)"
            )
        seen[task.id] = number
        tasks.append(task)
    if not tasks:
        raise UsageError(f"{path}: no tasks (one JSON object per line with id, query and expect)")
    return tasks


def parse_task(data: Any, where: str, number: int) -> SuiteTask:
    """One task line's JSON value, checked field by field."""
    if not isinstance(data, dict):
        raise UsageError(f'{where}: expected an object like {{"id": "t1", "query": "...", '
                         '"expect": {"answer": ["..."]}}')  # fmt: skip
    unknown = sorted(set(data) - set(TASK_FIELDS))
    if unknown:
        fields = ", ".join(TASK_FIELDS)
        raise UsageError(f"{where}: unknown field {unknown[0]!r} (fields: {fields})")
    task_id = data.get("id")
    if isinstance(task_id, bool) or not isinstance(task_id, str | int) or task_id == "":
        raise UsageError(f"{where}: id: give each task a string or integer id")
    query = data.get("query")
    if not isinstance(query, str) or not query.strip():
        raise UsageError(f"{where}: query: give the task text as a non-empty string")
    tools = data.get("tools")
    if tools is not None and (
        not isinstance(tools, list) or not tools or not all(isinstance(t, str) and t for t in tools)
    ):
        raise UsageError(f"{where}: tools: give a list of tool names or spec paths")
    expect = parse_expectation(data.get("expect"), f"{where}: expect")
    return SuiteTask(
        id=str(task_id),
        query=query.strip(),
        tools=tuple(tools) if tools else None,
        expect=expect,
        line=number,
    )


def parse_expectation(raw: Any, where: str) -> Expectation:
    if not isinstance(raw, dict) or not raw:
        raise UsageError(f"{where}: give an object with at least one of {', '.join(EXPECT_FIELDS)}")
    unknown = sorted(set(raw) - set(EXPECT_FIELDS))
    if unknown:
        raise UsageError(
            f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(EXPECT_FIELDS)})"
        )
    outcome = raw.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        raise UsageError(f"{where}.outcome: {outcome!r}; choose {' or '.join(OUTCOMES)}")
    unanswerable = raw.get("unanswerable", False)
    if not isinstance(unanswerable, bool):
        raise UsageError(f"{where}.unanswerable: give true or false")
    expectation = Expectation(
        answer=_strings(raw.get("answer"), f"{where}.answer"),
        answer_any=_strings(raw.get("answer_any"), f"{where}.answer_any"),
        answer_regex=tuple(
            _regex(text, f"{where}.answer_regex")
            for text in _strings(raw.get("answer_regex"), f"{where}.answer_regex")
        ),
        calls=_calls(raw.get("calls"), f"{where}.calls"),
        outcome=outcome,
        unanswerable=unanswerable,
    )
    if unanswerable and (expectation.answer or expectation.answer_any or outcome == "answered"):
        raise UsageError(
            f"{where}: unanswerable cannot be combined with answer, answer_any or outcome answered"
        )
    return expectation


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
        raise UsageError(f"{where}: give a non-empty string or a list of them")
    return tuple(items)


def _regex(text: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise UsageError(f"{where}: {text!r} is not a regular expression ({exc})") from None


def _calls(raw: Any, where: str) -> tuple[ExpectedCall, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise UsageError(f'{where}: give a list like [{{"name": "api", "arguments": {{}}}}]')
    calls = []
    for index, item in enumerate(raw):
        here = f"{where}[{index}]"
        if isinstance(item, str) and item:
            calls.append(ExpectedCall(item))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise UsageError(f'{here}: give an API name or {{"name": ..., "arguments": ...}}')
        extra = sorted(set(item) - {"name", "arguments"})
        if extra:
            raise UsageError(f"{here}: unknown field {extra[0]!r} (fields: name, arguments)")
        arguments = item.get("arguments", {})
        if not isinstance(arguments, dict):
            raise UsageError(f"{here}.arguments: give an object of argument values")
        calls.append(ExpectedCall(item["name"], dict(arguments)))
    return tuple(calls)


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        try:
            return float(actual) == float(expected)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, str):
        return isinstance(actual, str | int | float) and _folded(str(actual)) == _folded(expected)
    return bool(expected == actual)


def call_made(expected: ExpectedCall, calls: Sequence[MadeCall]) -> bool:
    """True when some call has the expected name and includes every expected argument."""
    return any(
        same_api(expected.name, call.api)
        and all(
            key in call.arguments and _same(value, call.arguments[key])
            for key, value in expected.arguments.items()
        )
        for call in calls
    )


def same_api(expected: str, api: str) -> bool:
    """``api`` is ``expected``, or ``expected`` is its name without the ``_for_<tool>`` suffix
    (``browse_music`` for ``browse_music_for_testapi``)."""
    return api == expected or api.startswith(f"{expected}_for_")


def says_not_found(answer: str | None) -> bool:
    return bool(answer) and NOT_FOUND.search(answer or "") is not None


def judge(
    expect: Expectation, outcome: str, answer: str | None, calls: Sequence[MadeCall]
) -> Verdict:
    """Check one run against its expectation."""
    failures: list[str] = []
    text = _folded(answer or "")
    if expect.unanswerable and outcome != "gave_up" and not says_not_found(answer):
        failures.append("answered a question the tools cannot answer")
    if expect.outcome is not None and outcome != expect.outcome:
        failures.append(f"outcome {outcome}, expected {expect.outcome}")
    for wanted in expect.answer:
        if _folded(wanted) not in text:
            failures.append(f"answer lacks {wanted!r}")
    if expect.answer_any and not any(_folded(w) in text for w in expect.answer_any):
        failures.append(f"answer has none of {', '.join(map(repr, expect.answer_any))}")
    for pattern in expect.answer_regex:
        if not pattern.search(answer or ""):
            failures.append(f"answer does not match /{pattern.pattern}/")
    for call in expect.calls:
        if not call_made(call, calls):
            shown = f"{call.name}({_arguments(call.arguments)})"
            failures.append(f"no call {shown}")
    return Verdict(passed=not failures, failures=tuple(failures))


def _arguments(arguments: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in arguments.items())


def repeated_calls(calls: Sequence[MadeCall]) -> int:
    """Calls that repeat an earlier call's API and arguments."""
    seen: set[str] = set()
    repeats = 0
    for call in calls:
        key = f"{call.api}:{sorted((k, repr(v)) for k, v in call.arguments.items())}"
        repeats += key in seen
        seen.add(key)
    return repeats


def summarize(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Totals over the judged records of a suite."""
    count = len(records)

    def mean(key: str) -> float | None:
        return round(sum(r[key] for r in records) / count, 2) if count else None

    seconds = sorted(r["seconds"] for r in records)
    calls = sorted(r["calls"] for r in records)
    checked = [r for r in records if r.get("grounded") is not None]
    return {
        "tasks": count,
        "passed": sum(1 for r in records if r["passed"]),
        "pass_rate": round(100 * sum(1 for r in records if r["passed"]) / count, 1)
        if count
        else None,
        "answered": sum(1 for r in records if r["outcome"] == "answered"),
        "gave_up": sum(1 for r in records if r["outcome"] == "gave_up"),
        "failed": sum(1 for r in records if r["outcome"] == "failed"),
        "mean_steps": mean("steps"),
        "mean_calls": mean("calls"),
        "median_calls": calls[count // 2] if count else None,
        "repeated_calls": sum(r["repeated_calls"] for r in records),
        "mean_seconds": mean("seconds"),
        "median_seconds": seconds[count // 2] if count else None,
        "tokens": sum(r["tokens"] for r in records),
        "answers_checked": len(checked),
        "grounded_rate": round(100 * sum(1 for r in checked if r["grounded"]) / len(checked), 1)
        if checked
        else None,
    }
