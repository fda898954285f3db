"""The prompts of the CMAT checker and reflector, for chat models and α-UMi raw-format models.

The checker sees the request, the steps so far (calls, observations, earlier rejections), the
thought of this step, the proposed call and the API's documentation, plus the argument values
that appear nowhere in the request or the observations (a hint, computed, never a verdict). The
reflector sees facts only — the APIs, arguments, statuses and failure kinds, never an
observation's text — so a lesson cannot carry what an API returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from umi_cli.agent import format as fmt
from umi_cli.agent.chat_prompts import ChatPrompt, api_lines, readable_history
from umi_cli.agent.dialects import ChatDialect, Dialect
from umi_cli.agent.prompt import RawPrompt, RolePrompt

CHECKER_RULES = """You check one API call before it is sent. The call must be right for the \
user's request and for the thought of this step.
Reject the call when:
- the API does not do what the thought asks for;
- an argument value is found neither in the user's request, nor in an earlier observation, nor \
among the values the API's documentation gives (an invented id or name);
- the same call was already made and answered.
Otherwise accept it.
Reply with exactly "accept", or "reject: " and the reason in one short sentence."""

CHECK_REQUEST = """
Thought of this step: {thought}
Proposed call: {call}
Documentation of {api}:
{doc}{hint}
Verdict (accept, or reject: <reason>):"""

UNGROUNDED_HINT = "\nArgument values found nowhere in the request or the observations: {values}"

REFLECTOR_RULES = """You write one lesson for the next time an agent uses these APIs: what to \
do, or what to avoid, and why. One sentence, starting with the API's name, about the API only \
(never about this user). Write plain words, no JSON."""

REFLECT_REQUEST = """
What happened: {facts}
APIs involved:
{apis}
Lesson:"""


def _checker_turns(history: Sequence[fmt.Turn]) -> list[fmt.Turn]:
    """The steps the checker sees: calls, observations and earlier rejections (no thoughts)."""
    return [turn for turn in history if turn["from"] in ("caller", "observation", "check")]


def checker_prompt(
    dialect: Dialect,
    *,
    request: str,
    history: Sequence[fmt.Turn],
    thought: str,
    api: str,
    call: str,
    document: dict[str, Any] | None,
    ungrounded: Sequence[str],
) -> RolePrompt:
    """The checker's prompt; its reply is held to ``accept`` / ``reject: <reason>``."""
    doc = api_lines([document]).strip() if document else f"- {api}: (no such API)"
    hint = UNGROUNDED_HINT.replace("{values}", ", ".join(ungrounded)) if ungrounded else ""
    tail = (
        CHECK_REQUEST.replace("{thought}", fmt.without_control_phrase(thought).strip())
        .replace("{call}", call)
        .replace("{api}", api)
        .replace("{doc}", doc)
        .replace("{hint}", hint)
    )
    steps = _checker_turns(history)
    shown = readable_history(steps) if steps else "(none yet)\n"
    if isinstance(dialect, ChatDialect):
        return ChatPrompt(
            CHECKER_RULES, shown, tail, preamble=f"User request: {request}\nSteps so far:\n"
        )
    # A raw completion prompt is cut from the left: the steps first, the rules and call last.
    text = f"Steps so far:\n{shown}User request: {request}\n{CHECKER_RULES}\n{tail} "
    return RawPrompt(text)


def reflection_prompt(
    dialect: Dialect,
    *,
    facts: str,
    documents: Sequence[dict[str, Any]],
    lead: str,
) -> RolePrompt:
    """The reflector's prompt; the reply starts with ``lead`` (the API's name)."""
    apis = api_lines(documents).strip() if documents else "(none)"
    tail = REFLECT_REQUEST.replace("{facts}", facts).replace("{apis}", apis)
    if isinstance(dialect, ChatDialect):
        return ChatPrompt(REFLECTOR_RULES, "", tail, lead=lead)
    return RawPrompt(f"{REFLECTOR_RULES}\n{tail} {lead}")
