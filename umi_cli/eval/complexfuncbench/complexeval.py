"""The rules and observation texts of ComplexEval, ComplexFuncBench's own evaluator.

Taken from THUDM/ComplexFuncBench (read in the fork zhendong-nexusflow/ComplexFuncBench):
``runner/base_runner.py`` answers a call that matches no reference call with
``{"api_status": true, "content": "There is a problem with your api call, please double-check
for possible problems."}``; ``utils/compare_method.py`` (``CompareFCBase.format_check``) answers
an ill-formed call with ``{"error": ...}`` naming the problem, and treats six location look-ups
as "free" functions: always answered, optional for success. The observation is the JSON text of
that object (``json.dumps(..., ensure_ascii=False)``), as the runners send it to the model.

One deliberate difference: ComplexEval's type check is strict, ours accepts a numeric string
for a number and a number for a string (the data itself writes ``"48.14137"`` for a number
parameter, and the matcher compares ``"5"`` and ``5`` as equal).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from umi_cli.tools.toolset import ToolDef

GENERAL_ERROR = "There is a problem with your api call, please double-check for possible problems."

#: ComplexEval's ``free_function_list``: look-ups answered whenever called, optional for success.
LOOKUP_FUNCTIONS = frozenset(
    {
        "Location_to_Lat_Long",
        "Search_Hotel_Destination",
        "Search_Attraction_Location",
        "Search_Car_Location",
        "Search_Flight_Location",
        "Taxi_Search_Location",
    }
)

_TYPE_WORDS = {"string": "a string", "number": "a number", "boolean": "a boolean"}


def observation_text(payload: Any) -> str:
    """The observation the model reads: the payload's JSON text, non-ASCII kept."""
    return json.dumps(payload, ensure_ascii=False)


def unmatched_call_payload() -> dict[str, Any]:
    """The answer to a well-formed call that matches no expected reference call."""
    return {"api_status": True, "content": GENERAL_ERROR}


def _set_text(names: Iterable[str]) -> str:
    """Python's repr of a set of names, in sorted order so it is stable."""
    return "{" + ", ".join(repr(name) for name in sorted(names)) + "}"


def undefined_function(name: str) -> str:
    return f"Function {name} is not defined in the function list."


def missing_parameters(name: str, required: list[str], given: list[str]) -> str:
    missing = set(required) - set(given)
    return (
        f"Function {name} requires parameters {required}, but {given} "
        f"do not provide {_set_text(missing)}"
    )


def unknown_parameters(name: str, unknown: Iterable[str]) -> str:
    return f"Function {name} does not have parameters {_set_text(unknown)}"


def wrong_type(parameter: str, name: str, kind: str, value: Any) -> str:
    word = _TYPE_WORDS.get(kind, f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}")
    return (
        f"Parameter {parameter} of function {name} should be {word}, but {type(value)} is provided."
    )


def not_an_object(name: str) -> str:
    """Ours (ComplexEval stops the run on undecodable arguments): arguments that are no object."""
    return f"Function {name} arguments are not a JSON object."


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return math.isfinite(value)
    if isinstance(value, str):
        try:
            return math.isfinite(float(value.strip()))
        except ValueError:
            return False
    return False


def fits_type(kind: str, value: Any) -> bool:
    """Whether ``value`` passes the type check for a parameter of JSON Schema type ``kind``."""
    if kind == "string":
        return isinstance(value, str) or _is_number(value)
    if kind in ("number", "integer"):
        return _is_number(value)
    if kind == "boolean":
        return isinstance(value, bool) or str(value).strip().lower() in ("true", "false")
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def format_error(tool: ToolDef, arguments: Mapping[str, Any]) -> str | None:
    """ComplexEval's format check of a call: the error text, or None when it is well formed.

    Checked in its order: required parameters present, no unknown parameters, types.
    """
    properties: dict[str, Any] = tool.parameters.get("properties", {})
    required = [str(name) for name in tool.parameters.get("required", [])]
    given = list(arguments)
    if not set(required).issubset(given):
        return missing_parameters(tool.name, required, given)
    unknown = [name for name in given if name not in properties]
    if unknown:
        return unknown_parameters(tool.name, unknown)
    for name, value in arguments.items():
        kind = str(properties[name].get("type", "string"))
        if not fits_type(kind, value):
            return wrong_type(name, tool.name, kind, value)
    return None


def is_optional(name: str, arguments: Mapping[str, Any]) -> bool:
    """Whether ComplexEval drops this reference call from what success needs: a look-up, or
    ``Search_Hotels`` with ``search_type`` ``hotel`` (``return_result`` in base_runner.py)."""
    if name in LOOKUP_FUNCTIONS:
        return True
    return name == "Search_Hotels" and arguments.get("search_type") == "hotel"
