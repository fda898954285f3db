"""Reading and checking MCP source files: every problem is ``file:line: field: message (fix)``.

The format is in :mod:`umi_cli.tools.mcp.source`; lines come from
:mod:`umi_cli.tools.http.yaml_source`, so a dict (no file) gives problems without lines.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from umi_cli.tools.http.yaml_source import FieldPath, Problem, YamlSource, format_field, read_yaml
from umi_cli.tools.mcp.source import (
    DEFAULT_CALL_TIMEOUT,
    DEFAULT_START_TIMEOUT,
    REFERENCE,
    HttpTarget,
    McpSource,
    StdioTarget,
)
from umi_cli.tools.naming import standardize

_TOP_KEYS = ("name", "description", "mcp")
_STDIO_KEYS = ("command", "env", "cwd")
_HTTP_KEYS = ("url", "headers", "headers_env")
_COMMON_KEYS = ("start_timeout", "call_timeout", "include", "exclude")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def load_source(path: Path) -> tuple[McpSource | None, list[Problem]]:
    """Read and check an MCP source file; the source is None when there are problems."""
    document = read_yaml(path)
    if document.problems:
        return None, list(document.problems)
    return parse_source(document.data, document=document, base_dir=path.resolve().parent)


def parse_source(
    data: Any,
    *,
    file: str = "(inline)",
    document: YamlSource | None = None,
    base_dir: Path | None = None,
) -> tuple[McpSource | None, list[Problem]]:
    """Check ``data`` (a parsed file or a dict) and build the source; every problem is listed.

    ``base_dir`` anchors a relative ``cwd`` (default: the current directory).
    """
    checker = _Checker(document or YamlSource(file=file), base_dir or Path.cwd())
    source = checker.source(data)
    return (source if not checker.problems else None), checker.problems


class _Checker:
    def __init__(self, document: YamlSource, base_dir: Path) -> None:
        self.document = document
        self.base_dir = base_dir
        self.problems: list[Problem] = []

    def problem(self, path: FieldPath, message: str) -> None:
        line = self.document.line_of(path)
        self.problems.append(Problem(self.document.file, line, format_field(path), message))

    def source(self, data: Any) -> McpSource | None:
        if not isinstance(data, dict):
            self.problem((), "must be a mapping with name and mcp (see the MCP example)")
            return None
        self.unknown_keys(data, (), _TOP_KEYS)
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            self.problem(("name",), "required, a non-empty string (add name: my_server)")
        elif not standardize(name):
            self.problem(("name",), "has no letters or digits (use a name like airline)")
        description = data.get("description", "")
        if not isinstance(description, str):
            self.problem(("description",), "must be a string (quote it)")
        spec = data.get("mcp")
        if not isinstance(spec, dict):
            self.problem(("mcp",), "must be a mapping with command (stdio) or url (HTTP)")
            return None
        target = self.target(spec)
        start = self.seconds(spec, "start_timeout", DEFAULT_START_TIMEOUT)
        call = self.seconds(spec, "call_timeout", DEFAULT_CALL_TIMEOUT)
        include = self.names(spec, "include")
        exclude = self.names(spec, "exclude") or ()
        if target is None or self.problems:
            return None
        return McpSource(
            name=str(name).strip(),
            target=target,
            description=str(description).strip(),
            start_timeout=start,
            call_timeout=call,
            include=include,
            exclude=exclude,
            file=self.document.file,
        )

    def target(self, spec: dict[str, Any]) -> StdioTarget | HttpTarget | None:
        if ("command" in spec) == ("url" in spec):
            self.problem(("mcp",), "give either command (stdio) or url (HTTP) (keep one of them)")
            return None
        if "command" in spec:
            self.unknown_keys(spec, ("mcp",), _STDIO_KEYS + _COMMON_KEYS)
            return self.stdio(spec)
        self.unknown_keys(spec, ("mcp",), _HTTP_KEYS + _COMMON_KEYS)
        return self.http(spec)

    def stdio(self, spec: dict[str, Any]) -> StdioTarget | None:
        command = spec["command"]
        if isinstance(command, str):
            command = [command]
        if (
            not isinstance(command, list)
            or not command
            or not all(isinstance(part, str | int | float) for part in command)
            or not str(command[0]).strip()
        ):
            fix = "write command: [python, -m, server]"
            self.problem(("mcp", "command"), f"must be a list of strings ({fix})")
            return None
        env = self.mapping(spec, "env", key_pattern=_ENV_NAME, key_hint="an environment name")
        cwd: Path | None = None
        if "cwd" in spec:
            if not isinstance(spec["cwd"], str) or not spec["cwd"].strip():
                self.problem(("mcp", "cwd"), "must be a directory path (write cwd: .)")
            else:
                cwd = (self.base_dir / Path(spec["cwd"]).expanduser()).resolve()
                if not cwd.is_dir():
                    self.problem(("mcp", "cwd"), f"{cwd} is not a directory (fix the path)")
        return StdioTarget(tuple(str(part) for part in command), env, cwd)

    def http(self, spec: dict[str, Any]) -> HttpTarget | None:
        url = spec["url"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            self.problem(
                ("mcp", "url"), "must be an http(s) URL (write url: http://127.0.0.1:8931/mcp)"
            )
            return None
        headers = self.mapping(spec, "headers", key_pattern=_HEADER_NAME, key_hint="a header name")
        headers_env = self.mapping(
            spec, "headers_env", key_pattern=_HEADER_NAME, key_hint="a header name"
        )
        for header, variable in headers_env.items():
            if not _ENV_NAME.match(variable):
                self.problem(
                    ("mcp", "headers_env", header),
                    "must name an environment variable (write Authorization: MY_TOKEN)",
                )
        return HttpTarget(str(url), headers, headers_env)

    def mapping(
        self, spec: dict[str, Any], key: str, *, key_pattern: re.Pattern[str], key_hint: str
    ) -> dict[str, str]:
        value = spec.get(key, {})
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(("mcp", key), f"must be a mapping (write {key}: {{NAME: value}})")
            return {}
        result: dict[str, str] = {}
        for name, item in value.items():
            path: FieldPath = ("mcp", key, str(name))
            if not isinstance(name, str) or not key_pattern.match(name):
                self.problem(path, f"is not {key_hint} (rename it)")
            elif isinstance(item, bool) or not isinstance(item, str | int | float):
                self.problem(path, "must be a string (quote the value)")
            elif "${" in REFERENCE.sub("", str(item)):
                self.problem(path, "has a malformed ${NAME} reference (write ${NAME}, or $${)")
            else:
                result[name] = str(item)
        return result

    def seconds(self, spec: dict[str, Any], key: str, default: float) -> float:
        value = spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
            fix = f"e.g. {key}: {default:g}"
            self.problem(("mcp", key), f"must be seconds between 0 and 3600 ({fix})")
            return default
        return float(value)

    def names(self, spec: dict[str, Any], key: str) -> tuple[str, ...] | None:
        if key not in spec:
            return None
        value = spec[key]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problem(("mcp", key), f"must be a list of MCP tool names (write {key}: [a, b])")
            return None
        return tuple(value)

    def unknown_keys(self, data: dict[Any, Any], path: FieldPath, known: tuple[str, ...]) -> None:
        for key in data:
            if key not in known:
                fix = f"remove it; known: {', '.join(known)}"
                self.problem((*path, str(key)), f"unknown field ({fix})")

