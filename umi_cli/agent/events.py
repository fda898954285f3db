"""The typed events a run yields: the one record of what happened.

Every output consumes them (the Rich view, ``--json``, traces, batch records, the run log), and
the run's own memory is a fold over them: each event knows the ToolBench turn it adds to the
conversation (:meth:`Event.turn`), or adds none. Step events carry the step, the attempt and the
member (a proposer's index in a mode that asks several models; ``None`` otherwise). Adding an
event type is one class: its ``name`` registers it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

from umi_cli.agent import format as fmt
from umi_cli.agent.format import Decision, Turn
from umi_cli.engine.types import CompletionStats

#: The α-UMi role names (modes may add their own, e.g. ``checker``).
RoleName = Literal["planner", "caller", "summarizer", "backbone"]
Outcome = Literal["answered", "gave_up", "failed"]

__all__ = ["Decision", "Outcome", "RoleName"]

#: Roles whose planner events carry the thought without its control phrase.
THOUGHT_ONLY_ROLES = frozenset({"backbone", "native"})

#: Event type name (the ``event`` field of the JSON form) -> class.
EVENT_TYPES: dict[str, type[Event]] = {}


@dataclass
class Event:
    """Base class; ``to_dict`` gives the JSON Lines form with an ``event`` field."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            EVENT_TYPES[cls.name] = cls

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.name, **asdict(self)}

    def turn(self) -> Turn | None:
        """The ToolBench conversation turn this event adds, if any."""
        return None

    def figure(self) -> RoleFigure | None:
        """The figures of the role call this event reports, if it reports one."""
        return None


@dataclass(frozen=True)
class RoleFigure:
    """One role call: which role, its token and time figures, whether its prompt was cut."""

    role: str
    stats: CompletionStats
    truncated: bool = False


def _figure(role: str | None, stats: CompletionStats, truncated: bool) -> RoleFigure | None:
    """``role`` None: the figures are on the event before (one backbone completion gives both a
    thought and a call, reported once)."""
    return RoleFigure(role, stats, truncated) if role is not None else None


@dataclass
class RunStarted(Event):
    name: ClassVar[str] = "run_started"
    task: str
    profile: str
    tools: list[str]
    attempt: int = 1

    def turn(self) -> Turn:
        return {"from": "user", "value": self.task}


@dataclass
class TokenDelta(Event):
    """A piece of streamed text from a role (for live display; JSON output may skip these)."""

    name: ClassVar[str] = "token"
    step: int
    role: str
    text: str
    member: int | None = None


@dataclass
class PlannerThought(Event):
    name: ClassVar[str] = "planner"
    step: int
    text: str
    decision: Decision
    stats: CompletionStats = field(default_factory=CompletionStats)
    attempt: int = 1
    member: int | None = None
    role: str | None = "planner"
    truncated: bool = False
    #: The planner's judge: P(yes) by question (``{"answered": 0.83}``), when it was asked.
    judge: dict[str, float] | None = None

    def figure(self) -> RoleFigure | None:
        return _figure(self.role, self.stats, self.truncated)

    def turn(self) -> Turn:
        if self.role in THOUGHT_ONLY_ROLES:  # the text is the thought; the turn adds the phrase
            return {"from": "assistant", "value": fmt.with_control_phrase(self.text, self.decision)}
        return {"from": "assistant", "value": self.text}


@dataclass
class ToolCall(Event):
    name: ClassVar[str] = "call"
    step: int
    api: str
    arguments: dict[str, Any]
    raw: str
    stats: CompletionStats = field(default_factory=CompletionStats)
    attempt: int = 1
    member: int | None = None
    role: str | None = "caller"
    truncated: bool = False

    def figure(self) -> RoleFigure | None:
        return _figure(self.role, self.stats, self.truncated)

    def turn(self) -> Turn:
        return {"from": "caller", "value": self.raw}


@dataclass
class Observation(Event):
    """A call's result as the planner sees it; ``reused_from`` is the step whose result answered
    a repeated call (nothing was sent); ``failure`` the kind of a failed call."""

    name: ClassVar[str] = "observation"
    step: int
    api: str
    ok: bool
    status: int | None
    text: str
    size: int
    seconds: float
    reused_from: int | None = None
    attempt: int = 1
    failure: str | None = None

    def turn(self) -> Turn:
        return {"from": "observation", "value": self.text}


@dataclass
class FinalAnswer(Event):
    name: ClassVar[str] = "answer"
    text: str
    stats: CompletionStats = field(default_factory=CompletionStats)
    step: int = 0
    attempt: int = 1
    role: str | None = "summarizer"
    truncated: bool = False

    def figure(self) -> RoleFigure | None:
        return _figure(self.role, self.stats, self.truncated)

    def turn(self) -> Turn:
        return {"from": "conclusion", "value": self.text}


@dataclass
class GaveUp(Event):
    name: ClassVar[str] = "gave_up"
    reason: str
    attempt: int


@dataclass
class RetryStarted(Event):
    """Another attempt starts from the task plus the α-UMi retry turn (FORMAT.md §3)."""

    name: ClassVar[str] = "retry"
    attempt: int
    previous_candidates: list[dict[str, Any]]

    def turn(self) -> Turn:
        return {"from": "user", "value": fmt.retry_turn(self.previous_candidates)}


@dataclass
class StepBudgetReached(Event):
    """The attempt used its planner→caller steps; the summarizer answers from what was gathered."""

    name: ClassVar[str] = "step_budget"
    step: int
    max_steps: int
    attempt: int


@dataclass
class RunFinished(Event):
    name: ClassVar[str] = "run_finished"
    outcome: Outcome
    answer: str | None
    steps: int
    attempts: int
    totals: CompletionStats
    wall_seconds: float
    error: str | None = None


#: Event class -> its type name (the ``event`` field).
EVENT_NAMES: dict[type[Event], str] = {cls: name for name, cls in EVENT_TYPES.items()}
