"""Match an agent's calls against a task's reference calls, rule-based.

A reference call's expected arguments are its own with ``$varN.path$`` placeholders resolved
against the recorded responses (:mod:`.values`). An agent's call matches a reference call when
the function is the same and every argument agrees once normalised; a reference argument equal
to the API's default may be left out, and an extra argument equal to its default is fine.

Each reference call is matched at most once, and only once the calls it takes results from have
been matched (the data dependency). Two kinds of placeholder do not make a dependency:
ComplexEval's optional location look-ups (an agent may know ``NYC.CITY`` without asking), and
values not specific to a result — NESTFUL's conversion turned some literals into placeholders
because an earlier response held the same value by chance (task 160's ``adults`` is
``$var2.count$``, a count of rental cars; task 284's ``radius`` is a flight's base fare).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from umi_cli.eval.complexfuncbench.complexeval import is_optional
from umi_cli.eval.complexfuncbench.data import ReferenceCall, Task
from umi_cli.eval.complexfuncbench.tools import tool_name
from umi_cli.eval.complexfuncbench.values import (
    UnresolvedPlaceholder,
    is_specific,
    lookup,
    placeholders,
    resolve,
    same_value,
)

MatchStatus = Literal["matched", "already_matched", "blocked", "unmatched"]


@dataclass(frozen=True)
class Match:
    """The outcome of matching one call. ``label`` is the reference call it matched (or the
    one it equals, for ``already_matched`` and ``blocked``); ``reason`` explains a non-match."""

    status: MatchStatus
    label: str | None = None
    reason: str = ""

    @property
    def matched(self) -> bool:
        return self.status == "matched"


def given_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments an agent really gave: ``None`` values count as left out."""
    return {str(name): value for name, value in arguments.items() if value is not None}


def argument_differences(
    expected: Mapping[str, Any],
    actual: Mapping[str, Any],
    defaults: Mapping[str, Any] | None = None,
) -> list[str]:
    """What differs between expected and given arguments (empty: they match)."""
    defaults = defaults or {}
    given = given_arguments(actual)
    problems: list[str] = []
    for name, value in expected.items():
        if name in given:
            if not same_value(value, given[name], name):
                problems.append(f"{name}: expected {_short(value)}, got {_short(given[name])}")
        elif not (name in defaults and same_value(value, defaults[name], name)):
            problems.append(f"{name}: missing (expected {_short(value)})")
    for name, value in given.items():
        is_default = name in defaults and same_value(defaults[name], value, name)
        if name not in expected and not is_default:
            problems.append(f"{name}: not expected (got {_short(value)})")
    return problems


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Matcher:
    """The reference calls of one task and which of them the agent has matched so far.

    ``defaults`` maps tool names to their parameters' defaults (:func:`.tools.defaults`).
    With ``ordered=False`` data dependencies are not enforced.
    """

    def __init__(
        self,
        task: Task,
        defaults: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        ordered: bool = True,
    ) -> None:
        self.task = task
        self.ordered = ordered
        self._defaults = {tool_name(name): dict(table) for name, table in (defaults or {}).items()}
        results = {call.label: call.response for call in task.calls}
        #: Placeholders that cannot be resolved: label -> why (such a call cannot be matched).
        self.unresolved: dict[str, str] = {}
        self.expected: dict[str, dict[str, Any]] = {}
        for call in task.calls:
            try:
                self.expected[call.label] = resolve(call.arguments, results)
            except UnresolvedPlaceholder as error:
                self.unresolved[call.label] = str(error)
                self.expected[call.label] = dict(call.arguments)
        self.requires: dict[str, frozenset[str]] = {
            call.label: self._inputs(call, results) for call in task.calls
        }
        self.matched: list[str] = []

    def _inputs(self, call: ReferenceCall, results: Mapping[str, Any]) -> frozenset[str]:
        """The earlier calls whose results ``call`` needs: those its placeholders name, unless
        the call is an optional look-up or the value is not specific to it (see module doc)."""
        needed: set[str] = set()
        for label, path in placeholders(call.arguments):
            if label not in results or self.is_optional(label):
                continue
            try:
                value = lookup(label, path, results)
            except UnresolvedPlaceholder:
                continue
            if is_specific(value):
                needed.add(label)
        return frozenset(needed)

    def is_optional(self, label: str) -> bool:
        """Whether ComplexEval's success does not need this reference call."""
        return is_optional(self.task.call(label).name, self.expected[label])

    @property
    def remaining(self) -> list[ReferenceCall]:
        """The reference calls not matched yet, in order."""
        return [call for call in self.task.calls if call.label not in self.matched]

    @property
    def complete(self) -> bool:
        return len(self.matched) == len(self.task.calls)

    def missing_inputs(self, label: str) -> list[str]:
        """The reference calls ``label`` takes results from that are not matched yet."""
        if not self.ordered:
            return []
        return sorted(self.requires[label] - set(self.matched), key=_label_order)

    def differences(self, label: str, arguments: Mapping[str, Any]) -> list[str]:
        """How ``arguments`` differ from reference call ``label``'s expected ones."""
        if label in self.unresolved:
            return [f"reference cannot be resolved ({self.unresolved[label]})"]
        name = tool_name(self.task.call(label).name)
        return argument_differences(self.expected[label], arguments, self._defaults.get(name))

    def check(self, name: str, arguments: Mapping[str, Any]) -> Match:
        """What a call would match, without recording it."""
        wanted = tool_name(name)
        candidates = [call for call in self.task.calls if tool_name(call.name) == wanted]
        if not candidates:
            return Match("unmatched", reason=f"no reference call of {name} in this task")
        closest: tuple[int, str, list[str]] | None = None
        blocked: Match | None = None
        already: Match | None = None
        for call in candidates:
            problems = self.differences(call.label, arguments)
            if problems:
                rank = len(problems) + (100 if call.label in self.matched else 0)
                if closest is None or rank < closest[0]:
                    closest = (rank, call.label, problems)
                continue
            if call.label in self.matched:
                already = already or Match("already_matched", call.label, f"{call.label} done")
                continue
            waiting = self.missing_inputs(call.label)
            if waiting:
                reason = f"{call.label} needs the results of {', '.join(waiting)} first"
                blocked = blocked or Match("blocked", call.label, reason)
                continue
            return Match("matched", call.label)
        if already is not None:
            return already
        if blocked is not None:
            return blocked
        if closest is None:
            return Match("unmatched", reason=f"no open reference call of {name}")
        _, label, problems = closest
        return Match("unmatched", reason=f"closest is {label}: {'; '.join(problems)}")

    def match(self, name: str, arguments: Mapping[str, Any]) -> Match:
        """Match a call and record it: a matched reference call is not matched again."""
        outcome = self.check(name, arguments)
        if outcome.matched and outcome.label is not None:
            self.matched.append(outcome.label)
        return outcome


def _label_order(label: str) -> tuple[int, str]:
    digits = label.removeprefix("var")
    return (int(digits), label) if digits.isdigit() else (10**9, label)
