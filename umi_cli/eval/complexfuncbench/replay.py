"""A Toolset that answers a task's calls from its recorded responses, as ComplexEval does.

A call that matches a reference call gets that call's recorded response as JSON text. An
ill-formed call (unknown function, missing or unknown parameters, wrong types) gets
ComplexEval's ``{"error": ...}`` naming the problem; a well-formed call that matches nothing
gets its general ``{"api_status": true, "content": "There is a problem with your api call..."}``.
A call equal to an earlier one (same function, same normalised arguments) gets the earlier
answer again, unless that one was refused only because a call it needs had not been made yet.
Every call is recorded as a :class:`CallRecord` for scoring; nothing raises.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from umi_cli.eval.complexfuncbench import complexeval
from umi_cli.eval.complexfuncbench.data import Task
from umi_cli.eval.complexfuncbench.matcher import Matcher, given_arguments
from umi_cli.eval.complexfuncbench.tools import defaults, tool_name
from umi_cli.eval.complexfuncbench.values import normalise
from umi_cli.tools.toolset import ToolDef, ToolResult

#: ``match``: a reference call newly matched; ``repeat``: equal to an earlier call or to a
#: reference call already matched; ``miss``: well formed, matches nothing; ``invalid``: failed
#: the format check (or its arguments are no JSON object).
CallOutcome = Literal["match", "repeat", "miss", "invalid"]

TOOLSET_NAME = "complexfuncbench"


@dataclass(frozen=True)
class CallRecord:
    """One call the agent made and what it came to."""

    name: str
    arguments: dict[str, Any]
    outcome: CallOutcome
    label: str | None = None
    reason: str = ""

    @property
    def matched(self) -> bool:
        return self.outcome == "match"


@dataclass(frozen=True)
class _Answer:
    ok: bool
    text: str
    label: str | None = None
    reason: str = ""
    #: Refused only because a call it needs is not made yet: answered afresh when repeated.
    blocked: bool = False


def parse_arguments(arguments: Mapping[str, Any] | str | None) -> dict[str, Any] | None:
    """Call arguments as a dict: JSON text is decoded, ``None`` is ``{}``; None if no object."""
    if arguments is None:
        return {}
    if isinstance(arguments, str):
        if not arguments.strip():
            return {}
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return None
    return dict(arguments) if isinstance(arguments, Mapping) else None


class ReplayToolset:
    """The task's functions, answered from its reference calls' recorded responses."""

    def __init__(
        self,
        task: Task,
        tools: Sequence[ToolDef],
        *,
        name: str = TOOLSET_NAME,
        ordered: bool = True,
    ) -> None:
        self.task = task
        self._name = name
        self._tools = {tool.name: tool for tool in tools}
        self.matcher = Matcher(task, defaults(tools), ordered=ordered)
        self.records: list[CallRecord] = []
        self._answers: dict[tuple[str, Any], _Answer] = {}

    @property
    def name(self) -> str:
        return self._name

    def tools(self) -> list[ToolDef]:
        return list(self._tools.values())

    def close(self) -> None:
        """Nothing to free: answers come from memory."""

    def call(self, name: str, arguments: Mapping[str, Any] | str | None) -> ToolResult:
        """Answer one call (never raises) and record it."""
        started = time.perf_counter()
        try:
            return self._call(name, arguments, started)
        except (RecursionError, TypeError, ValueError, KeyError) as error:
            answer = self._invalid(complexeval.not_an_object(str(name)))
            self._record(str(name), {}, "invalid", _Answer(False, answer.text, reason=repr(error)))
            return self._result(str(name), answer, "invalid", started)

    def _call(
        self, name: str, arguments: Mapping[str, Any] | str | None, started: float
    ) -> ToolResult:
        parsed = parse_arguments(arguments)
        if parsed is None:
            answer = self._invalid(complexeval.not_an_object(name))
            self._record(name, {}, "invalid", answer)
            return self._result(name, answer, "invalid", started)
        key = (tool_name(name), normalise(given_arguments(parsed)))
        earlier = self._answers.get(key)
        if earlier is not None:
            self._record(name, parsed, "repeat", earlier)
            return self._result(name, earlier, "repeat", started)
        outcome, answer = self._answer(name, parsed)
        if not answer.blocked:
            self._answers[key] = answer
        self._record(name, parsed, outcome, answer)
        return self._result(name, answer, outcome, started)

    def _answer(self, name: str, arguments: dict[str, Any]) -> tuple[CallOutcome, _Answer]:
        tool = self._tools.get(tool_name(name))
        if tool is None:
            return "invalid", self._invalid(complexeval.undefined_function(name))
        problem = complexeval.format_error(tool, given_arguments(arguments))
        if problem is not None:
            return "invalid", self._invalid(problem)
        found = self.matcher.match(tool.name, arguments)
        if found.status in ("matched", "already_matched") and found.label is not None:
            response = self.task.call(found.label).response
            answer = _Answer(True, complexeval.observation_text(response), found.label)
            return ("match" if found.matched else "repeat"), answer
        text = complexeval.observation_text(complexeval.unmatched_call_payload())
        return "miss", _Answer(False, text, reason=found.reason, blocked=found.status == "blocked")

    @staticmethod
    def _invalid(message: str) -> _Answer:
        return _Answer(False, complexeval.observation_text({"error": message}), reason=message)

    def _record(
        self, name: str, arguments: dict[str, Any], outcome: CallOutcome, answer: _Answer
    ) -> None:
        self.records.append(CallRecord(name, arguments, outcome, answer.label, answer.reason))

    def _result(
        self, name: str, answer: _Answer, outcome: CallOutcome, started: float
    ) -> ToolResult:
        detail = {"task": self.task.id, "outcome": outcome, "label": answer.label}
        if answer.reason:
            detail["reason"] = answer.reason
        return ToolResult(
            name=name,
            ok=answer.ok,
            text=answer.text,
            failure=None if answer.ok else "arguments",
            status=200 if answer.ok else None,
            size=len(answer.text.encode("utf-8")),
            seconds=time.perf_counter() - started,
            detail=detail,
        )
