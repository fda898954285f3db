"""The events of the CMAT mode: the checker's verdicts, revisions, reflections, recalled lessons.

Each registers itself by its ``name`` (see :mod:`umi_cli.agent.events`), so ``--json``, traces,
the run log and ``umi logs show`` carry and rebuild them like any other. A rejected proposal adds
a ``check`` turn to the conversation (what the actor revises from); the α-UMi wire format has no
such turn, so its prompts skip it, while the chat prompts show it as ``Check: ...``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from umi_cli.agent.events import Event, RoleFigure
from umi_cli.agent.format import Turn
from umi_cli.engine.types import CompletionStats

#: The conversation turn kind of a rejected proposal.
CHECK_TURN = "check"

CheckVerdictName = Literal["accept", "reject"]


def proposed_call_text(api: str, arguments: dict[str, Any] | None, raw_arguments: str) -> str:
    """``api {"arg": value}`` (the raw argument text when it is not a JSON object)."""
    shown = json.dumps(arguments, ensure_ascii=False) if arguments is not None else raw_arguments
    return f"{api} {shown}".strip()


@dataclass
class CallChecked(Event):
    """The checker judged a proposed call before it was sent.

    ``revision`` is 0 for the first proposal of a step, n for the actor's n-th revision;
    ``repeated``: the proposal repeats one rejected earlier in the step (not judged again);
    ``overruled``: rejected, but the revisions were spent and the call is sent all the same.
    """

    name: ClassVar[str] = "check"
    step: int
    api: str
    arguments: dict[str, Any] | None
    raw_arguments: str
    verdict: CheckVerdictName
    reason: str
    revision: int = 0
    stats: CompletionStats = field(default_factory=CompletionStats)
    attempt: int = 1
    repeated: bool = False
    overruled: bool = False
    role: str | None = "checker"
    truncated: bool = False

    def figure(self) -> RoleFigure | None:
        if self.role is None or self.repeated:
            return None
        return RoleFigure(self.role, self.stats, self.truncated)

    def turn(self) -> Turn | None:
        if self.verdict != "reject":
            return None
        call = proposed_call_text(self.api, self.arguments, self.raw_arguments)
        if self.overruled:
            return {
                "from": CHECK_TURN,
                "value": f"{call} was sent although the checker said: {self.reason}",
            }
        return {"from": CHECK_TURN, "value": f"{call} was not sent: {self.reason}"}


@dataclass
class RevisionStarted(Event):
    """The actor revises its proposal after a rejection (``revision`` of at most ``limit``)."""

    name: ClassVar[str] = "revision"
    step: int
    revision: int
    limit: int
    reason: str
    attempt: int = 1


@dataclass
class ReflectionWritten(Event):
    """A lesson was drawn from what happened and kept in long-term memory.

    ``trigger``: what prompted it (``failure``, ``empty``, ``rejected``, ``gave_up``,
    ``budget``, ``success``); ``lesson_id`` its id in memory; ``new`` False when the same lesson
    was already there (it is confirmed instead).
    """

    name: ClassVar[str] = "reflection"
    lesson_id: int
    text: str
    apis: list[str]
    trigger: str
    new: bool = True
    step: int = 0
    attempt: int = 1
    stats: CompletionStats = field(default_factory=CompletionStats)
    role: str | None = "reflector"

    def figure(self) -> RoleFigure | None:
        return RoleFigure(self.role, self.stats) if self.role is not None else None


@dataclass
class MemoryUsed(Event):
    """The lessons recalled for this task (``{"id", "text", "apis"}`` each), before step 1."""

    name: ClassVar[str] = "memory_used"
    lessons: list[dict[str, Any]]
    tokens: int = 0
