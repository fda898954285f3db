"""The typed events the agent loop yields; every output (Rich, JSON Lines, traces) consumes them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from umi_cli.engine.types import CompletionStats

Role = Literal["planner", "caller", "summarizer", "backbone"]
Decision = Literal["caller", "conclusion", "give up"]
Outcome = Literal["answered", "gave_up", "failed"]


@dataclass
class Event:
    """Base class; ``to_dict`` gives the JSON Lines form with an ``event`` field."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"event": EVENT_NAMES[type(self)], **data}


@dataclass
class RunStarted(Event):
    task: str
    profile: str
    tools: list[str]
    attempt: int = 1


@dataclass
class TokenDelta(Event):
    """A piece of streamed text from a role (for live display; JSON output may skip these)."""

    step: int
    role: Role
    text: str


@dataclass
class PlannerThought(Event):
    step: int
    text: str
    decision: Decision
    stats: CompletionStats = field(default_factory=CompletionStats)


@dataclass
class ToolCall(Event):
    step: int
    api: str
    arguments: dict[str, Any]
    raw: str
    stats: CompletionStats = field(default_factory=CompletionStats)


@dataclass
class Observation(Event):
    """A call's result as the planner sees it; ``reused_from`` is the step whose result answered
    a repeated call (nothing was sent)."""

    step: int
    api: str
    ok: bool
    status: int | None
    text: str
    size: int
    seconds: float
    reused_from: int | None = None


@dataclass
class FinalAnswer(Event):
    text: str
    stats: CompletionStats = field(default_factory=CompletionStats)


@dataclass
class GaveUp(Event):
    reason: str
    attempt: int


@dataclass
class RetryStarted(Event):
    attempt: int
    previous_candidates: list[dict[str, Any]]


@dataclass
class StepBudgetReached(Event):
    """The attempt used its planner→caller steps; the summarizer answers from what was gathered."""

    step: int
    max_steps: int
    attempt: int


@dataclass
class RunFinished(Event):
    outcome: Outcome
    answer: str | None
    steps: int
    attempts: int
    totals: CompletionStats
    wall_seconds: float
    error: str | None = None


EVENT_NAMES: dict[type[Event], str] = {
    RunStarted: "run_started",
    TokenDelta: "token",
    PlannerThought: "planner",
    ToolCall: "call",
    Observation: "observation",
    FinalAnswer: "answer",
    GaveUp: "gave_up",
    RetryStarted: "retry",
    StepBudgetReached: "step_budget",
    RunFinished: "run_finished",
}
