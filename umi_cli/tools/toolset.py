"""The Toolset seam: what any source of tools gives the agent, whatever carries the calls.

A :class:`Toolset` lists :class:`ToolDef` values (a name the models use, the service it belongs
to, a description, a JSON Schema of the arguments) and runs calls by name, returning a
:class:`ToolResult` that never raises out: every failure is an observation with a kind.
YAML/HTTP specs are the first toolset (``umi_cli.tools.http``); MCP servers and benchmark replay
servers are others. :class:`~umi_cli.tools.toolbox.Toolbox` combines toolsets and is the only
source of caller grammars and α-UMi documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

#: Why a call failed. ``arguments``: the caller's fault (unknown API, bad or missing
#: arguments); ``unavailable``: the service could not be reached or rate-limited us after
#: retries; ``server``: it failed on its side (5xx, a broken connection mid-answer);
#: ``timeout``: no whole answer in time; ``client``: it refused the request (4xx);
#: ``response``: an answer umi cannot read; ``refused``: umi refused to send it (another
#: origin, a missing key).
FailureKind = Literal[
    "arguments", "unavailable", "server", "timeout", "client", "response", "refused"
]

#: Failures after which an API is not offered again in the attempt (the service is down).
SERVICE_DOWN: frozenset[str] = frozenset({"unavailable", "server"})


@dataclass(frozen=True)
class ToolDef:
    """One callable API as the models see it.

    ``parameters`` is a JSON Schema object (``properties``, ``required``, ``enum`` values) keyed
    by the argument names the models write. ``document`` is the α-UMi tool dict when the toolset
    renders its own (HTTP specs keep ToolBench's exact text); otherwise the toolbox renders one
    from the other fields.
    """

    name: str
    service: str
    description: str
    parameters: dict[str, Any]
    document: dict[str, Any] | None = None


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one call; ``text`` is the observation exactly as the planner sees it.

    ``status`` is the HTTP status where there was one; ``detail`` carries toolset-specific data
    (never secrets).
    """

    name: str
    ok: bool
    text: str
    failure: FailureKind | None = None
    status: int | None = None
    size: int = 0
    seconds: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def service_down(self) -> bool:
        """A failure the service caused, after retries (it will not be offered again)."""
        return not self.ok and self.failure in SERVICE_DOWN


@runtime_checkable
class Toolset(Protocol):
    """A source of tools. ``call`` never raises; ``close`` frees clients and subprocesses."""

    @property
    def name(self) -> str: ...

    def tools(self) -> list[ToolDef]: ...

    def call(self, name: str, arguments: dict[str, Any] | str | None) -> ToolResult: ...

    def close(self) -> None: ...
