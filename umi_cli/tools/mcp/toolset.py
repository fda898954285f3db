""":class:`McpToolset`: one MCP server's tools behind umi's synchronous Toolset seam.

The SDK's asyncio client runs on a private event loop in a daemon thread
(:class:`~umi_cli.tools.mcp.loop.BackgroundLoop`); ``tools`` and ``call`` submit coroutines to
it and wait with timeouts, so umi's agent loop stays synchronous. The server starts on first use.
A call never raises: every outcome is a :class:`ToolResult` (kinds: :mod:`.results`). When the
connection is lost (the server crashed or closed its pipe) that call reports ``unavailable``
and the next one starts the server again, at most :data:`MAX_RESTARTS` times.
"""

from __future__ import annotations

import concurrent.futures
import copy
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import mcp.types as types
import pydantic
from mcp.shared.exceptions import MCPError

from umi_cli.secrets import redact
from umi_cli.tools.mcp import results
from umi_cli.tools.mcp.connection import BACKSTOP, Connection, McpUnavailable, connect, disconnect
from umi_cli.tools.mcp.loop import BackgroundLoop
from umi_cli.tools.mcp.source import McpSource
from umi_cli.tools.naming import api_document_name
from umi_cli.tools.toolset import FailureKind, ToolDef, ToolResult

log = logging.getLogger(__name__)

#: Times a lost server is started again in the toolset's life.
MAX_RESTARTS = 3


@dataclass(frozen=True)
class _Entry:
    remote: str  # the MCP tool name
    definition: ToolDef
    checker: results.ArgumentChecker


