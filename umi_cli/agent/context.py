"""The RunContext: what every mode runs over — streaming, cancellation, the step budget,
retries, guarded tool calls, and the transcript that events fold into.

A mode only decides what to ask which role; everything it yields goes through :meth:`emit`, so
the transcript (and so the prompts' history) is always the fold of the events so far.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Sequence
from typing import Literal, TypeVar

from umi_cli.agent import format as fmt
from umi_cli.agent.events import (
    Event,
    GaveUp,
    Observation,
    RetryStarted,
    StepBudgetReached,
    TokenDelta,
    ToolCall,
)
from umi_cli.agent.guards import ALLOW, CallGuard, ProposedCall, default_guards
from umi_cli.agent.options import RunOptions
from umi_cli.agent.role_base import RoleResult
from umi_cli.agent.transcript import Transcript
from umi_cli.engine.types import CompletionStats
from umi_cli.text import clip
from umi_cli.tools.toolbox import Toolbox

T = TypeVar("T")
#: How one attempt ends: answered, or gave up with the reason.
AttemptEnd = tuple[Literal["answered", "gave_up"], str]
Attempt = Callable[["RunContext", int], Generator[Event, None, AttemptEnd]]


class Cancelled(Exception):
    """The run was cancelled (Ctrl-C, or ``Agent.cancel`` from another thread)."""


class RunContext:
    """One run's shared state and the operations every mode uses."""

    def __init__(
        self,
        *,
        toolbox: Toolbox,
        options: RunOptions,
        transcript: Transcript,
        cancelled: threading.Event,
        guards: Sequence[CallGuard] | None = None,
    ) -> None:
        self.toolbox = toolbox
        self.options = options
        self.transcript = transcript
        self.cancelled = cancelled
        self.guards = list(guards) if guards is not None else default_guards()
        #: Every API's document, as the planner sees them (it keeps seeing dropped ones).
        self.documents = toolbox.documents()
        #: The APIs the caller may use in this attempt (guards narrow it).
        self.tools = toolbox
        self.step = 0

    def emit(self, event: T) -> T:
        """Record ``event`` in the transcript; the mode yields what this returns."""
        self.transcript.add(event)  # type: ignore[arg-type]  # T is always an Event
        return event

    def history(self) -> list[fmt.Turn]:
        return self.transcript.history()

    def check_cancel(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled

    def stream(
        self,
        step: int,
        role: str,
        call: Generator[str, None, RoleResult[T]],
        member: int | None = None,
    ) -> Generator[Event, None, RoleResult[T]]:
        """Run one role call, yielding its text as token events; cancelling closes it."""
        self.check_cancel()
        try:
            while True:
                try:
                    piece = next(call)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
                if self.cancelled.is_set():
                    raise Cancelled
                if piece:
                    yield TokenDelta(step=step, role=role, text=piece, member=member)
        finally:
            call.close()

    def next_step(self, attempt: int, calls: int) -> Generator[Event, None, tuple[int, bool]]:
        """Count a step; when the call budget is spent (or no API is left) say so and return
        ``budget_spent`` True: the mode must conclude now."""
        self.check_cancel()
        self.step += 1
        spent = calls >= self.options.max_steps or not self.tools.names()
        if spent:
            yield self.emit(
                StepBudgetReached(step=self.step, max_steps=self.options.max_steps, attempt=attempt)
            )
        return self.step, spent

    def call_tool(
        self,
        step: int,
        attempt: int,
        action: fmt.CallerOutput,
        stats: CompletionStats,
        *,
        role: str | None = "caller",
        truncated: bool = False,
    ) -> Generator[Event, None, Observation]:
        """Announce the call, pass it through the guards, run it, and observe the result."""
        arguments = action.arguments_dict()
        yield self.emit(
            ToolCall(
                step,
                action.name,
                arguments or {},
                action.text,
                stats,
                attempt=attempt,
                role=role,
                truncated=truncated,
            )
        )
        self.check_cancel()
        proposed = ProposedCall(step, attempt, action.name, arguments, action.arguments)
        verdict = ALLOW
        for guard in self.guards:
            verdict = guard.check(proposed, self)
            if verdict.kind != "allow":
                break
        if verdict.kind != "allow":
            observation = Observation(
                step, action.name, verdict.kind == "reuse", None, verdict.text, 0, 0.0,
                reused_from=verdict.reused_from, attempt=attempt,
                failure="rejected" if verdict.kind == "reject" else None,
            )  # fmt: skip
        else:
            result = self.toolbox.call(action.name, arguments if arguments is not None else "{}")
            text = clip(result.text, self.options.observation_chars)
            for guard in self.guards:
                text = guard.observed(proposed, result, text, self)
            observation = Observation(
                step, action.name, result.ok, result.status, text, result.size, result.seconds,
                attempt=attempt, failure=result.failure,
            )  # fmt: skip
        yield self.emit(observation)
        return observation

    def start_attempt(self) -> None:
        """Every API is offered again; the guards forget the previous attempt."""
        self.tools = self.toolbox
        for guard in self.guards:
            guard.start_attempt()

    def attempts(self, attempt: Attempt) -> Generator[Event, None, Literal["answered", "gave_up"]]:
        """Run attempts until one answers or the retries are spent (FORMAT.md §3)."""
        number = 1
        while True:
            self.start_attempt()
            outcome, reason = yield from attempt(self, number)
            if outcome == "answered":
                return "answered"
            yield self.emit(GaveUp(reason=reason, attempt=number))
            if number > self.options.retries:
                return "gave_up"
            number += 1
            candidates = list(self.transcript.candidates)
            yield self.emit(RetryStarted(attempt=number, previous_candidates=candidates))
