"""The α-UMi wire format (FORMAT.md): templates, history serialization, output parsing.

Every string here is part of the trained interface, typos included. Placeholders are filled with
``str.replace`` because tool JSON contains braces.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from umi_cli.inputs import parse_json

PLANNER = "You have assess to the following apis:\n{doc}\nThe conversation history is:\n{history}\nYou are the assistant to plan what to do next and whether is caller's or conclusion's turn to answer.\nAnswer with a following format:\nThe thought of the next step, followed by Next: caller or conclusion or give up."  # noqa: E501

CALLER = "You have assess to the following apis:\n{doc}\nThe conversation history is:\n{history}\nThe thought of this step is:\n{thought}\nBase on the thought make an api call in the following format:\nAction: the name of api that should be called in this step, should be exactly in [{tool_names}],\nAction Input: the api call request."  # noqa: E501

SUMMARIZER = "Make a conclusion based on the conversation history:\n{history}"

BACKBONE = "You have assess to the following apis:\n{doc}\nThe conversation history is:\n{history}\nYou should answer the action of next step in the following format:\nThe thought to solve the question,\nAction: the name of api that should be called in this step, should be exactly in [{tool_names}],\nAction Input: the api call request.\nOnce you think the question is finished, output conclusion: the final answer of the question or give up if you think you cannot answer this question.\n"  # noqa: E501

RETRY = "This is not the first time you try this task, all previous trails failed.\nBefore you generate my thought for this state, I will first show you your previous actions for this state, and then you must generate actions that is different from all of them. Here are some previous actions candidates:\n{previous_candidate}\nRemember you are now in the intermediate state of a trail, you will first analyze the now state and previous action candidates, then make actions that is different from all the previous."  # noqa: E501

EOS = "</s>"
SYSTEM_PREFIX = "system: "

#: Text appended after the rendered template for each role (FORMAT.md §1).
CUES: dict[str, str] = {
    "planner": " assistant: ",
    "caller": " caller: ",
    "summarizer": " conclusion: ",
    "backbone": " assistant: ",
}

#: How each turn kind is written into ``{history}`` (prefix, suffix).
TURN_TEXT: dict[str, tuple[str, str]] = {
    "user": ("user: ", EOS),
    "assistant": ("assistant: ", EOS),
    "caller": ("caller: ", EOS),
    "observation": ("observation: ", ""),
    "conclusion": ("conclusion: ", EOS),
}

#: The turn kinds of a ToolBench conversation (``{"from": kind, "value": text}``).
TURN_KINDS: tuple[str, ...] = tuple(TURN_TEXT)
#: Turn kinds other modes add to a conversation (CMAT's ``check``, a rejected proposal):
#: traces keep them, the α-UMi history text skips them.
EXTRA_TURN_KINDS: tuple[str, ...] = ("check",)

Decision = Literal["caller", "conclusion", "give up"]

#: The planner's control phrases, in the order they are checked (FORMAT.md §4).
CONTROL_PHRASES: tuple[tuple[Decision, str], ...] = (
    ("give up", "Next: give up."),
    ("conclusion", "Next: conclusion."),
    ("caller", "Next: caller."),
)

#: How the training targets lay the phrase out after the thought.
CONTROL_SEPARATOR = "\n "

Turn = dict[str, str]


def doc_line(tool: dict[str, Any]) -> str:
    """One line of ``{doc}``: Python's default ``json.dumps`` (ASCII-escaped, ``", "`` and
    ``": "`` separators)."""
    return json.dumps(tool)


def doc_lines(tools: Iterable[dict[str, Any]]) -> str:
    """``{doc}``: one :func:`doc_line` per tool, each ending in a newline."""
    return "".join(doc_line(tool) + "\n" for tool in tools)


def tool_names(tools: Iterable[dict[str, Any]]) -> str:
    """``{tool_names}``: the tool names joined with ``", "``."""
    return ", ".join(tool["Name"] for tool in tools)


def serialize_history(turns: Iterable[Turn]) -> str:
    """``{history}``: the turns concatenated, each with its role prefix and (mostly) ``</s>``.

    Turn kinds the α-UMi format does not have (:data:`EXTRA_TURN_KINDS`, or any other) are
    skipped: the trained interface has no words for them.
    """
    parts = []
    for turn in turns:
        kind = turn["from"]
        if kind not in TURN_TEXT:
            continue
        prefix, suffix = TURN_TEXT[kind]
        parts.append(prefix + turn["value"] + suffix)
    return "".join(parts)


def _prefixed(text: str, system_prefix: bool) -> str:
    return SYSTEM_PREFIX + text if system_prefix else text


def planner_prompt(
    tools: Sequence[dict[str, Any]], history: Sequence[Turn], *, system_prefix: bool = False
) -> str:
    """The planner's prompt; ``history`` holds every turn before the current planner turn."""
    body = PLANNER.replace("{doc}", doc_lines(tools)).replace(
        "{history}", serialize_history(history)
    )
    return _prefixed(body, system_prefix) + CUES["planner"]


