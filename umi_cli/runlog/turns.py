"""A run's ToolBench conversation, folded from its events (the events are the memory).

The opening is the chat memory plus the task as a user turn; then each ``planner`` event is an
``assistant`` turn, each ``call`` a ``caller`` turn (its raw text), each ``observation`` an
``observation`` turn and each ``answer`` a ``conclusion`` turn. A ``retry`` event starts another
attempt whose history is the opening plus the α-UMi retry turn (FORMAT.md §3), as the agent loop
builds it. Other events (tokens, budgets, checks, ...) add no turn.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from umi_cli.agent import format as fmt
from umi_cli.agent.events import THOUGHT_ONLY_ROLES
from umi_cli.runlog.model import Event, Turn


@dataclass(frozen=True)
class Attempt:
    """One attempt: the turns it starts from, and the turns its events added (with the events)."""

    number: int
    opening: list[Turn]
    turns: list[Turn] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def history(self, index: int) -> list[Turn]:
        """Every turn the roles saw before ``turns[index]``."""
        return [*self.opening, *self.turns[:index]]


def planner_value(event: Event) -> str:
    """The ``assistant`` turn of a planner event; a thought-only role's (backbone, native) text
    gets its control phrase, as :meth:`PlannerThought.turn` adds it."""
    text = str(event.get("text", ""))
    if event.get("role") in THOUGHT_ONLY_ROLES:
        return f"{text}{fmt.CONTROL_SEPARATOR}Next: {event.get('decision', 'caller')}."
    return text


def caller_value(event: Event) -> str:
    """The ``caller`` turn of a call event: the caller's raw text (rebuilt when missing)."""
    raw = event.get("raw")
    if isinstance(raw, str):
        return raw
    arguments = json.dumps(event.get("arguments") or {})
    return f"Action: {event.get('api', '')}\nAction Input: {arguments}"


def event_turn(event: Event) -> Turn | None:
    """The conversation turn an event adds, or None."""
    kind = event.get("event")
    if kind == "planner":
        return {"from": "assistant", "value": planner_value(event)}
    if kind == "call":
        return {"from": "caller", "value": caller_value(event)}
    if kind == "observation":
        return {"from": "observation", "value": str(event.get("text", ""))}
    if kind == "answer":
        return {"from": "conclusion", "value": str(event.get("text", ""))}
    return None


def retry_value(event: Event) -> str:
    """The user turn a ``retry`` event starts its attempt with."""
    candidates: Any = event.get("previous_candidates") or []
    former = event.get("former_observation")
    return fmt.retry_turn(list(candidates), former if isinstance(former, str) else None)


def task_of(events: Iterable[Event]) -> str:
    """The task that ``run_started`` names ("" when there is none)."""
    opened = next((e for e in events if e.get("event") == "run_started"), {})
    return str(opened.get("task", ""))


def attempts(events: Sequence[Event], memory: Sequence[Turn] = ()) -> list[Attempt]:
    """The run's attempts, in order (at least one)."""
    opening = [*(dict(turn) for turn in memory), {"from": "user", "value": task_of(events)}]
    found = [Attempt(1, opening)]
    for event in events:
        if event.get("event") == "retry":
            number = event.get("attempt")
            number = number if isinstance(number, int) else found[-1].number + 1
            retry = {"from": "user", "value": retry_value(event)}
            found.append(Attempt(number, [*opening, retry]))
            continue
        turn = event_turn(event)
        if turn is not None:
            found[-1].turns.append(turn)
            found[-1].events.append(event)
    return found


def conversation(events: Sequence[Event], memory: Sequence[Turn] = ()) -> list[Turn]:
    """The whole conversation across attempts, as ``umi run --trace`` writes it."""
    folded = attempts(events, memory)
    turns = [*folded[0].opening, *folded[0].turns]
    for attempt in folded[1:]:
        turns.extend([attempt.opening[-1], *attempt.turns])
    return turns
