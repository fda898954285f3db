"""Reflection: after a failed call, an empty result, a give-up, a spent step budget or an
answer, one lesson in a sentence, scoped to the APIs involved, for long-term memory.

:class:`Facts` states what happened without any observation's text (APIs, arguments, status,
failure kind, date); the :class:`Reflector` (the actor's own model) turns them into a lesson
that starts with the API's name, held by a grammar to a few words on one line. With
``reflection="facts"`` the fact sentence itself is the lesson (no model call).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from umi_cli.agent.cmat_prompts import reflection_prompt
from umi_cli.agent.role_base import Role, RoleCall, RoleResult
from umi_cli.inputs import parse_json
from umi_cli.memory.lessons import LessonKind

#: A lesson: words on one line (the lead, the API's name, is written before it).
LESSON_GRAMMAR = 'root ::= word (" " word){2,40}\nword ::= [^ \\n]{1,24}\n'
LESSON_TOKENS = 64
#: Characters of arguments or of a request quoted in facts.
QUOTE_CHARS = 80

FAILURE_WORDS = {
    "server": "a server error",
    "client": "a refusal of the request",
    "arguments": "bad arguments",
    "unavailable": "an unreachable or rate-limited service",
    "timeout": "a timeout",
    "response": "an unreadable answer",
    "refused": "a request umi would not send",
}


#: Failures that say the API itself is down (any arguments would fail), not that the call was
#: wrong: their lessons are outages, which the CMAT checker acts on (see ``TaskMemory.outage``).
OUTAGE_FAILURES = frozenset({"server", "unavailable"})


@dataclass(frozen=True)
class Facts:
    """What a lesson is drawn from: the trigger, the APIs (the first is its subject), and the
    plain sentence stating what happened."""

    trigger: LessonKind
    apis: tuple[str, ...]
    text: str


def _quoted(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 3] + "..."


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def failed_call(
    api: str, arguments: dict[str, Any] | None, status: int | None, failure: str | None
) -> Facts:
    answer = f"HTTP {status}" if status is not None else "no answer"
    kind = FAILURE_WORDS.get(failure or "", "a failure")
    text = f"{api} failed with {answer} ({kind}) for {_quoted(arguments or {})} on {today()}."
    return Facts("outage" if failure in OUTAGE_FAILURES else "failure", (api,), text)


def empty_result(api: str, arguments: dict[str, Any] | None) -> Facts:
    text = f"{api} returned an empty result for {_quoted(arguments or {})} on {today()}."
    return Facts("empty", (api,), text)


def rejected_call(api: str, arguments: dict[str, Any] | None, reason: str) -> Facts:
    text = f"The checker stopped {api} {_quoted(arguments or {})} each time: {_quoted(reason)}."
    return Facts("rejected", (api,), text)


def gave_up(apis: Sequence[str], calls: int, failed: int) -> Facts:
    text = f"The agent gave up after calling {', '.join(apis)} ({calls} calls, {failed} failed)."
    return Facts("gave_up", tuple(apis), text)


def budget_spent(apis: Sequence[str], max_steps: int) -> Facts:
    text = (
        f"The step budget of {max_steps} calls ran out after calling {', '.join(apis)}: "
        "fewer, better aimed calls are needed."
    )
    return Facts("budget", tuple(apis), text)


def answered(api: str, request: str) -> Facts:
    return Facts(
        "success", (api,), f'{api} gave the answer to a request like "{_quoted(request)}".'
    )


def is_empty_result(text: str) -> bool:
    """Whether a successful observation holds nothing: no body, ``[]``, ``{}``, or an object
    whose every field is empty or zero (``{"data": [], "total": 0}``)."""
    try:
        value = parse_json(text)
    except ValueError:
        return not text.strip()
    return _empty(value)


def _empty(value: Any) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, dict):
        return all(_empty(item) or item == 0 for item in value.values())
    return False


def one_sentence(text: str) -> str:
    """``text`` up to the end of its first sentence, ending in a full stop."""
    line = " ".join(text.split())
    end = line.find(". ")
    if end >= 0:
        line = line[: end + 1]
    return line if line.endswith((".", "!", "?")) or not line else line + "."


class Reflector(Role):
    """Writes a lesson from :class:`Facts` (played by the actor's planner model)."""

    name = "reflector"

    def reflect(self, facts: Facts, documents: Sequence[dict[str, Any]]) -> RoleCall[str]:
        """One lesson starting with ``facts.apis[0]``; the fact sentence when the model's
        words are fewer than three."""
        lead = f"{facts.apis[0]} "
        draft = reflection_prompt(self.dialect, facts=facts.text, documents=documents, lead=lead)
        prompt, truncated = self.fit(draft)
        done = yield from self.complete(
            prompt, grammar=LESSON_GRAMMAR, max_tokens=LESSON_TOKENS, stop=("\n",)
        )
        lesson = one_sentence(lead + done.text)
        if len(lesson.split()) < 3:
            lesson = facts.text
        return RoleResult(lesson, done.text, done.stats, prompt, truncated)
