"""An in-memory Toolset for MCP round trips: two APIs, answered without any I/O.

``add_for_calc`` (required ``a``, ``b``), ``shout_for_calc`` (required ``text``, enum ``mode``);
bad arguments (a negative number too) fail with kind ``arguments``, ``shout`` of ``"boom"``
with ``server``.
"""

from __future__ import annotations

import json
from typing import Any

from umi_cli.tools.toolset import ToolDef, ToolResult

ADD = ToolDef(
    name="add_for_calc",
    service="calc",
    description="Add two integers.",
    parameters={
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
)
SHOUT = ToolDef(
    name="shout_for_calc",
    service="calc",
    description="Repeat a text loudly or quietly.",
    parameters={
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "mode": {"type": "string", "enum": ["loud", "quiet"]},
        },
        "required": ["text"],
    },
)


class FakeToolset:
    """The Toolset protocol over two pure functions; ``calls`` records what arrived."""

    name = "calc"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.closed = False

    def tools(self) -> list[ToolDef]:
        return [ADD, SHOUT]

    def call(self, name: str, arguments: dict[str, Any] | str | None) -> ToolResult:
        values = json.loads(arguments) if isinstance(arguments, str) else dict(arguments or {})
        self.calls.append((name, values))
        numbers = [values.get("a"), values.get("b")]
        if name == ADD.name and all(isinstance(number, int) for number in numbers):
            if min(values["a"], values["b"]) < 0:
                error = '{"error": "natural numbers only"}'
                return ToolResult(name, False, error, failure="arguments")
            return ToolResult(name, True, json.dumps({"sum": values["a"] + values["b"]}))
        if name == SHOUT.name and isinstance(values.get("text"), str):
            if values["text"] == "boom":
                return ToolResult(name, False, '{"error": "exploded"}', failure="server")
            loud = values.get("mode", "loud") == "loud"
            return ToolResult(name, True, values["text"].upper() if loud else values["text"])
        return ToolResult(name, False, '{"error": "bad arguments"}', failure="arguments")

    def close(self) -> None:
        self.closed = True