def caller_prompt(
    tools: Sequence[dict[str, Any]],
    history: Sequence[Turn],
    thought: str,
    *,
    system_prefix: bool = False,
) -> str:
    """The caller's prompt; ``history`` ends with the planner turn that ``thought`` repeats."""
    body = (
        CALLER.replace("{doc}", doc_lines(tools))
        .replace("{history}", serialize_history(history))
        .replace("{thought}", thought)
        .replace("{tool_names}", tool_names(tools))
    )
    return _prefixed(body, system_prefix) + CUES["caller"]


def summarizer_prompt(history: Sequence[Turn], *, system_prefix: bool = False) -> str:
    """The summarizer's prompt; ``history`` ends with the current planner turn."""
    body = SUMMARIZER.replace("{history}", serialize_history(history))
    return _prefixed(body, system_prefix) + CUES["summarizer"]


def backbone_history(turns: Sequence[Turn]) -> list[Turn]:
    """Merge each planner turn with the caller turn after it (the single-model history, §2)."""
    merged: list[Turn] = []
    index = 0
    while index < len(turns):
        turn = turns[index]
        following = turns[index + 1] if index + 1 < len(turns) else None
        if turn["from"] == "assistant" and following is not None and following["from"] == "caller":
            thought = cut_control_phrase(turn["value"])
            merged.append({"from": "assistant", "value": thought + "\n" + following["value"]})
            index += 2
            continue
        merged.append(turn)
        index += 1
    return merged


def without_control_phrase(thought: str, decisions: Iterable[Decision] | None = None) -> str:
    """``thought`` without its trailing control phrase (of one of ``decisions``), if it has one.

    Nothing else is removed: callers strip what they need.
    """
    wanted = set(decisions) if decisions is not None else None
    for decision, phrase in CONTROL_PHRASES:
        if (wanted is None or decision in wanted) and thought.endswith(phrase):
            return thought[: -len(phrase)]
    return thought


def with_control_phrase(thought: str, decision: Decision) -> str:
    """A thought followed by its control phrase, laid out as the training targets are."""
    return thought + CONTROL_SEPARATOR + f"Next: {decision}."


def cut_control_phrase(thought: str) -> str:
    """A planner thought without its trailing ``Next: caller.`` and the separator before it
    (``"\\n "`` or ``" "``): the merge rule of the single-model history (FORMAT.md §2)."""
    bare = without_control_phrase(thought, ("caller",))
    if bare == thought:
        return thought
    for separator in (CONTROL_SEPARATOR, " "):
        if bare.endswith(separator):
            return bare[: -len(separator)]
    return bare


def backbone_prompt(
    tools: Sequence[dict[str, Any]], history: Sequence[Turn], *, system_prefix: bool = False
) -> str:
    """The single-model baseline's prompt, from a three-role history (merged per §2)."""
    body = (
        BACKBONE.replace("{doc}", doc_lines(tools))
        .replace("{history}", serialize_history(backbone_history(history)))
        .replace("{tool_names}", tool_names(tools))
    )
    return _prefixed(body, system_prefix) + CUES["backbone"]


