"""Call guards: policies that stand between a proposed call and its execution.

A guard sees each proposed call before it is sent and returns a :class:`Verdict` — allow it,
answer it from an earlier observation (``reuse``), or refuse it with a note (``reject``) — and
sees each result after, when it may add a note to the observation. The repeated-call rule and
the drop-a-failing-API rule are the first two, refusing to resend a call that failed on what it
sent the third; a CMAT checker is another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from umi_cli.tools.toolset import ToolResult

if TYPE_CHECKING:
    from umi_cli.agent.context import RunContext


@dataclass(frozen=True)
class ProposedCall:
    """A call the caller wrote: API name, arguments (None when not a JSON object), raw text."""

    step: int
    attempt: int
    api: str
    arguments: dict[str, Any] | None
    raw_arguments: str


@dataclass(frozen=True)
class Verdict:
    """``allow``; ``reuse`` with the observation to give instead (and the step it comes from);
    ``reject`` with the note the planner sees."""

    kind: Literal["allow", "reuse", "reject"] = "allow"
    text: str = ""
    reused_from: int | None = None


ALLOW = Verdict()


class CallGuard(Protocol):
    """A policy on calls; state is per attempt."""

    def start_attempt(self) -> None: ...

    def check(self, call: ProposedCall, ctx: RunContext) -> Verdict: ...

    def observed(self, call: ProposedCall, result: ToolResult, text: str, ctx: RunContext) -> str:
        """The observation text after this guard (it may append a note)."""
        ...


def call_key(name: str, arguments: dict[str, Any] | None, raw: str) -> str:
    """What makes two calls the same call: the API and its arguments (key order ignored)."""
    shown = json.dumps(arguments, sort_keys=True) if arguments is not None else raw.strip()
    return f"{name} {shown}"


def repeated_call_note(name: str, step: int) -> str:
    """Appended to the earlier observation when the caller repeats a successful call."""
    return (
        f"\n(Repeated call: {name} was already called with these arguments in step {step} and "
        "gave the result above. It was not called again. Use this result: call another API "
        "with the ids it gives, or conclude.)"
    )


def repeated_failure_note(name: str, step: int) -> str:
    """The observation of a call that repeats a call which failed on what it was sent."""
    return (
        f"(Not sent: {name} was already called with exactly these arguments in step {step} and "
        "it failed, as the observation of that step shows. Change the arguments, call another "
        "API, or give up.)"
    )


def unavailable_note(name: str) -> str:
    """Appended to the observation of an API dropped for the rest of the attempt."""
    return (
        f"\n(The API {name} is not available now and will not be called again in this "
        "attempt; use another API.)"
    )


class ReuseRepeatedCall:
    """A call repeating an earlier successful call of the attempt is not sent again: its
    observation is the earlier one plus a note (spares side effects; tells the planner)."""

    def __init__(self) -> None:
        self._answered: dict[str, tuple[int, str]] = {}

    def start_attempt(self) -> None:
        self._answered.clear()

    def check(self, call: ProposedCall, ctx: RunContext) -> Verdict:
        earlier = self._answered.get(call_key(call.api, call.arguments, call.raw_arguments))
        if earlier is None:
            return ALLOW
        step, text = earlier
        return Verdict("reuse", text + repeated_call_note(call.api, step), reused_from=step)

    def observed(self, call: ProposedCall, result: ToolResult, text: str, ctx: RunContext) -> str:
        if result.ok:
            key = call_key(call.api, call.arguments, call.raw_arguments)
            self._answered[key] = (call.step, text)
        return text


#: Failures caused by what was sent: the same call fails the same way again.
REQUEST_FAILURES: frozenset[str] = frozenset({"arguments", "client", "refused"})


class RefuseRepeatedFailure:
    """A call repeating an earlier call of the attempt that failed on what it sent (bad
    arguments, a 4xx, a refused request) is not sent again: it is rejected with a note."""

    def __init__(self) -> None:
        self._failed: dict[str, int] = {}

    def start_attempt(self) -> None:
        self._failed.clear()

    def check(self, call: ProposedCall, ctx: RunContext) -> Verdict:
        step = self._failed.get(call_key(call.api, call.arguments, call.raw_arguments))
        if step is None:
            return ALLOW
        return Verdict("reject", repeated_failure_note(call.api, step))

    def observed(self, call: ProposedCall, result: ToolResult, text: str, ctx: RunContext) -> str:
        if not result.ok and result.failure in REQUEST_FAILURES:
            self._failed[call_key(call.api, call.arguments, call.raw_arguments)] = call.step
        return text


class DropFailingApi:
    """An API whose service failed (unreachable, 5xx, rate-limited, after retries) is not
    offered to the caller again in this attempt, so the planner moves to another API."""

    def start_attempt(self) -> None:
        pass

    def check(self, call: ProposedCall, ctx: RunContext) -> Verdict:
        return ALLOW

    def observed(self, call: ProposedCall, result: ToolResult, text: str, ctx: RunContext) -> str:
        if result.service_down and call.api in ctx.tools.names():
            ctx.tools = ctx.tools.without(call.api)
            return text + unavailable_note(call.api)
        return text


def default_guards() -> list[CallGuard]:
    """The guards every mode starts with."""
    return [DropFailingApi(), ReuseRepeatedCall(), RefuseRepeatedFailure()]