class McpToolset:
    """The tools of one MCP server (:class:`McpSource`); use as a context manager or close()."""

    def __init__(
        self,
        source: McpSource,
        *,
        environ: Mapping[str, str] | None = None,
        max_observation_chars: int = 1024,
    ) -> None:
        self.source = source
        self._environ = os.environ if environ is None else environ
        self._limit = max_observation_chars
        self._lock = threading.RLock()
        self._loop: BackgroundLoop | None = None
        self._connection: Connection | None = None
        self._entries: dict[str, _Entry] | None = None
        self._remote: dict[str, _Entry] = {}
        self._starts = 0
        self._start_failure: McpUnavailable | None = None
        self._closed = False

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def pid(self) -> int | None:
        """The stdio server's pid while one runs (diagnostics, tests)."""
        connection = self._connection
        child = connection.child if connection is not None else None
        return child.pid if child is not None and child.returncode is None else None

    def tools(self) -> list[ToolDef]:
        """The server's tools (it starts now if needed); raises :class:`McpUnavailable`."""
        self._ensure()
        assert self._entries is not None
        return [entry.definition for entry in self._entries.values()]

    def call(self, name: str, arguments: dict[str, Any] | str | None) -> ToolResult:
        """Call one API by its ToolDef name (or its MCP name); never raises."""
        started = time.perf_counter()
        try:
            return self._call(name, arguments, started)
        except Exception as exc:  # the seam's promise: a failure is an observation
            log.exception("MCP call %s of %s failed unexpectedly", name, self.name)
            return self._failure(name, "unavailable", f"{type(exc).__name__}: {exc}", started)

    def close(self) -> None:
        """End the session and stop the server (and its process group); idempotent."""
        with self._lock:
            self._closed = True
            connection, self._connection = self._connection, None
            loop, self._loop = self._loop, None
        if loop is not None:
            if connection is not None:
                disconnect(loop, connection)
            loop.stop()

    def __enter__(self) -> McpToolset:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _ensure(self) -> Connection:
        with self._lock:
            if self._closed:
                raise McpUnavailable(f"{self.name}: the MCP toolset is closed")
            live = self._connection
            if live is not None and not live.lost:
                return live
            failed = self._start_failure
            if failed is not None:
                raise McpUnavailable(str(failed), failure=failed.failure)
            if self._loop is None:
                self._loop = BackgroundLoop(f"umi-mcp-{self.name}")
            if live is not None:
                disconnect(self._loop, live)
                self._connection = None
                if self._starts > MAX_RESTARTS:
                    raise McpUnavailable(
                        f"{self.name}: the MCP server keeps stopping ({self._starts} starts); "
                        "not started again"
                    )
            self._starts += 1
            try:
                connection = connect(self._loop, self.source, self._environ)
            except McpUnavailable as exc:
                if self._entries is None:  # never started: the same would happen again
                    self._start_failure = exc
                raise
            if self._entries is None:
                self._index(connection.ready.result())
            self._connection = connection
            return connection

    def _index(self, tools: list[types.Tool]) -> None:
        entries: dict[str, _Entry] = {}
        for tool in tools:
            if not self.source.offers(tool.name):
                continue
            name = api_document_name(tool.name, self.name)
            if name in entries:
                log.warning(
                    "%s: MCP tools %s and %s are both named %s; %s is not offered",
                    self.name, entries[name].remote, tool.name, name, tool.name,
                )  # fmt: skip
                continue
            schema = copy.deepcopy(tool.input_schema) or {"type": "object", "properties": {}}
            description = " ".join((tool.description or tool.title or "").split())
            definition = ToolDef(name, self.name, description, schema)
            entries[name] = _Entry(tool.name, definition, results.ArgumentChecker(schema))
        self._entries = entries
        self._remote = {entry.remote: entry for entry in entries.values()}

    def _call(
        self, name: str, arguments: dict[str, Any] | str | None, started: float
    ) -> ToolResult:
        try:
            connection = self._ensure()
        except McpUnavailable as exc:
            return self._failure(name, exc.failure, str(exc), started)
        assert self._entries is not None and connection.session is not None
        entry = self._entries.get(name) or self._remote.get(name)
        if entry is None:
            known = ", ".join(sorted(self._entries)[:20])
            message = f"unknown API {name!r} of {self.name} (known: {known})"
            return self._failure(name, "arguments", message, started)
        try:
            values = results.parse_arguments(arguments)
            problem = entry.checker.problem(values)
        except results.ArgumentsRejected as exc:
            return self._failure(name, "arguments", str(exc), started)
        if problem is not None:
            return self._failure(name, "arguments", f"invalid arguments: {problem}", started)
        timeout = self.source.call_timeout
        coroutine = connection.session.call_tool(entry.remote, values, read_timeout_seconds=timeout)
        loop = self._loop
        if loop is None:
            coroutine.close()
            return self._failure(name, "unavailable", f"{self.name}: closed", started)
        try:
            answer = loop.run(coroutine, timeout + BACKSTOP)
        except MCPError as exc:
            return self._mcp_error(name, connection, exc, started)
        except (TimeoutError, concurrent.futures.TimeoutError):
            message = f"no answer from {self.name} within {timeout:g} s"
            return self._failure(name, "timeout", message, started)
        except concurrent.futures.CancelledError:
            message = f"{self.name}: closed during the call"
            return self._failure(name, "unavailable", message, started)
        except (pydantic.ValidationError, RuntimeError) as exc:
            message = f"the answer of {self.name} does not follow MCP: {_one_line(exc)}"
            return self._failure(name, "response", message, started)
        return self._result(name, entry, answer, started)

    def _mcp_error(
        self, name: str, connection: Connection, exc: MCPError, started: float
    ) -> ToolResult:
        kind = results.error_failure(exc.code)
        if exc.code == types.CONNECTION_CLOSED:
            connection.lost = True
            message = connection.loss()
        elif kind == "timeout":
            message = f"no answer from {self.name} within {self.source.call_timeout:g} s"
        else:
            message = f"{self.name} answered error {exc.code}: {_one_line(exc)}"
        return self._failure(name, kind, message, started, code=exc.code)

    def _result(
        self, name: str, entry: _Entry, answer: types.CallToolResult, started: float
    ) -> ToolResult:
        text = redact(results.observation_text(answer))
        failure = results.result_failure(answer) if answer.is_error else None
        return ToolResult(
            name=name,
            ok=not answer.is_error,
            text=results.cut(text, self._limit),
            failure=failure,
            size=len(text.encode("utf-8")),
            seconds=time.perf_counter() - started,
            detail={"mcp_tool": entry.remote},
        )

    def _failure(
        self, name: str, kind: FailureKind, message: str, started: float, **detail: Any
    ) -> ToolResult:
        log.info("MCP call %s failed (%s): %s", name, kind, redact(message))
        return ToolResult(
            name=name,
            ok=False,
            text=results.cut(results.error_observation(message), self._limit),
            failure=kind,
            seconds=time.perf_counter() - started,
            detail=detail,
        )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
