"""Parsing what comes from outside (API answers, users' files, flags): bounded, one error type.

Hostile inputs are small texts that expand into work: JSON nested thousands of levels deep (which
makes ``json`` and every recursive walk after it raise ``RecursionError``), and YAML whose
anchors and aliases expand to millions of nodes. :func:`parse_json` refuses JSON deeper than
:data:`MAX_JSON_DEPTH` with an ordinary ``json.JSONDecodeError``; :class:`StrictYamlLoader`
refuses anchors, aliases and nesting deeper than :data:`MAX_YAML_DEPTH` with an ordinary
``yaml.YAMLError`` that carries the line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError

from umi_cli.errors import UsageError

#: Deeper JSON is refused; umi's own recursive walks stay far from Python's recursion limit.
MAX_JSON_DEPTH = 128
#: Deeper YAML is refused (tool specs and catalogs need a dozen levels at most).
MAX_YAML_DEPTH = 64


def json_depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (iteratively: never recurses)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


class JsonTooDeep(json.JSONDecodeError):
    """Valid JSON, nested deeper than umi reads."""


def parse_json(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that also raises ``JSONDecodeError`` (:class:`JsonTooDeep`) for JSON
    nested deeper than ``max_depth``."""
    source = text if isinstance(text, str) else text.decode("utf-8", errors="replace")
    try:
        value = json.loads(source)
    except RecursionError:
        raise JsonTooDeep(f"nested deeper than {max_depth} levels", source, 0) from None
    if json_depth(value) > max_depth:
        raise JsonTooDeep(f"nested deeper than {max_depth} levels", source, 0)
    return value


class StrictYamlLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` without anchors and aliases, and with a nesting limit."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise ComposerError(
                None, None, "aliases (*name) are not supported (write the value out)",
                event.start_mark,
            )  # fmt: skip
        if getattr(event, "anchor", None) is not None:
            raise ComposerError(
                None, None, "anchors (&name) are not supported (write the value out)",
                event.start_mark,
            )  # fmt: skip
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise ComposerError(
                    None, None, f"nested deeper than {MAX_YAML_DEPTH} levels", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def parse_yaml(text: str) -> Any:
    """``yaml.safe_load`` through :class:`StrictYamlLoader`."""
    return yaml.load(text, Loader=StrictYamlLoader)


def read_json_lines(path: Path, kind: str = "task file") -> Iterator[tuple[str, int, Any]]:
    """``(where, line number, value)`` for each non-blank line of a JSON Lines file.

    A missing or unreadable file, or a line that is not JSON, is a :class:`UsageError` naming
    ``file`` or ``file:line``; ``kind`` names the file in those messages.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such {kind}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the {kind}: {exc}") from None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            value = parse_json(raw)
        except ValueError as exc:
            raise UsageError(f"{where}: not valid JSON ({exc.args[0]})") from None
        except RecursionError:
            raise UsageError(f"{where}: not valid JSON (nested too deeply)") from None
        yield where, number, value
