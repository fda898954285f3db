"""One task through the α-UMi roles: planner → caller → tool → observation … → summarizer.

:class:`TaskRun` is a generator of events; it records every turn of every attempt and the
figures of every role call for the trace. It never prints.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from umi_cli.agent import format as fmt
from umi_cli.agent.events import (
    Event,
    FinalAnswer,
    GaveUp,
    Observation,
    PlannerThought,
    RetryStarted,
    StepBudgetReached,
    TokenDelta,
    ToolCall,
)
from umi_cli.agent.role_base import RoleResult
from umi_cli.agent.roles import Caller, Planner, Summarizer
from umi_cli.engine.types import CompletionStats, TokenCallback


class Cancelled(Exception):
    """Raised inside the engine's token callback when the run was cancelled."""


class ToolRunner(Protocol):
    """What the loop needs of ``umi_cli.tools.Toolbox``."""

    def documents(self) -> list[dict[str, Any]]: ...

    def names(self) -> list[str]: ...

    def caller_grammar(self, names: list[str] | None = None) -> str: ...

    def execute(self, name: str, arguments: str | dict) -> Any: ...


@dataclass
class RunLimits:
    """The loop's limits (FORMAT.md §6)."""

    max_steps: int = 4
    observation_chars: int = 1024
    retries: int = 0
    constrain: bool = True


@dataclass
class StepFigures:
    """One role call: which, where, and its token/time figures."""

    attempt: int
    step: int
    role: str
    stats: CompletionStats
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "step": self.step,
            "role": self.role,
            "truncated": self.truncated,
            **self.stats.to_dict(),
        }


@dataclass
class RunRecord:
    """Everything a run did: the conversation (all attempts), calls and figures."""

    conversation: list[fmt.Turn] = field(default_factory=list)
    figures: list[StepFigures] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    steps: int = 0
    answer: str | None = None
    outcome: str = "failed"
    totals: CompletionStats = field(default_factory=CompletionStats)


def truncate_observation(text: str, limit: int) -> str:
    """Cut an observation to ``limit`` characters plus ``...`` (FORMAT.md §6)."""
    return text if len(text) <= limit else text[:limit] + "..."


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


def server_side_failure(result: Any) -> bool:
    """A failed call the server caused (unreachable, 5xx, rate limit), after retries."""
    if result.ok:
        return False
    status = result.status
    return bool(result.retryable_failure) or (status is not None and status >= 500)


