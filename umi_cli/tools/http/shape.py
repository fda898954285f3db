"""Shape a JSON response before it becomes an observation: keep a sub-tree, pick fields."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"\[(\*|-?\d+)\]|\.?([^.\[\]]+)")
_MISSING = object()


def parse_json_path(path: str) -> list[str | int]:
    """``"$.data[*].title"`` -> ``["data", "*", "title"]``; ``[n]`` gives an int index."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[str | int] = []
    for match in _TOKEN.finditer(text):
        index, key = match.groups()
        if index is not None:
            steps.append("*" if index == "*" else int(index))
        else:
            steps.append(key)
    return steps


def select(value: Any, steps: list[str | int]) -> Any:
    """Follow ``steps`` into ``value``; ``"*"`` maps over a list. Missing parts give None."""
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    if step == "*":
        if isinstance(value, list):
            return [select(item, rest) for item in value]
        if isinstance(value, dict):
            return [select(item, rest) for item in value.values()]
        return None
    if isinstance(step, int):
        if isinstance(value, list) and -len(value) <= step < len(value):
            return select(value[step], rest)
        return None
    if isinstance(value, dict) and step in value:
        return select(value[step], rest)
    if isinstance(value, list) and step.isdigit() and int(step) < len(value):
        return select(value[int(step)], rest)
    return None


def pick_fields(value: Any, fields: tuple[str, ...]) -> Any:
    """Keep only ``fields`` (dotted paths) of an object, or of each object in a list."""
    if isinstance(value, list):
        return [pick_fields(item, fields) for item in value]
    if not isinstance(value, dict):
        return value
    picked = {}
    for name in fields:
        found = select(value, parse_json_path(name))
        if found is not None:
            picked[name] = found
    return picked


def shape_response(value: Any, keep: str | None, fields: tuple[str, ...]) -> Any:
    """Apply the spec's ``response.keep`` then ``response.fields`` to a parsed JSON body."""
    if keep:
        value = select(value, parse_json_path(keep))
    if fields:
        value = pick_fields(value, fields)
    return value
