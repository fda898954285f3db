"""Role prompts for ``chat``-format models (built on the model's own chat template).

The protocol is α-UMi's (planner thought ending in ``Next: ...``, ``Action:``/``Action Input:``,
final answer), but the words are written for small instruction-tuned models. Styles:

- ``readable`` (default): a system message with the role's instructions and the API list (the
  planner's with a worked example on made-up APIs), the history as labelled plain text with
  compact observations in the user message.
- ``example``: ``readable`` plus worked examples for the caller and summarizer too.
- ``alpha-umi``: the exact α-UMi template text as a single user message (history without ``</s>``).

Each builder returns ``(system, user)``; the history part is what context truncation cuts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from umi_cli.agent import format as fmt
from umi_cli.agent.prompt import cut_left
from umi_cli.engine.backend import Backend
from umi_cli.inputs import parse_json

PROMPT_STYLES = ("readable", "example", "alpha-umi")

#: The chat planner's reply starts here, so that it writes a thought before its decision.
PLANNER_LEAD = "Thought:"
#: The thought's first words, by state: before any call only the request's values exist; after
#: one, the thought starts from the latest observation (where ids and answers are).
OPENING_FIRST = " No API has been called yet, so I have no ids except those in the request."
#: Added to :data:`OPENING_FIRST` when some APIs take only text: small models otherwise call the
#: API named after the request's topic with a made-up id.
OPENING_TEXT_APIS = " APIs that need no id: {names}. Call"
OPENING_OBSERVED = " The last observation"

HISTORY_LABELS = {
    "user": "User",
    "assistant": "Thought",
    "caller": "Call",
    "observation": "Observation",
    "conclusion": "Answer",
    "check": "Check",  # the cmat checker's rejection of a proposed call
}

#: Observations longer than this (after compaction) are cut in the chat prompts.
OBSERVATION_CHARS = 900

PLANNER_RULES = """You are the planner of a team that answers the user's request with APIs.
You never call an API yourself: the caller makes the one call your thought describes, then you \
see its observation. When the request is answered, a writer gives the final answer.

Available APIs:
{apis}
Each step, write one short thought, then the decision on the next line:
- If an API must be called now: name that API and the exact argument values to pass. Take the \
values from the user's request (names, titles, words) or from earlier observations (ids). Never \
invent an id: if you need an id you do not have yet, first call the API that returns it. \
Then write "Next: caller."
- If the observations already contain the answer: say so, then write "Next: conclusion."
- If no API can help: say why, then write "Next: give up."

Reply with two lines: "Thought: <the API to call now with its argument values, or why you are \
done>", then the "Next: ..." line."""

PLANNER_EXAMPLE = """

Example with other APIs (find_city: name, gives city ids; city_weather: city_id from find_city):
User: How warm is it in Lyon?
Thought: No API has been called yet, so I have no ids except those in the request. APIs that \
need no id: find_city. Call find_city with name "Lyon" to get its id.
Next: caller.
Call: find_city {"name": "Lyon"}
Observation: data: [id: 12, name: Lyon, country: France]
Thought: The last observation gives the id of Lyon: 12. Call city_weather with city_id 12.
Next: caller.
Call: city_weather {"city_id": 12}
Observation: city_id: 12, temp_c: 21, sky: sunny
Thought: The last observation shows the weather the user asked for: 21 °C and sunny in Lyon.
Next: conclusion."""

CALLER_RULES = """You make one API call: the call that the planner's thought asks for.

Available APIs:
{apis}
Use the API the thought names. Take the argument values from the thought; if one is missing, \
take it from the user's request or the latest observation (ids come from observations).
Reply in exactly this form, with the arguments as a JSON object:
Action: <one API name from the list>
Action Input: <JSON arguments>"""

CALLER_EXAMPLE = """

Example with other APIs (find_city: name; city_weather: city_id):
User: How warm is it in Lyon?
Observation: data: [id: 12, name: Lyon, country: France]
Thought: Lyon has id 12. Call city_weather with city_id 12.
Your reply:
Action: city_weather
Action Input: {"city_id": 12}"""

SUMMARIZER_RULES = """You write the final answer to the user's request.
Use only the facts in the observations: copy names, titles and numbers exactly as they appear \
there. Answer the request directly and briefly (list the items it asks for). If the observations \
do not contain the answer, say what could not be found."""

SUMMARIZER_EXAMPLE = """