class TaskRun:
    """One task: attempts of planner→caller steps, ending in an answer, giving up or a failure."""

    def __init__(
        self,
        *,
        planner: Planner,
        caller: Caller,
        summarizer: Summarizer,
        toolbox: ToolRunner,
        limits: RunLimits,
        cancelled: threading.Event,
    ) -> None:
        self.planner = planner
        self.caller = caller
        self.summarizer = summarizer
        self.toolbox = toolbox
        self.limits = limits
        self.cancelled = cancelled
        self.record = RunRecord()
        self.documents = toolbox.documents()
        self._step = 0
        #: Successful calls of the current attempt: call key -> (step, observation text).
        self._answered: dict[str, tuple[int, str]] = {}

    def run(self, opening: Sequence[fmt.Turn]) -> Iterator[Event]:
        """Yield the events of all attempts; ``opening`` is memory + the task's user turn."""
        record = self.record
        record.conversation.extend(opening)
        attempt = 1
        history = list(opening)
        while True:
            record.attempts = attempt
            outcome, reason = yield from self._attempt(history, attempt)
            if outcome == "answered":
                record.outcome = "answered"
                return
            yield GaveUp(reason=reason, attempt=attempt)
            if attempt > self.limits.retries:
                record.outcome = "gave_up"
                return
            attempt += 1
            yield RetryStarted(attempt=attempt, previous_candidates=list(record.candidates))
            retry = {"from": "user", "value": fmt.retry_turn(record.candidates)}
            record.conversation.append(retry)
            history = [*opening, retry]

    def _attempt(
        self, history: list[fmt.Turn], attempt: int
    ) -> Iterator[Event] | Any:  # a generator returning (outcome, reason)
        allowed = self._start_attempt()
        calls = 0
        while True:
            step, budget_spent = yield from self._next_step(attempt, calls, allowed)
            decisions = ("conclusion",) if budget_spent else ("caller", "conclusion", "give up")
            planned: RoleResult[fmt.PlannerOutput] = yield from self._stream(
                step,
                "planner",
                lambda on_token, decisions=decisions: self.planner.plan(
                    self.documents, history, decisions=decisions, on_token=on_token
                ),
            )
            self._note(attempt, step, "planner", planned)
            thought = planned.output
            yield PlannerThought(step, thought.text, thought.decision, planned.stats)
            self._append(history, "assistant", thought.text)
            if thought.decision == "give up":
                return "gave_up", thought.text
            if thought.decision == "conclusion":
                yield from self._conclude(history, attempt, step)
                return "answered", ""
            calls += 1
            yield from self._call(history, attempt, step, thought.text, allowed)

    def _start_attempt(self) -> list[str]:
        """Forget the previous attempt's calls; every API is allowed again."""
        self._answered.clear()
        return list(self.toolbox.names())

    def _next_step(
        self, attempt: int, calls: int, allowed: list[str]
    ) -> Iterator[Event] | Any:  # a generator returning (step, budget_spent)
        """Count a step and announce it when the call budget is spent (or no API is left)."""
        self._check_cancel()
        self._step += 1
        self.record.steps = step = self._step
        budget_spent = calls >= self.limits.max_steps or not allowed
        if budget_spent:
            yield StepBudgetReached(step=step, max_steps=self.limits.max_steps, attempt=attempt)
        return step, budget_spent

    def _conclude(self, history: list[fmt.Turn], attempt: int, step: int) -> Iterator[Event]:
        answered: RoleResult[str] = yield from self._stream(
            step,
            "summarizer",
            lambda on_token: self.summarizer.conclude(history, on_token=on_token),
        )
        self._note(attempt, step, "summarizer", answered)
        self._append(history, "conclusion", answered.output)
        self.record.answer = answered.output
        yield FinalAnswer(answered.output, answered.stats)

    def _call(
        self, history: list[fmt.Turn], attempt: int, step: int, thought: str, allowed: list[str]
    ) -> Iterator[Event]:
        documents = [doc for doc in self.documents if doc["Name"] in allowed]
        grammar_for = self.toolbox.caller_grammar if self.limits.constrain else None
        called: RoleResult[fmt.CallerOutput] = yield from self._stream(
            step,
            "caller",
            lambda on_token: self.caller.call(
                documents, history, thought, grammar_for=grammar_for, on_token=on_token
            ),
        )
        self._note(attempt, step, "caller", called)
        yield from self._execute(history, step, called.output, called.stats, allowed)

    def _execute(
        self,
        history: list[fmt.Turn],
        step: int,
        action: fmt.CallerOutput,
        stats: CompletionStats,
        allowed: list[str],
    ) -> Iterator[Event]:
        """Run the call; a server-side failure removes the API from ``allowed`` for the attempt.

        A call that repeats an earlier successful call of the attempt is not sent again: its
        observation is the earlier one plus a note, so that a planner stuck on one call moves on.
        """
        arguments = action.arguments_dict()
        yield ToolCall(step, action.name, arguments or {}, action.text, stats)
        self._append(history, "caller", action.text)
        self._check_cancel()
        key = call_key(action.name, arguments, action.arguments)
        if key in self._answered:
            earlier_step, earlier_text = self._answered[key]
            text = earlier_text + repeated_call_note(action.name, earlier_step)
            self._append(history, "observation", text)
            yield Observation(
                step, action.name, True, None, text, 0, 0.0, reused_from=earlier_step
            )
            return
        result = self.toolbox.execute(action.name, arguments if arguments is not None else "{}")
        text = truncate_observation(result.text, self.limits.observation_chars)
        if server_side_failure(result) and action.name in allowed:
            allowed.remove(action.name)
            text += (
                f"\n(The API {action.name} is not available now and will not be called again "
                "in this attempt; use another API.)"
            )
        if result.ok:
            self._answered[key] = (step, text)
        self._append(history, "observation", text)
        self.record.candidates.append(fmt.retry_candidate(action.name, action.arguments, text))
        yield Observation(
            step, action.name, result.ok, result.status, text, result.size, result.seconds
        )

    def _append(self, history: list[fmt.Turn], kind: str, value: str) -> None:
        turn = {"from": kind, "value": value}
        history.append(turn)
        self.record.conversation.append(turn)

    def _note(self, attempt: int, step: int, role: str, result: RoleResult) -> None:
        self.record.figures.append(StepFigures(attempt, step, role, result.stats, result.truncated))
        self.record.totals = self.record.totals + result.stats

    def _check_cancel(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled

    def _stream(
        self, step: int, role: str, work: Callable[[TokenCallback], Any]
    ) -> Iterator[Event] | Any:
        """Run a role call in a worker thread, yield its tokens as they come, return its result."""
        self._check_cancel()
        pieces: queue.Queue[tuple[str, Any]] = queue.Queue()

        def on_token(text: str) -> None:
            if self.cancelled.is_set():
                raise Cancelled
            pieces.put(("token", text))

        def target() -> None:
            try:
                pieces.put(("done", work(on_token)))
            except BaseException as exc:  # handed to the generator's thread
                pieces.put(("error", exc))

        worker = threading.Thread(target=target, name=f"umi-{role}", daemon=True)
        worker.start()
        try:
            while True:
                kind, value = pieces.get()
                if kind == "token":
                    if value:
                        yield TokenDelta(step=step, role=role, text=value)
                elif kind == "done":
                    return value
                else:
                    if self.cancelled.is_set():
                        raise Cancelled from value
                    raise value
        finally:
            if worker.is_alive():
                self.cancelled.set()
            worker.join()


def run_seconds(started: float) -> float:
    """Wall seconds since ``started`` (a ``time.perf_counter`` value)."""
    return time.perf_counter() - started
