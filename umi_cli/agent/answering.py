"""Grounded final answers for every mode: no invented facts, and "could not find" when right.

A mode that has an answer to give calls :func:`grounded_answer` with a way to write one (its
summarizer, or its single model through the summarizer prompt). The answer's facts are checked
against what the APIs returned and the request (:mod:`umi_cli.agent.grounding`):

- all found: the answer stands;
- some missing: it is written once more with the missing facts named; if facts are still
  missing, the sentences stating them are dropped;
- nothing left, or nothing was ever found (every call failed or came back empty): the attempt
  ends as a give-up whose reason says what could not be found, instead of a made-up answer.

Each check is an :class:`AnswerChecked` event (the live view shows it; evals count it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from umi_cli.agent import format as fmt
from umi_cli.agent.context import AttemptEnd, RunContext
from umi_cli.agent.events import Event, FinalAnswer, Observation, RoleFigure
from umi_cli.agent.grounding import check_answer, grounded_sentences
from umi_cli.agent.role_base import Role, RoleCall, RoleResult
from umi_cli.agent.roles import Summarizer
from umi_cli.engine.types import CompletionStats
from umi_cli.inputs import parse_json

CheckAction = Literal["kept", "rewritten", "trimmed", "not_found"]

#: What the summarizer is told when its answer stated facts no observation holds.
REWRITE_NOTE = (
    "Your previous answer stated things that are not in the observations: {facts}. Answer "
    "again using only names, titles, numbers and dates that appear in the observations; if they "
    "do not contain the answer, say what could not be found."
)


@dataclass
class AnswerChecked(Event):
    """A final answer checked against the observations, and what was done about it."""

    name: ClassVar[str] = "answer_check"
    step: int
    attempt: int
    facts: int
    ungrounded: list[str]
    action: CheckAction
    sources: int = 0  # characters of observation text the answer was checked against
    #: Set when no answer follows: the figures of the completions that wrote the dropped one.
    role: str | None = None
    stats: CompletionStats = field(default_factory=CompletionStats)

    def figure(self) -> RoleFigure | None:
        return RoleFigure(self.role, self.stats) if self.role is not None else None


#: Writes an answer; given a note (the rewrite request) when one is needed.
Writer = Callable[[str | None], Generator[str, None, RoleResult[str]]]


def sources(history: Sequence[fmt.Turn], documents: Sequence[Any] = ()) -> list[str]:
    """The texts an answer may draw on: requests, observations and earlier answers, and the
    descriptions in the APIs' documents (units, what a field means; not their enum values)."""
    texts = [t["value"] for t in history if t["from"] in ("user", "observation", "conclusion")]
    return texts + descriptions(documents)


