"""The model's own tool calling, as a role: its chat template renders the tools and the turns,
and its ``<tool_call>`` blocks are the calls (the baseline a user would otherwise pick)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from umi_cli.agent import format as fmt
from umi_cli.agent.native_calls import NativeCall, content_before_calls, parse_native_calls
from umi_cli.agent.role_base import Role, RoleCall, RoleResult

Message = dict[str, Any]


@dataclass(frozen=True)
class NativeOutput:
    """What the model said before any call, and the calls it wrote (none: its answer)."""

    content: str
    calls: list[NativeCall]


def opening_messages(history: Sequence[fmt.Turn]) -> list[Message]:
    """A conversation's earlier requests and answers, and this task, as chat messages."""
    roles = {"user": "user", "conclusion": "assistant"}
    kept = [turn for turn in history if turn["from"] in roles]
    return [{"role": roles[turn["from"]], "content": turn["value"]} for turn in kept]


def call_message(content: str, calls: Sequence[NativeCall]) -> Message:
    """The assistant turn that made ``calls`` (as the chat template writes tool calls)."""
    return {
        "role": "assistant",
        "content": content,
        "tool_calls": [
            {"type": "function", "function": {"name": name, "arguments": arguments or {}}}
            for name, arguments in calls
        ],
    }


def tool_message(text: str) -> Message:
    return {"role": "tool", "content": text}


class NativeModel(Role):
    """One turn of the model's own tool calling over the messages so far."""

    name = "native"

    def turn(self, messages: list[Message], tools: list[dict[str, Any]]) -> RoleCall[NativeOutput]:
        """With ``tools`` empty the model can only answer."""
        prompt, truncated = self._fit(messages, tools)
        done = yield from self.complete(prompt, grammar=None)
        text = fmt.clean_output(done.text)
        calls = parse_native_calls(text) if tools else []
        output = NativeOutput(content_before_calls(text) if calls else text, calls)
        return RoleResult(output, done.text, done.stats, prompt, truncated)

    def _fit(self, messages: list[Message], tools: list[dict[str, Any]]) -> tuple[str, bool]:
        """Render; while too long, cut the oldest tool results (then older turns) to ``...``."""
        shown = [dict(message) for message in messages]
        render = lambda: self.backend.render_chat(shown, tools=tools or None)  # noqa: E731
        text, truncated = render(), False
        for index, message in enumerate(shown[:-1]):
            if self.backend.count_tokens(text) <= self.budget:
                break
            if message["role"] in ("tool", "assistant") and message.get("content") != "...":
                shown[index] = {**message, "content": "..."}
                text, truncated = render(), True
        return text, truncated


def tool_entries(definitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI-style tool entries for a chat template, from function definitions."""
    return [{"type": "function", "function": definition} for definition in definitions]


def caller_output(name: str, arguments: dict[str, Any] | None) -> fmt.CallerOutput:
    """A native call in the α-UMi caller form (so guards, traces and events see one shape)."""
    text = json.dumps(arguments, ensure_ascii=False) if arguments is not None else "{"
    return fmt.CallerOutput(f"Action: {name}\nAction Input: {text}", name, text)
