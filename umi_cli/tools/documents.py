"""α-UMi tool documents (FORMAT.md §5) for any ToolDef, and raw documents as a toolset.

HTTP specs render their own documents (ToolBench's exact text); other toolsets (MCP, BFCL,
benchmark replays) get theirs from :func:`render_document`. Evaluation data that carries only raw
α-UMi dicts becomes a :class:`DocumentToolset`, so even then the toolbox is the one source of
documents and caller grammars.
"""

from __future__ import annotations

import json
from typing import Any

from umi_cli.tools.grammar import schema_from_document
from umi_cli.tools.naming import standardize
from umi_cli.tools.toolset import ToolDef, ToolResult

#: ToolBench caps descriptions (and the whole ``function`` text) at 256 characters.
MAX_DESCRIPTION_CHARS = 256
_DOC_TYPES = ("string", "integer", "number", "boolean", "array", "object")


def function_text(service: str, description: str) -> str:
    """The ``function`` field: the fixed preamble plus the description, capped at 256."""
    text = f'This is the subfunction for tool "{standardize(service)}", you can use this tool.'
    if description:
        text += f'The description of this function is: "{description}"'
    return text[:MAX_DESCRIPTION_CHARS]


def render_document(tool: ToolDef) -> dict[str, Any]:
    """The α-UMi dict of a ToolDef: ``Name``, ``function``, ``input`` (required first)."""
    if tool.document is not None:
        return tool.document
    properties: dict[str, Any] = tool.parameters.get("properties") or {}
    required = [name for name in tool.parameters.get("required") or [] if name in properties]
    ordered = required + [name for name in properties if name not in required]
    inputs = {}
    for name in ordered:
        schema = properties[name] if isinstance(properties[name], dict) else {}
        kind = schema.get("type") if schema.get("type") in _DOC_TYPES else "string"
        description = str(schema.get("description") or "")[:MAX_DESCRIPTION_CHARS]
        inputs[name] = f"{kind}, {description}"
    return {
        "Name": tool.name,
        "function": function_text(tool.service, tool.description.strip()[:MAX_DESCRIPTION_CHARS]),
        "input": inputs,
    }


class DocumentToolset:
    """Raw α-UMi tool dicts (ToolBench samples) as tools that cannot be called."""

    name = "documents"

    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self._tools = [
            ToolDef(
                name=str(document["Name"]),
                service="",
                description=str(document.get("function", "")),
                parameters=schema_from_document(document),
                document=document,
            )
            for document in documents
        ]

    def tools(self) -> list[ToolDef]:
        return list(self._tools)

    def call(self, name: str, arguments: dict[str, Any] | str | None) -> ToolResult:
        text = json.dumps({"error": f"{name} is described, not callable", "status": None})
        return ToolResult(name=name, ok=False, text=text, failure="refused")

    def close(self) -> None:
        pass
