"""The 40 ComplexFuncBench functions as umi tools: :class:`ToolDef` values with JSON Schemas.

Query parameters become JSON Schema properties with their type, description and ``enum``; the
``required`` ones are listed. The spec's ``default`` fields are all null in 0.1.7, but some
descriptions state one (``The **default** value is set to **1**``): that value is recorded as the
property's ``default``, and the matcher accepts it for an omitted argument. Function names that
are not identifiers (``Get_Hotel_Reviews(Tips)``) get an identifier form for the models.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from umi_cli.eval.complexfuncbench.data import FunctionSpec, Task, load_functions
from umi_cli.tools.toolset import ToolDef

SERVICE = "booking_com"

#: Spec type words -> JSON Schema types (unknown words: string).
SCHEMA_TYPES = {
    "string": "string",
    "str": "string",
    "number": "number",
    "float": "number",
    "integer": "integer",
    "int": "integer",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "object": "object",
    "dict": "object",
}

#: Item schemas of array parameters, as their descriptions spell them out.
ARRAY_ITEMS: dict[str, dict[str, Any]] = {
    "legs": {
        "type": "object",
        "properties": {
            "fromId": {"type": "string"},
            "toId": {"type": "string"},
            "date": {"type": "string", "description": "YYYY-MM-DD"},
        },
        "required": ["fromId", "toId", "date"],
    },
}

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9_]+")
_DEFAULT_IN_TEXT = re.compile(
    r"\*\*default\*\*(?: value)? is set to \*\*([^*]+)\*\*", re.IGNORECASE
)


def tool_name(function_name: str) -> str:
    """The name the models see: the spec's name if it is an identifier, else its identifier
    form (``Get_Hotel_Reviews(Tips)_Sort_Option`` -> ``Get_Hotel_Reviews_Tips_Sort_Option``)."""
    if _IDENTIFIER.match(function_name):
        return function_name
    name = re.sub(r"_+", "_", _NOT_NAME_CHAR.sub("_", function_name)).strip("_")
    return name if name and not name[0].isdigit() else f"fn_{name}"


def schema_type(kind: Any) -> str:
    """The JSON Schema type of a spec type word."""
    return SCHEMA_TYPES.get(str(kind).strip().lower(), "string")


def _typed(text: str, kind: str) -> Any:
    """``text`` as a value of JSON Schema type ``kind`` (unchanged when it does not fit)."""
    if kind in ("number", "integer"):
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def parameter_default(fields: Mapping[str, Any]) -> Any | None:
    """The default of a parameter: its ``default`` field, else the one its description states."""
    kind = schema_type(fields.get("type"))
    if fields.get("default") is not None:
        value = fields["default"]
        return _typed(value, kind) if isinstance(value, str) else value
    found = _DEFAULT_IN_TEXT.search(str(fields.get("description") or ""))
    return _typed(found.group(1).strip(), kind) if found else None


def parameter_schema(name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """One query parameter as a JSON Schema property."""
    kind = schema_type(fields.get("type"))
    schema: dict[str, Any] = {"type": kind}
    description = str(fields.get("description") or "").strip()
    if description:
        schema["description"] = description
    if fields.get("enum"):
        schema["enum"] = list(fields["enum"])
    if kind == "array":
        schema["items"] = dict(ARRAY_ITEMS.get(name, {}))
    default = parameter_default(fields)
    if default is not None:
        schema["default"] = default
    return schema


def parameters_schema(function: FunctionSpec) -> dict[str, Any]:
    """The JSON Schema of a function's arguments (its query parameters, in spec order)."""
    params = function.query_parameters
    return {
        "type": "object",
        "properties": {name: parameter_schema(name, fields) for name, fields in params.items()},
        "required": [name for name, fields in params.items() if fields.get("required") is True],
        "additionalProperties": False,
    }


def tool_def(function: FunctionSpec) -> ToolDef:
    """A function as the models see it (the toolbox renders its α-UMi document)."""
    return ToolDef(
        name=tool_name(function.name),
        service=SERVICE,
        description=function.description,
        parameters=parameters_schema(function),
    )


def tool_defs(functions: Iterable[FunctionSpec]) -> list[ToolDef]:
    """The tools of ``functions``, in order."""
    return [tool_def(function) for function in functions]


def load_tooldefs(path: Path | None = None) -> list[ToolDef]:
    """The tools of the installed spec file (or of ``path``)."""
    return tool_defs(load_functions(path))


def defaults(tools: Iterable[ToolDef]) -> dict[str, dict[str, Any]]:
    """Tool name -> {parameter: default} for the parameters that have one."""
    table: dict[str, dict[str, Any]] = {}
    for tool in tools:
        properties = tool.parameters.get("properties", {})
        table[tool.name] = {
            name: schema["default"] for name, schema in properties.items() if "default" in schema
        }
    return table


#: Which functions a task gets: its domains' (as the original benchmark lists them) or all 40.
SCOPES = ("domain", "all")
#: The geocoder every cross-domain task may need.
SHARED_DOMAIN = "meta"


def domain(function: FunctionSpec) -> str:
    """The API group of a function, from its endpoint (``/api/v1/hotels/...`` -> ``hotels``)."""
    parts = function.endpoint.strip("/").split("/")
    return parts[2] if len(parts) > 2 else "other"


def task_functions(task: Task, functions: Sequence[FunctionSpec], scope: str) -> list[FunctionSpec]:
    """The functions ``task`` is offered: all of them, or those of the domains its reference
    calls use plus the geocoder (the NESTFUL form drops the per-task lists of the original)."""
    if scope == "all":
        return list(functions)
    by_name = {tool_name(function.name): function for function in functions}
    wanted = {
        domain(by_name[tool_name(call.name)])
        for call in task.calls
        if tool_name(call.name) in by_name
    }
    wanted.add(SHARED_DOMAIN)
    return [function for function in functions if domain(function) in wanted]
