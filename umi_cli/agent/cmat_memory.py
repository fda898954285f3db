"""One CMAT task's use of long-term memory: recall at the start, reflections along the way,
credit at the end.

Recalled lessons reach the actor (and the checker) inside the documentation of the API each is
about, so every prompt dialect shows them where they matter, scoped to their API. Reflections
are written at most once per API and trigger in a task, and at most :data:`MAX_REFLECTIONS` in
all; with memory off nothing is recalled or written.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any

from umi_cli.agent import reflection as facts_of
from umi_cli.agent.cmat_events import MemoryUsed, ReflectionWritten
from umi_cli.agent.context import RunContext
from umi_cli.agent.events import Event, Observation
from umi_cli.agent.reflection import Facts, Reflector
from umi_cli.engine.types import CompletionStats
from umi_cli.memory import Lesson, LessonKey, LongTermMemory

#: Lessons written in one task, at most.
MAX_REFLECTIONS = 3
LESSONS_LEAD = " Lessons from earlier tasks:"


def with_lessons(
    documents: Sequence[dict[str, Any]], lessons: Sequence[Lesson]
) -> list[dict[str, Any]]:
    """The documents with each lesson added to the description of the first API it is about."""
    by_api: dict[str, list[str]] = {}
    names = {str(doc.get("Name")) for doc in documents}
    for lesson in lessons:
        api = next((api for api in lesson.apis if api in names), None)
        if api is not None:
            by_api.setdefault(api, []).append(lesson.text)
    annotated = []
    for doc in documents:
        texts = by_api.get(str(doc.get("Name")))
        if texts:
            doc = {**doc, "function": _annotated(str(doc.get("function", "")), texts)}
        annotated.append(doc)
    return annotated


def _annotated(function: str, texts: Sequence[str]) -> str:
    added = LESSONS_LEAD + "".join(f" {text}" for text in texts)
    if function.endswith('"'):  # keep the lessons inside the quoted description
        return function[:-1] + added + '"'
    return function + added


class TaskMemory:
    """Long-term memory as one task sees it (``memory`` None: memory is off)."""

    def __init__(
        self,
        memory: LongTermMemory | None,
        reflector: Reflector,
        *,
        offered: Mapping[str, str],
        model_lessons: bool = True,
    ) -> None:
        self.memory = memory
        self.reflector = reflector
        self.offered = dict(offered)
        self.model_lessons = model_lessons
        self.recalled: list[Lesson] = []
        self.learnt: list[Lesson] = []  # the lessons written in this task
        self.down: list[Lesson] = []  # recent outage lessons about the offered APIs
        self.observations: list[Observation] = []  # every attempt's, in order
        self.written = 0
        self._seen: set[tuple[str, str]] = set()

    def recall(self, ctx: RunContext) -> Generator[Event, None, None]:
        """Recall the task's lessons and say which (a ``memory_used`` event)."""
        if self.memory is None:
            return
        count = self.reflector.backend.count_tokens
        self.recalled, self.down = self.memory.recall_with_outages(self.offered, count_tokens=count)
        tokens = sum(count(lesson.text) for lesson in self.recalled)
        used = [{"id": x.id, "text": x.text, "apis": list(x.apis)} for x in self.recalled]
        yield ctx.emit(MemoryUsed(lessons=used, tokens=tokens))

    def documents(self, documents: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        return with_lessons(documents, self.recalled)

    def observed(
        self,
        ctx: RunContext,
        step: int,
        attempt: int,
        arguments: dict[str, Any] | None,
        observation: Observation,
    ) -> Generator[Event, None, None]:
        """A lesson after a failed call or an empty result (not for calls that were not sent)."""
        self.observations.append(observation)
        if observation.reused_from is not None or observation.failure == "rejected":
            return
        api = observation.api
        if not observation.ok:
            facts = facts_of.failed_call(api, arguments, observation.status, observation.failure)
        else:
            self.recovered(api)
            if not facts_of.is_empty_result(observation.text):
                return
            facts = facts_of.empty_result(api, arguments)
        yield from self.reflect(ctx, facts, step, attempt)

    def reflect(
        self, ctx: RunContext, facts: Facts, step: int, attempt: int
    ) -> Generator[Event, None, None]:
        """Draw a lesson from ``facts`` and keep it (once per API and trigger in a task)."""
        apis = [api for api in facts.apis if api]
        if self.memory is None or not apis or self.written >= MAX_REFLECTIONS:
            return
        seen = (apis[0], facts.trigger)
        if seen in self._seen:
            return
        self._seen.add(seen)
        text, stats, role = facts.text, CompletionStats(), None
        if self.model_lessons:
            documents = [d for d in ctx.documents if d.get("Name") in apis]
            writing = self.reflector.reflect(facts, documents)
            result = yield from ctx.stream(step, "reflector", writing)
            text, stats, role = result.output, result.stats, "reflector"
        keys = [LessonKey(api, self.offered.get(api, "")) for api in apis]
        lesson, new = self.memory.write(text, keys, facts.trigger)
        self.learnt.append(lesson)
        self.written += 1
        yield ctx.emit(
            ReflectionWritten(lesson.id, lesson.text, list(lesson.apis), facts.trigger, new=new,
                              step=step, attempt=attempt, stats=stats, role=role)
        )  # fmt: skip

    def outage(self, api: str) -> Lesson | None:
        """A recent lesson (from memory, or written in this task) that ``api`` is down: the
        checker rejects calls to it without asking its model, so the actor tries another."""
        if self.memory is None:
            return None
        return next((x for x in [*self.learnt, *self.down] if x.outage_of(api)), None)

    def recovered(self, api: str) -> None:
        """``api`` answered: the outage lessons about it are out of date, and forgotten."""
        if self.memory is None:
            return
        stale = {x.id for x in [*self.learnt, *self.down] if x.kind == "outage" and api in x.apis}
        for lesson_id in stale:
            self.memory.forget(lesson_id)
        self.learnt = [x for x in self.learnt if x.id not in stale]
        self.down = [x for x in self.down if x.id not in stale]

    def wrote(self, trigger: str) -> bool:
        """Whether a lesson with this trigger was drawn in this task."""
        return any(seen == trigger for _api, seen in self._seen)

    def credit(self, outcome: str) -> None:
        """The recalled lessons served a task that was answered, or was not."""
        if self.memory is not None and self.recalled:
            ids = [lesson.id for lesson in self.recalled]
            self.memory.credit(ids, helped=outcome == "answered")