def retry_turn(candidates: Sequence[dict[str, Any]], former_observation: str | None = None) -> str:
    """The user turn that starts another attempt, listing the earlier attempts' actions.

    ``candidates`` are ``{"name", "arguments", "function_output", "mento-carlo-action-value"}``
    dicts. ToolBench adds ``again, your former observation: ...`` when the retried state already
    had an observation; a restart from the task has none.
    """
    listed = json.dumps(list(candidates), indent=2) + "\n"
    if former_observation:
        listed += f"again, your former observation: {former_observation}\n"
    return RETRY.replace("{previous_candidate}", listed)


def retry_candidate(name: str, arguments: str, function_output: str) -> dict[str, Any]:
    """One entry of the retry turn's candidate list."""
    return {
        "name": name,
        "arguments": arguments,
        "function_output": function_output,
        "mento-carlo-action-value": 0.0,
    }


@dataclass(frozen=True)
class PlannerOutput:
    """The planner's thought (cut after its control phrase) and the decision it names."""

    text: str
    decision: Decision
    #: The judge's P(yes) by question when it was asked (``{"answered": 0.83}``).
    judge: dict[str, float] | None = None


@dataclass(frozen=True)
class CallerOutput:
    """The caller's API name and raw argument text (``{}`` when empty)."""

    text: str
    name: str
    arguments: str

    def arguments_dict(self) -> dict[str, Any] | None:
        """The arguments as a JSON object, or None when they do not parse as one."""
        try:
            value = parse_json(self.arguments)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


def clean_output(text: str) -> str:
    """Cut at a literal ``</s>`` and strip surrounding whitespace."""
    return text.split(EOS, 1)[0].strip()


def parse_planner(text: str) -> PlannerOutput:
    """Find the control phrase (give up > conclusion > caller); default to caller."""
    text = clean_output(text)
    for decision, phrase in CONTROL_PHRASES:
        position = text.find(phrase)
        if position >= 0:
            return PlannerOutput(text[: position + len(phrase)], decision)
    return PlannerOutput(text + " Next: caller.", "caller")


def parse_caller(text: str) -> CallerOutput:
    """Name after the last ``Action:``, arguments after the last ``Action Input:``."""
    text = clean_output(text)
    arguments = ""
    head = text
    input_at = text.rfind("Action Input:")
    if input_at >= 0:
        arguments = text[input_at + len("Action Input:") :].strip()
        head = text[:input_at]
    name = ""
    action_at = head.rfind("Action:")
    if action_at >= 0:
        name = head[action_at + len("Action:") :].strip()
    return CallerOutput(text, name, arguments or "{}")


def parse_summarizer(text: str) -> str:
    """The final answer: the text up to ``</s>``, stripped."""
    return clean_output(text)


@dataclass(frozen=True)
class BackboneOutput:
    """The single model's step: a thought plus a call, a final answer, or giving up."""

    text: str
    decision: Decision
    thought: str
    call: CallerOutput | None = None
    answer: str | None = None


def parse_backbone(text: str) -> BackboneOutput:
    """Read a backbone step: ``Action:`` means a call, ``give up.`` giving up, else an answer."""
    text = clean_output(text)
    action_at = text.find("Action:")
    if action_at >= 0:
        return BackboneOutput(
            text, "caller", text[:action_at].strip(), call=parse_caller(text[action_at:])
        )
    if text.rstrip().endswith("give up.") or "conclusion: give up" in text:
        return BackboneOutput(text, "give up", text)
    marker = text.rfind("conclusion:")
    answer = text[marker + len("conclusion:") :].strip() if marker >= 0 else text
    thought = text[:marker].strip() if marker >= 0 else ""
    return BackboneOutput(text, "conclusion", thought, answer=answer)
