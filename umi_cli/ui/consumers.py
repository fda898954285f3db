"""Non-visual consumers of agent events: JSON Lines for scripts, the bare answer, run tallies."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from umi_cli.agent.events import Event, GaveUp, RunFinished, TokenDelta, ToolCall

#: Anything that takes one event at a time.
EventConsumer = Callable[[Event], None]


class JsonLinesWriter:
    """One JSON object per event, one per line, flushed at once (``--json``)."""

    def __init__(self, stream: TextIO | None = None, *, tokens: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.tokens = tokens

    def __call__(self, event: Event) -> None:
        if isinstance(event, TokenDelta) and not self.tokens:
            return
        self.stream.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.stream.flush()


class AnswerPrinter:
    """Only the final answer on ``stream`` (``--quiet``); why there is none goes to ``errors``."""

    def __init__(self, stream: TextIO | None = None, errors: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.errors = errors or sys.stderr

    def __call__(self, event: Event) -> None:
        if not isinstance(event, RunFinished):
            return
        if event.answer is not None and event.outcome == "answered":
            self.stream.write(event.answer.strip() + "\n")
            self.stream.flush()
        elif event.outcome == "gave_up":
            self.errors.write("umi: the agent gave up\n")
        else:
            self.errors.write(f"umi: error: {event.error or 'the run failed'}\n")

    def close(self) -> None:
        self.stream.flush()


@dataclass
class RunTally:
    """Counts what a run did (tool calls, give-ups) and keeps its final event."""

    calls: int = 0
    give_ups: int = 0
    finished: RunFinished | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, ToolCall):
            self.calls += 1
        elif isinstance(event, GaveUp):
            self.give_ups += 1
        elif isinstance(event, RunFinished):
            self.finished = event


class Fanout:
    """Sends each event to several consumers, in order."""

    def __init__(self, *consumers: EventConsumer) -> None:
        self.consumers = consumers

    def __call__(self, event: Event) -> None:
        for consumer in self.consumers:
            consumer(event)

    def close(self) -> None:
        for consumer in self.consumers:
            close = getattr(consumer, "close", None)
            if close is not None:
                close()
