"""Read YAML keeping the line of every key and item, so problems can name ``file:line``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from umi_cli.inputs import StrictYamlLoader

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

#: A position in the document: keys (str) and list indices (int) from the root.
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec file: ``file:line: field: message``."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


@dataclass
class YamlSource:
    """A parsed YAML document plus the line (1-based) where each field path starts."""

    file: str
    data: Any = None
    lines: dict[FieldPath, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: FieldPath) -> int | None:
        """The line of ``path``, else of its nearest ancestor that has one."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


def format_field(path: FieldPath) -> str:
    """``("apis", 0, "path")`` -> ``apis[0].path``; the root is ``(file)``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        name = str(part) if _PLAIN_KEY.match(str(part)) else json.dumps(str(part))
        text += f".{name}" if text else name
    return text or "(file)"


def read_yaml(path: Path, *, text: str | None = None) -> YamlSource:
    """Parse ``path`` (or ``text``); syntax errors and duplicate keys become problems."""
    source = YamlSource(file=str(path))
    try:
        if text is None:
            text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        source.problems.append(
            Problem(source.file, None, "(file)", f"cannot read: {exc} (check the path)")
        )
        return source
    loader: StrictYamlLoader | None = None
    try:
        loader = StrictYamlLoader(text)
        node = loader.get_single_node()
        if node is None:
            source.problems.append(
                Problem(source.file, 1, "(file)", "the file is empty (write a tool spec mapping)")
            )
            return source
        _walk(node, (), source)
        source.data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = exc.problem or exc.context or "invalid YAML"
        source.problems.append(
            Problem(source.file, line, "(yaml)", f"syntax error: {reason} (fix the YAML syntax)")
        )
        source.data = None
    except yaml.YAMLError as exc:  # e.g. a control character the reader refuses
        reason = " ".join(str(exc).split())
        source.problems.append(
            Problem(source.file, None, "(yaml)", f"syntax error: {reason} (fix the YAML syntax)")
        )
    finally:
        if loader is not None:
            loader.dispose()
    return source


def _walk(node: yaml.Node, path: FieldPath, source: YamlSource) -> None:
    source.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            child = (*path, key)
            if key in seen:
                source.problems.append(
                    Problem(
                        source.file,
                        key_node.start_mark.line + 1,
                        format_field(child),
                        "duplicate key (keep one of them)",
                    )
                )
                continue
            seen.add(key)
            source.lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), source)