def descriptions(value: Any) -> list[str]:
    """Every ``description`` string in a tool document, however deep."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "description" and isinstance(item, str):
                found.append(item)
            else:
                found += descriptions(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found += descriptions(item)
    return found


def is_empty_result(text: str) -> bool:
    """An API answer that holds nothing: ``{"data": [], "total": 0}``, ``[]``, ``null``."""
    body = text.strip().split("\n(", 1)[0]  # umi's own trailing note aside
    try:
        value = parse_json(body)
    except ValueError:
        return not body

    def empty(item: Any) -> bool:
        if isinstance(item, dict):
            return all(empty(v) for v in item.values())
        if isinstance(item, list):
            return all(empty(v) for v in item)
        if isinstance(item, bool):
            return not item
        if isinstance(item, int | float):
            return item == 0
        return item is None or (isinstance(item, str) and not item.strip())

    return empty(value)


def found_something(observations: Sequence[Observation]) -> bool:
    """Whether some call of the attempt returned data (not an error, not an empty result)."""
    return any(o.ok and not is_empty_result(o.text) for o in observations)


def not_found_reason(observations: Sequence[Observation]) -> str:
    """The give-up reason when the APIs gave nothing to answer from."""
    if not observations:
        return "Could not find the answer: no API was called."
    failed = sorted({o.api for o in observations if not o.ok})
    empty = sorted({o.api for o in observations if o.ok})
    parts = []
    if failed:
        parts.append(f"{', '.join(failed)} failed")
    if empty:
        parts.append(f"{', '.join(empty)} returned nothing")
    return "Could not find the answer: " + "; ".join(parts) + "."


def grounded_answer(
    ctx: RunContext, step: int, attempt: int, write: Writer, *, role: str = "summarizer"
) -> Generator[Event, None, AttemptEnd]:
    """Write the final answer, check it, rewrite or trim it; emits the answer or ends the
    attempt as a give-up when the observations do not hold one."""
    observations = ctx.transcript.attempt_observations
    remembered = any(turn["from"] == "conclusion" for turn in ctx.history())  # a chat's answers
    if ctx.options.check_answers and not (found_something(observations) or remembered):
        yield ctx.emit(AnswerChecked(step, attempt, 0, [], "not_found"))
        return "gave_up", not_found_reason(observations)
    result = yield from ctx.stream(step, role, write(None))
    if not ctx.options.check_answers:
        yield ctx.emit(_final(result, step, attempt, role))
        return "answered", ""
    texts = sources(ctx.history(), ctx.tools.documents())
    size = sum(len(text) for text in texts)
    grounding = check_answer(result.output, texts)
    if grounding.ok:
        yield ctx.emit(AnswerChecked(step, attempt, grounding.facts, [], "kept", size))
        yield ctx.emit(_final(result, step, attempt, role))
        return "answered", ""
    missing = [fact.text for fact in grounding.ungrounded]
    yield ctx.emit(AnswerChecked(step, attempt, grounding.facts, missing, "rewritten", size))
    note = REWRITE_NOTE.format(facts=", ".join(json.dumps(text) for text in missing))
    again = yield from ctx.stream(step, role, write(note))
    again = RoleResult(again.output, again.raw, result.stats + again.stats, again.prompt,
                       again.truncated)  # fmt: skip
    second = check_answer(again.output, texts)
    if second.ok:
        yield ctx.emit(_final(again, step, attempt, role))
        return "answered", ""
    kept = grounded_sentences(again.output, texts)
    still = [fact.text for fact in second.ungrounded]
    if kept:
        yield ctx.emit(AnswerChecked(step, attempt, second.facts, still, "trimmed", size))
        trimmed = RoleResult(kept, again.raw, again.stats, again.prompt, again.truncated)
        yield ctx.emit(_final(trimmed, step, attempt, role))
        return "answered", ""
    yield ctx.emit(
        AnswerChecked(step, attempt, second.facts, still, "not_found", size, role, again.stats)
    )
    return "gave_up", "Could not find the answer in what the APIs returned."


def _final(result: RoleResult[str], step: int, attempt: int, role: str) -> FinalAnswer:
    """The answer event; an answer that took no completion of its own (a single model's, whose
    figures are on its step) names no role, so its figures are not counted twice."""
    own = result.stats.prompt_tokens > 0 or result.stats.generated_tokens > 0
    return FinalAnswer(result.output, result.stats, step=step, attempt=attempt,
                       role=role if own else None, truncated=result.truncated)  # fmt: skip


def written(answer: str, raw: str) -> Generator[str, None, RoleResult[str]]:
    """An answer already written (by a single model's step), as a writer's first result."""
    return RoleResult(answer, raw)
    yield ""  # pragma: no cover - makes this a generator


def single_model_answer(
    ctx: RunContext, step: int, attempt: int, model: Role, answer: str, raw: str, role: str
) -> Generator[Event, None, AttemptEnd]:
    """A single model's answer (backbone, native), checked; a rewrite is asked of the same
    model through the summarizer prompt."""
    rewriter = Summarizer(
        model.backend, model.dialect, decoding=model.decoding, context=model.context
    )

    def write(note: str | None) -> RoleCall[str]:
        if note is None:
            return written(answer, raw)
        return rewriter.conclude(ctx.history(), note)

    return (yield from grounded_answer(ctx, step, attempt, write, role=role))

