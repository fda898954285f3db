"""Folds over a run's events: the conversation, the current attempt's history, retry
candidates, per-role figures, and the memory a chat carries to its next task.

Nothing here is written by hand during a run: the mode emits events, and the transcript is what
they add up to (the prompts read ``history()``, the trace writer reads ``conversation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from umi_cli.agent import format as fmt
from umi_cli.agent.events import (
    Event,
    FinalAnswer,
    Observation,
    RetryStarted,
    RoleFigure,
    RunStarted,
    ToolCall,
)
from umi_cli.engine.types import CompletionStats


class Transcript:
    """What a run's events add up to, updated one event at a time."""

    def __init__(self, memory: Sequence[fmt.Turn] = ()) -> None:
        self.opening: list[fmt.Turn] = list(memory)  # memory + the task's user turn
        self.conversation: list[fmt.Turn] = list(memory)  # every turn of every attempt
        self.candidates: list[dict[str, Any]] = []  # earlier attempts' calls (FORMAT.md §3)
        self.figures: list[tuple[int, int, RoleFigure]] = []  # (attempt, step, figure)
        self.totals = CompletionStats()
        self.attempts = 0
        self.answer: str | None = None
        self._retry: fmt.Turn | None = None
        self._attempt_turns: list[fmt.Turn] = []
        self._last_call: ToolCall | None = None
        #: The observations of the current attempt, as events (with their ok flags).
        self.attempt_observations: list[Observation] = []

    def add(self, event: Event) -> None:
        turn = event.turn()
        if isinstance(event, RunStarted):
            self.attempts = 1
            self.opening.append(turn)  # type: ignore[arg-type]  # RunStarted always has one
            self.conversation.append(turn)  # type: ignore[arg-type]
            return
        if isinstance(event, RetryStarted):
            self.attempts = event.attempt
            self._retry, self._attempt_turns = turn, []
            self.attempt_observations = []
            self.conversation.append(turn)  # type: ignore[arg-type]
            return
        if turn is not None:
            self._attempt_turns.append(turn)
            self.conversation.append(turn)
        figure = event.figure()
        if figure is not None:
            attempt, step = getattr(event, "attempt", self.attempts), getattr(event, "step", 0)
            self.figures.append((attempt, step, figure))
            self.totals = self.totals + figure.stats
        if isinstance(event, ToolCall):
            self._last_call = event
        elif isinstance(event, Observation):
            self.attempt_observations.append(event)
            call = self._last_call
            if call is not None and event.reused_from is None:
                arguments = fmt.parse_caller(call.raw).arguments
                self.candidates.append(fmt.retry_candidate(call.api, arguments, event.text))
        elif isinstance(event, FinalAnswer):
            self.answer = event.text

    def memory_after(self, outcome: str) -> list[fmt.Turn]:
        """A chat's memory for its next task: this one's request, and its answer if answered."""
        if outcome == "answered" and self.answer is not None:
            return [*self.opening, {"from": "conclusion", "value": self.answer}]
        return list(self.opening)

    def history(self) -> list[fmt.Turn]:
        """The turns the roles see now: memory, the task, the retry turn, this attempt's."""
        retry = [self._retry] if self._retry is not None else []
        return [*self.opening, *retry, *self._attempt_turns]
