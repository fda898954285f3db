"""BFCL function definitions as umi tools, in memory: α-UMi documents and JSON Schemas.

BFCL functions carry names like ``math.factorial`` and a JSON-Schema-like ``parameters`` block
with BFCL's own type words (``dict``, ``float``, ``tuple``, ``any``). The caller sees them the way
it sees every tool (FORMAT.md §5): one α-UMi document per function, its ``Name`` standardized
(``math_factorial``) and its parameter names ``is_``-renamed, with a JSON Schema for constrained
decoding. :class:`BfclToolset` maps predicted names back to BFCL's before scoring.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from umi_cli.tools.naming import parameter_document_name, standardize
from umi_cli.tools.toolset import ToolDef, ToolResult

#: BFCL type words -> JSON Schema types.
SCHEMA_TYPES = {
    "dict": "object",
    "float": "number",
    "tuple": "array",
    "string": "string",
    "integer": "integer",
    "boolean": "boolean",
    "array": "array",
    "number": "number",
    "object": "object",
}
#: Type words shown in α-UMi ``input`` lines (FORMAT.md §5 uses string/integer/number/boolean).
DOC_TYPES = {"dict": "object", "float": "number", "tuple": "array", "any": "string"}


def json_schema(parameters: dict[str, Any]) -> dict[str, Any]:
    """A BFCL parameter block as JSON Schema (recursively; ``any`` leaves the value free)."""
    kind = parameters.get("type")
    schema: dict[str, Any] = {}
    if kind in SCHEMA_TYPES:
        schema["type"] = SCHEMA_TYPES[kind]
    if "enum" in parameters:
        schema["enum"] = list(parameters["enum"])
    if "items" in parameters and schema.get("type") == "array":
        schema["items"] = json_schema(parameters["items"])
    if schema.get("type") == "object" and "properties" in parameters:
        schema["properties"] = {
            key: json_schema(value) for key, value in parameters["properties"].items()
        }
        schema["required"] = [
            key for key in parameters.get("required", []) if key in parameters["properties"]
        ]
        schema["additionalProperties"] = False
    return schema


@dataclass
class BfclTool:
    """One BFCL function seen as an umi tool."""

    bfcl_name: str
    name: str
    description: str
    document: dict[str, Any]
    schema: dict[str, Any]
    #: α-UMi parameter name -> BFCL parameter name (where they differ).
    parameter_names: dict[str, str] = field(default_factory=dict)


def convert_function(function: dict[str, Any]) -> BfclTool:
    """A BFCL function definition as an α-UMi document plus the JSON Schema of its arguments."""
    bfcl_name = function["name"]
    name = standardize(bfcl_name) or "function"
    parameters = function.get("parameters") or {"type": "dict", "properties": {}}
    properties: dict[str, Any] = parameters.get("properties", {})
    renamed = {key: parameter_document_name(key) or key for key in properties}
    doc_inputs = {}
    for key, spec in properties.items():
        kind = DOC_TYPES.get(spec.get("type", "string"), spec.get("type", "string"))
        description = spec.get("description", "")
        doc_inputs[renamed[key]] = f"{kind}, {description}" if description else kind
    description = (function.get("description") or "").replace('"', "'")
    text = f'This is the subfunction for tool "{name}", you can use this tool.'
    if description:
        text += f'The description of this function is: "{description}"'
    schema = json_schema({**parameters, "type": "dict"})
    if "properties" in schema:
        schema["properties"] = {renamed[k]: v for k, v in schema["properties"].items()}
        schema["required"] = [renamed[k] for k in schema["required"]]
    return BfclTool(
        bfcl_name=bfcl_name,
        name=name,
        description=description,
        document={"Name": name, "function": text, "input": doc_inputs},
        schema=schema,
        parameter_names={new: old for old, new in renamed.items() if new != old},
    )


class BfclToolset:
    """The functions of one BFCL item as umi tools, and the way back to BFCL's names."""

    name = "bfcl"

    def __init__(self, functions: list[dict[str, Any]]) -> None:
        self.functions = [convert_function(function) for function in functions]
        self._by_name = {tool.name: tool for tool in self.functions}

    def tools(self) -> list[ToolDef]:
        """The functions as ToolDefs (with their own α-UMi documents)."""
        return [
            ToolDef(tool.name, "", tool.description, tool.schema, document=tool.document)
            for tool in self.functions
        ]

    def call(self, name: str, arguments: dict[str, Any] | str | None) -> ToolResult:
        text = json.dumps({"error": "BFCL functions are scored, not called", "status": None})
        return ToolResult(name=name, ok=False, text=text, failure="refused")

    def close(self) -> None:
        pass

    def only(self, names: Sequence[str]) -> BfclToolset:
        """The same toolset limited to ``names`` (the API a planner's thought named)."""
        narrowed = copy.copy(self)
        narrowed.functions = [tool for tool in self.functions if tool.name in set(names)]
        return narrowed

    def to_bfcl(self, name: str, arguments: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """A predicted call in BFCL's output form ``{function: {param: value}}``."""
        tool = self._by_name.get(name)
        if tool is None:  # an unknown name stays as predicted; the checker rejects it
            return {name: dict(arguments)}
        return {tool.bfcl_name: {tool.parameter_names.get(k, k): v for k, v in arguments.items()}}

    def native_tools(self) -> list[dict[str, Any]]:
        """OpenAI-style tool entries for a chat template's tool calling (the baseline)."""
        return [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.schema,
                },
            }
            for tool in self.functions
        ]


_CALL = re.compile(r"Action:\s*(?P<name>[^\n]*?)\s*\nAction Input:\s*", re.MULTILINE)


def parse_caller_calls(text: str) -> list[tuple[str, dict[str, Any] | None]]:
    """Every ``Action``/``Action Input`` pair in a caller output, in order.

    For parallel items the caller may write several pairs (one per call); each ``Action Input``
    is read as the first JSON value after it; ``None`` when it does not parse as an object.
    """
    calls = []
    decoder = json.JSONDecoder()
    text = text.split("</s>", 1)[0]
    for match in _CALL.finditer(text):
        rest = text[match.end() :].lstrip()
        try:
            value, _ = decoder.raw_decode(rest)
        except json.JSONDecodeError:
            value = {} if not rest or rest.startswith("Action:") else None
        calls.append((match.group("name").strip(), value if isinstance(value, dict) else None))
    return calls
