"""Turn the caller's ``Action Input`` into checked values for each parameter of an API."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from umi_cli.inputs import parse_json
from umi_cli.tools.http.spec import Api, Parameter
from umi_cli.tools.http.validate import value_has_type


class ArgumentError(ValueError):
    """The arguments cannot be used for this API; the message is shown to the planner."""


@dataclass
class BoundArguments:
    """Checked values by location, keyed by the API's real parameter names."""

    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    header: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)


def parse_arguments(arguments: str | dict[str, Any] | None) -> dict[str, Any]:
    """A dict from a JSON text (empty text means ``{}``) or a dict as given."""
    if arguments is None:
        return {}
    if isinstance(arguments, dict):
        return arguments
    text = arguments.strip()
    if not text:
        return {}
    try:
        value = parse_json(text)
    except json.JSONDecodeError as exc:
        raise ArgumentError(f"Action Input is not valid JSON: {exc.msg} at char {exc.pos}") from exc
    if not isinstance(value, dict):
        raise ArgumentError("Action Input must be a JSON object of parameter names to values")
    return value


def coerce(value: Any, param: Parameter) -> Any:
    """``value`` as the parameter's type; numeric/boolean strings are converted, else an error."""
    kind = param.type
    if value_has_type(value, kind):
        result = value
    elif kind == "integer" and isinstance(value, float) and value.is_integer():
        result = int(value)
    elif kind in ("integer", "number") and isinstance(value, str):
        result = _parse_number(value, kind, param)
    elif kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        result = value.lower() == "true"
    elif kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        result = str(value)
    elif kind in ("array", "object") and isinstance(value, str):
        result = _parse_json_text(value, kind, param)
    else:
        raise ArgumentError(
            f"parameter '{param.doc_name}' must be {_article(kind)}, got {json.dumps(value)}"
        )
    enum = param.schema.get("enum")
    if isinstance(enum, list) and enum and result not in enum:
        allowed = ", ".join(json.dumps(v) for v in enum)
        raise ArgumentError(f"parameter '{param.doc_name}' must be one of {allowed}")
    return result


def _parse_number(text: str, kind: str, param: Parameter) -> int | float:
    try:
        return int(text.strip()) if kind == "integer" else float(text.strip())
    except ValueError:
        raise ArgumentError(
            f"parameter '{param.doc_name}' must be {_article(kind)}, got {json.dumps(text)}"
        ) from None


def _parse_json_text(text: str, kind: str, param: Parameter) -> Any:
    try:
        value = parse_json(text)
    except json.JSONDecodeError:
        value = None
    if value_has_type(value, kind):
        return value
    if kind == "array":
        return [part.strip() for part in text.split(",") if part.strip()]
    raise ArgumentError(f"parameter '{param.doc_name}' must be a JSON object")


def _article(kind: str) -> str:
    return {"integer": "an integer", "array": "an array", "object": "an object"}.get(
        kind, f"a {kind}"
    )


def bind_arguments(api: Api, arguments: dict[str, Any]) -> BoundArguments:
    """Match argument names (α-UMi names or real names) to parameters and check them."""
    by_name: dict[str, Parameter] = {}
    for param in api.parameters:
        by_name.setdefault(param.doc_name, param)
        by_name.setdefault(param.name, param)
    bound = BoundArguments()
    given: set[str] = set()
    for key, value in arguments.items():
        found = by_name.get(key)
        if found is None:
            known = ", ".join(p.doc_name for p in api.parameters) or "none"
            raise ArgumentError(f"unknown parameter '{key}' (parameters: {known})")
        param = found
        if value is None and not param.required:
            continue
        getattr(bound, param.location)[param.name] = coerce(value, param)
        given.add(param.name)
    for param in api.parameters:
        if param.required and param.name not in given:
            raise ArgumentError(f"missing required parameter '{param.doc_name}'")
    return bound