Example:
User: Which cities are in France? Name two.
Observation: data: [id: 12, name: Lyon], [id: 13, name: Nice], [id: 14, name: Lille]
Your reply:
Two cities in France are Lyon and Nice."""


@dataclass(frozen=True)
class ChatPrompt:
    """A role prompt as chat messages: instructions, history text and the closing request."""

    system: str | None
    history: str
    request: str
    preamble: str = ""
    #: Text that starts the model's reply (written after the generation prompt).
    lead: str = ""

    def messages(self, history: str | None = None) -> list[dict[str, Any]]:
        """The messages, optionally with a (truncated) replacement for the history text."""
        text = self.history if history is None else history
        user = self.preamble + text + self.request
        if self.system is None:
            return [{"role": "user", "content": user}]
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]

    @property
    def opening(self) -> str:
        """The words of the reply already written in the lead (after ``Thought:``)."""
        return self.lead[len(PLANNER_LEAD) :] if self.lead.startswith(PLANNER_LEAD) else ""

    def fit(self, model: Backend, budget: int) -> tuple[str, bool]:
        """Render with the model's chat template, cutting the history (never the system
        message) until it fits ``budget`` tokens."""

        def render(history: str | None = None) -> str:
            return model.render_chat(self.messages(history)) + self.lead

        text = render()
        if model.count_tokens(text) <= budget:
            return text, False
        cut = cut_left(self.history, lambda rest: render("..." + rest), model, budget)
        return render("..." + cut), True


def api_lines(tools: Sequence[dict[str, Any]]) -> str:
    """One readable line per API: name, description and parameters."""
    lines = []
    for tool in tools:
        description = str(tool.get("function", ""))
        marker = "The description of this function is: "
        if marker in description:
            description = description.split(marker, 1)[1].strip().strip('"')
        else:
            description = ""
        params = ", ".join(f"{name} ({kind})" for name, kind in tool.get("input", {}).items())
        line = f"- {tool['Name']}"
        if description:
            line += f": {description}"
        line += f"\n  parameters: {params or 'none'}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def readable_history(turns: Sequence[fmt.Turn]) -> str:
    """The history as labelled lines (``User: ...``, ``Thought: ...``, ``Call: ...``,
    ``Observation: ...``), observations compacted."""
    parts = []
    for turn in turns:
        label = HISTORY_LABELS.get(turn["from"], turn["from"].title())
        value = turn["value"].strip()
        if turn["from"] == "assistant":
            value = _bare_thought(value)
            if not value:
                continue
        if turn["from"] == "caller":
            value = value.replace("\nAction Input:", "").replace("Action: ", "")
        if turn["from"] == "observation":
            value = compact_observation(value)
        parts.append(f"{label}: {value}")
    return "\n".join(parts) + "\n"


def compact_observation(text: str, limit: int = OBSERVATION_CHARS) -> str:
    """An observation as short ``key: value`` text: JSON without quotes and braces (nested JSON
    strings unpacked), objects in a list as ``[...]`` groups; other text with its keys unquoted.
    A trailing ``(...)`` note that umi added on its own line is kept as it is."""
    body, marker, note = text.strip().rpartition("\n(")
    if not marker:  # no note from umi after the API's text
        body, note = note, ""
    try:
        compact = _compact(parse_json(body))
    except ValueError:
        compact = re.sub(r'"([^"\\]{1,40})":\s*', r"\1: ", body)
    compact = compact if len(compact) <= limit else compact[:limit] + "..."
    return f"{compact}\n({note}" if marker else compact


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_nested(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(
            f"[{_compact(item)}]" if isinstance(item, dict) else _compact(item) for item in value
        )
    if isinstance(value, str):
        inner = value.strip()
        if inner[:1] in ("{", "["):
            try:
                return _compact(parse_json(inner))
            except ValueError:
                pass
        return json.dumps(value, ensure_ascii=False) if ("," in value or ":" in value) else value
    return json.dumps(value, ensure_ascii=False)


def _nested(value: Any) -> str:
    if isinstance(value, dict):
        return f"({_compact(value)})"
    if isinstance(value, list):
        return (
            f"[{_compact(value)}]"
            if not all(isinstance(v, dict) for v in value)
            else (_compact(value) or "[]")
        )
    return _compact(value)


def latest_task(history: Sequence[fmt.Turn]) -> tuple[list[fmt.Turn], list[fmt.Turn]]:
    """The turns before the latest user turn, and the latest user turn with what follows."""
    for index in range(len(history) - 1, -1, -1):
        if history[index]["from"] == "user":
            return list(history[:index]), list(history[index:])
    return [], list(history)


def _check_style(style: str) -> None:
    if style not in PROMPT_STYLES:
        raise ValueError(f"unknown prompt style {style!r}; known: {', '.join(PROMPT_STYLES)}")


def planner_prompt(
    tools: Sequence[dict[str, Any]], history: Sequence[fmt.Turn], style: str = "readable"
) -> ChatPrompt:
    """The planner's messages; ``history`` holds every turn before the current planner turn.

    The system message holds the rules, the APIs and a worked example with made-up APIs; the
    user message the conversation in the example's layout; the reply starts with ``Thought:``.
    """
    _check_style(style)
    if style == "alpha-umi":
        head, tail = fmt.PLANNER.split("{history}")
        return ChatPrompt(
            None, _plain(history), tail, preamble=head.replace("{doc}", fmt.doc_lines(tools))
        )
    system = PLANNER_RULES.replace("{apis}", api_lines(tools)) + PLANNER_EXAMPLE
    request = "\nWrite the next Thought and Next line."
    if history and history[-1]["from"] == "observation":
        request = (
            "\nIf the observations answer the user's request, the next step is the conclusion; "
            "otherwise name the next API and its argument values (ids from the observations). "
            "Write the next Thought and Next line."
        )
    if history and history[-1]["from"] == "check":
        request = (
            "\nThe checker did not send the call of your last thought (see Check). Revise it: "
            "name another API, or other argument values taken from the request or the "
            "observations, or give up. Write the next Thought and Next line."
        )
    _earlier, current = latest_task(history)
    observed = any(turn["from"] == "observation" for turn in current)
    opening = OPENING_OBSERVED if observed else _first_opening(tools)
    return ChatPrompt(
        system,
        readable_history(history),
        request,
        preamble="Conversation:\n",
        lead=PLANNER_LEAD + opening,
    )


def _first_opening(tools: Sequence[dict[str, Any]]) -> str:
    """The first thought's opening: no ids yet, and which APIs take only text (when that helps)."""
    text_only = [tool["Name"] for tool in tools if _takes_text_only(tool)]
    if not text_only or len(text_only) == len(tools):
        return OPENING_FIRST
    return OPENING_FIRST + OPENING_TEXT_APIS.replace("{names}", ", ".join(text_only))


