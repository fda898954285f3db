"""What the models see: α-UMi tool documents (FORMAT.md §5) and JSON Schemas per API."""

from __future__ import annotations

from typing import Any

from umi_cli.tools.documents import MAX_DESCRIPTION_CHARS, function_text
from umi_cli.tools.http.spec import Api, Parameter, ToolSpec

#: Types as the α-UMi ``input`` map writes them; the checkpoints saw string/integer/boolean.
_DOC_TYPES = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}


def spec_function_text(tool_name: str, api: Api, document_name: str) -> str:
    """The ``function`` field of a spec API.

    As in ToolBench's preprocessing, occurrences of the API's own name in its description are
    replaced by the full α-UMi name (the checkpoints were trained on text like that).
    """
    description = api.description.strip().replace(api.name, document_name)
    return function_text(tool_name, description[:MAX_DESCRIPTION_CHARS])


def input_text(param: Parameter) -> str:
    """One ``input`` value: ``"<type>, <description>"`` (``"string, "`` without description)."""
    kind = _DOC_TYPES.get(param.type, "string")
    return f"{kind}, {param.description[:MAX_DESCRIPTION_CHARS]}"


def api_document(tool: ToolSpec, api: Api) -> dict[str, Any]:
    """The α-UMi tool dict of one API: ``{"Name", "function", "input"}`` in that order."""
    name = tool.document_name(api)
    ordered = [p for p in api.parameters if p.required] + [
        p for p in api.parameters if not p.required
    ]
    return {
        "Name": name,
        "function": spec_function_text(tool.name, api, name),
        "input": {p.doc_name: input_text(p) for p in ordered},
    }


def parameter_schema(param: Parameter) -> dict[str, Any]:
    """The JSON Schema of one parameter, with its description."""
    schema = dict(param.schema)
    schema.setdefault("type", "string")
    if param.description and "description" not in schema:
        schema["description"] = param.description
    return schema


def api_json_schema(api: Api) -> dict[str, Any]:
    """The JSON Schema of an API's arguments, keyed by the names the models see."""
    return {
        "type": "object",
        "properties": {p.doc_name: parameter_schema(p) for p in api.parameters},
        "required": [p.doc_name for p in api.parameters if p.required],
        "additionalProperties": False,
    }


def api_function_definition(tool: ToolSpec, api: Api) -> dict[str, Any]:
    """An OpenAI/MCP-style function definition (name, description, parameters schema)."""
    return {
        "name": tool.document_name(api),
        "description": api.description or tool.description,
        "parameters": api_json_schema(api),
    }
