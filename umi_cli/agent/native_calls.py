"""A chat model's own tool calls: Qwen/Hermes ``<tool_call>`` blocks in what it writes.

Used by the ``native`` mode (the model's chat-template tool calling, the baseline a user would
otherwise pick) and by BFCL's native system.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: A call as written: the function name and its arguments (None when they do not parse).
NativeCall = tuple[str, dict[str, Any] | None]

_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)


def parse_native_calls(text: str) -> list[NativeCall]:
    """Qwen/Hermes-style ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks.

    Leniently, when there is no ``<tool_call>`` block, JSON objects with ``name`` and
    ``arguments`` written anywhere in the text (small models like to fence them in a code block)
    count as calls too, so the baseline is not marked down for its wrapping alone.
    """
    blocks = _TOOL_CALL.findall(text)
    if not blocks:
        return [_native_call(value) for value in _json_objects(text) if _is_call(value)]
    calls: list[NativeCall] = []
    for block in blocks:
        try:
            value = json.loads(block)
        except json.JSONDecodeError:
            calls.append(("", None))
            continue
        calls.append(_native_call(value) if isinstance(value, dict) else ("", None))
    return calls


def _is_call(value: Any) -> bool:
    return isinstance(value, dict) and "name" in value and "arguments" in value


def _native_call(value: dict[str, Any]) -> NativeCall:
    arguments = value.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            arguments = None
    return str(value.get("name", "")), arguments if isinstance(arguments, dict) else None


def _json_objects(text: str) -> list[Any]:
    """Every top-level JSON object that parses, scanning from each ``{``."""
    decoder = json.JSONDecoder()
    found, position = [], text.find("{")
    while position >= 0:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            position = text.find("{", position + 1)
            continue
        found.append(value)
        position = text.find("{", end)
    return found


def content_before_calls(text: str) -> str:
    """What a reply says before its first ``<tool_call>`` block (the model's own words)."""
    return text.split("<tool_call>", 1)[0].strip()
