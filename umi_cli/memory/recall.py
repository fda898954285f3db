"""Recall: the few lessons worth putting in front of a task, and the memory a mode talks to.

A lesson is relevant to a task when it is keyed by one of the APIs the task is offered (score:
its retention), or only by the tool spec they belong to (half that). The top ``top_k`` are
taken, strongest first, as long as their text fits in ``token_cap`` tokens together; faded
lessons are never recalled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from umi_cli.memory.lessons import Lesson, LessonKey, now_utc
from umi_cli.memory.store import LessonStore, memory_path

#: Lessons put in front of one task, at most.
TOP_K = 3
#: Tokens all recalled lessons may take together in the actor's prompt.
TOKEN_CAP = 160
#: A lesson keyed only by the task's tool spec (not one of its APIs) counts this much.
TOOL_ONLY_WEIGHT = 0.5

TokenCounter = Callable[[str], int]


def rough_tokens(text: str) -> int:
    """About four characters a token: the count when no model tokenizer is at hand."""
    return max(1, len(text) // 4)


def relevance(lesson: Lesson, offered: Mapping[str, str], now: datetime) -> float:
    """How much ``lesson`` is worth to a task offered ``offered`` (API name -> tool spec)."""
    if lesson.faded(now):
        return 0.0
    if any(api in offered for api in lesson.apis):
        return lesson.retention(now)
    tools = set(offered.values())
    if any(tool in tools for tool in lesson.tools):
        return TOOL_ONLY_WEIGHT * lesson.retention(now)
    return 0.0


def select(
    lessons: Sequence[Lesson],
    offered: Mapping[str, str],
    *,
    now: datetime | None = None,
    top_k: int = TOP_K,
    token_cap: int = TOKEN_CAP,
    count_tokens: TokenCounter = rough_tokens,
) -> list[Lesson]:
    """The lessons to recall, best first (ties: the newer first)."""
    moment = now or now_utc()
    scored = [(relevance(lesson, offered, moment), lesson) for lesson in lessons]
    ranked = sorted(
        (pair for pair in scored if pair[0] > 0), key=lambda pair: (-pair[0], -pair[1].id)
    )
    chosen: list[Lesson] = []
    spent = 0
    for _score, lesson in ranked:
        if len(chosen) >= top_k:
            break
        cost = count_tokens(lesson.text)
        if spent + cost > token_cap:
            continue  # a shorter one may still fit
        chosen.append(lesson)
        spent += cost
    return chosen


class LongTermMemory:
    """The lessons file a mode reads and writes; each operation opens it briefly (so batch
    workers and other processes share it), and reading never creates it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else memory_path()

    def recall(
        self,
        offered: Mapping[str, str],
        *,
        count_tokens: TokenCounter = rough_tokens,
        top_k: int = TOP_K,
        token_cap: int = TOKEN_CAP,
        now: datetime | None = None,
    ) -> list[Lesson]:
        """The lessons for a task offered ``offered`` (API name -> tool spec)."""
        return select(
            self._found(offered), offered, now=now, top_k=top_k, token_cap=token_cap,
            count_tokens=count_tokens,
        )  # fmt: skip

    def recall_with_outages(
        self,
        offered: Mapping[str, str],
        *,
        count_tokens: TokenCounter = rough_tokens,
        now: datetime | None = None,
    ) -> tuple[list[Lesson], list[Lesson]]:
        """From one read: the lessons :meth:`recall` gives, and the recent outage lessons about
        the offered APIs (whatever the prompt's token cap lets in)."""
        found = self._found(offered)
        recalled = select(found, offered, now=now, count_tokens=count_tokens)
        return recalled, [x for x in found if any(x.outage_of(api, now) for api in offered)]

    def _found(self, offered: Mapping[str, str]) -> list[Lesson]:
        """The stored lessons keyed by the offered APIs or their tool specs."""
        if not self.path.exists():
            return []
        with LessonStore(self.path) as store:
            return store.keyed(offered, set(offered.values()))

    def write(
        self, text: str, keys: Sequence[LessonKey], kind: str, *, now: datetime | None = None
    ) -> tuple[Lesson, bool]:
        """Store a lesson; the stored one and whether it is new (see :meth:`LessonStore.add`)."""
        with LessonStore(self.path) as store:
            return store.add(text, keys, kind, now=now)

    def forget(self, lesson_id: int) -> int:
        """Delete one lesson (how many went: 0 when it was gone already)."""
        if not self.path.exists():
            return 0
        with LessonStore(self.path) as store:
            return store.forget(lesson_id)

    def credit(self, ids: Sequence[int], *, helped: bool, now: datetime | None = None) -> None:
        """The recalled lessons ``ids`` served a task that was (``helped``) or was not answered."""
        if not ids:
            return
        with LessonStore(self.path) as store:
            store.credit(ids, helped=helped, now=now)