def _takes_text_only(tool: dict[str, Any]) -> bool:
    """Whether every parameter of an α-UMi tool document is a string (``"string, ..."``)."""
    kinds = [str(kind).split(",", 1)[0].strip().lower() for kind in tool.get("input", {}).values()]
    return all(kind == "string" for kind in kinds)


def caller_prompt(
    tools: Sequence[dict[str, Any]],
    history: Sequence[fmt.Turn],
    thought: str,
    style: str = "readable",
) -> ChatPrompt:
    """The caller's messages; ``history`` ends with the planner turn that ``thought`` repeats.

    The caller sees the user's request, the latest observation and the thought (earlier
    conversations and calls only distract a small model).
    """
    _check_style(style)
    if style == "alpha-umi":
        head, tail = fmt.CALLER.split("{history}")
        tail = tail.replace("{thought}", thought).replace("{tool_names}", fmt.tool_names(tools))
        return ChatPrompt(
            None, _plain(history), tail, preamble=head.replace("{doc}", fmt.doc_lines(tools))
        )
    system = CALLER_RULES.replace("{apis}", api_lines(tools))
    if style == "example":
        system += CALLER_EXAMPLE
    _earlier, current = latest_task(history)
    shown = [turn for turn in current if turn["from"] == "user"][:1]
    observations = [turn for turn in current if turn["from"] == "observation"]
    shown += observations[-1:]
    names = fmt.tool_names(tools)
    request = (
        f"Thought: {_bare_thought(thought)}\n"
        f"Write the Action and Action Input for this thought (API one of: {names})."
    )
    return ChatPrompt(system, readable_history(shown), request)


def summarizer_prompt(
    history: Sequence[fmt.Turn], style: str = "readable", *, note: str | None = None
) -> ChatPrompt:
    """The summarizer's messages; ``history`` ends with the current planner turn; ``note``
    (the answer check's request to answer again) closes the user message."""
    _check_style(style)
    if style == "alpha-umi":
        head = fmt.SUMMARIZER.split("{history}")[0]
        return ChatPrompt(None, _plain(history), f"\n{note}" if note else "", preamble=head)
    system = SUMMARIZER_RULES + (SUMMARIZER_EXAMPLE if style == "example" else "")
    kept = [turn for turn in history if turn["from"] in ("user", "observation", "conclusion")]
    request = "\nAnswer the user's latest request from the observations."
    if note:
        request += "\n" + note
    return ChatPrompt(system, readable_history(kept), request)


def backbone_prompt(
    tools: Sequence[dict[str, Any]], history: Sequence[fmt.Turn], style: str = "readable"
) -> ChatPrompt:
    """The single-model baseline's messages (the α-UMi backbone text in one user message)."""
    _check_style(style)
    head, tail = fmt.BACKBONE.split("{history}")
    tail = tail.replace("{tool_names}", fmt.tool_names(tools))
    plain = _plain(fmt.backbone_history(history))
    return ChatPrompt(None, plain, tail, preamble=head.replace("{doc}", fmt.doc_lines(tools)))


def _plain(turns: Sequence[fmt.Turn]) -> str:
    """The α-UMi history with ``</s>`` written as a newline (chat templates have their own EOS)."""
    return fmt.serialize_history(turns).replace(fmt.EOS, "\n")


def _bare_thought(thought: str) -> str:
    """A planner turn without its control phrase."""
    return fmt.without_control_phrase(thought).strip()
