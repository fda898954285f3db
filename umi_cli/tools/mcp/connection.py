"""One live MCP session: started, held and stopped by a task on the toolset's private loop.

The SDK's transports and ``ClientSession`` are anyio context managers that must be entered and
left by the same task, so one *holder* task per connection enters them, initialises the session,
lists the tools, reports them through a thread-safe future and then waits for its stop event.
Calls are other tasks on the same loop using the held session.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import shutil
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp.types as types
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from umi_cli.errors import ConfigError, UmiError
from umi_cli.secrets import redact
from umi_cli.tools.mcp import stdio
from umi_cli.tools.mcp.loop import BackgroundLoop
from umi_cli.tools.mcp.source import HttpTarget, McpSource, StdioTarget
from umi_cli.tools.toolset import FailureKind

log = logging.getLogger(__name__)

#: Pages of ``tools/list`` read at most (a server that pages forever is cut off).
MAX_PAGES = 100
#: Extra seconds the synchronous side waits beyond the loop's own timeouts (a backstop).
BACKSTOP = 5.0
_STOP_WAIT = stdio.EXIT_GRACE + 2 * stdio.TERM_GRACE + 2.0


class McpUnavailable(UmiError):
    """The MCP server cannot be used: it does not start, or it stopped; one line with the fix."""

    def __init__(self, message: str, *, failure: FailureKind = "unavailable") -> None:
        super().__init__(redact(message))
        self.failure: FailureKind = failure


@dataclass(eq=False)
class Connection:
    """A session being started, live, or lost; ``session`` is set once it is ready."""

    source: McpSource
    ready: concurrent.futures.Future[list[types.Tool]] = field(
        default_factory=concurrent.futures.Future
    )
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    children: list[stdio.ChildInfo] = field(default_factory=list)
    session: ClientSession | None = None
    holder: concurrent.futures.Future[None] | None = None
    lost: bool = False

    @property
    def child(self) -> stdio.ChildInfo | None:
        return self.children[-1] if self.children else None

    def loss(self) -> str:
        """Why the connection ended, one line (exit code, fault, the end of stderr)."""
        child = self.child
        if child is None:
            target = self.source.target
            where = target.url if isinstance(target, HttpTarget) else "the MCP server"
            return f"{self.source.name}: {where} closed the connection or stopped answering"
        deadline = time.monotonic() + 0.5
        while child.returncode is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if child.fault:
            reason = child.fault
        elif child.returncode is not None:
            reason = f"the MCP server exited with code {child.returncode}"
        else:
            reason = "the MCP server closed its connection"
        words = child.last_words()
        return f"{self.source.name}: {reason}" + (f" (stderr: {words})" if words else "")


def connect(loop: BackgroundLoop, source: McpSource, environ: Mapping[str, str]) -> Connection:
    """Start a session (server, initialise, list tools) within ``start_timeout``.

    Raises :class:`McpUnavailable` (``failure`` ``refused`` for a missing variable).
    """
    try:
        transport = _transport_factory(source, environ)
    except ConfigError as exc:
        raise McpUnavailable(str(exc), failure="refused") from None
    connection = Connection(source)
    connection.holder = loop.spawn(_hold(connection, transport))
    try:
        connection.ready.result(source.start_timeout + BACKSTOP)
    except BaseException as exc:
        disconnect(loop, connection)
        if not isinstance(exc, Exception):
            raise
        raise McpUnavailable(_start_problem(connection, exc)) from None
    return connection


def disconnect(loop: BackgroundLoop, connection: Connection) -> None:
    """End the session and stop the server; bounded, idempotent."""
    connection.lost = True
    loop.call_soon(connection.stop.set)
    holder = connection.holder
    if holder is not None:
        try:
            holder.result(_STOP_WAIT)
        except concurrent.futures.TimeoutError:
            holder.cancel()
        except Exception as exc:  # already reported by the holder
            log.debug("MCP holder of %s ended with %r", connection.source.name, exc)
    for child in connection.children:
        stdio.kill_child(child)  # a no-op unless the holder could not stop it


async def list_all_tools(session: ClientSession) -> list[types.Tool]:
    """Every tool the server lists, following pagination cursors."""
    tools: list[types.Tool] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await session.list_tools(params=params)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools


Transport = Any  # a callable (the Connection) -> async context manager of the session's streams


def _transport_factory(source: McpSource, environ: Mapping[str, str]) -> Transport:
    target = source.target
    if isinstance(target, HttpTarget):
        headers = source.http_headers(environ)
        return lambda connection: _http(source, target.url, headers)
    assert isinstance(target, StdioTarget)
    env = source.child_environment(environ)
    command = [_executable(source, target, env["PATH"]), *target.command[1:]]
    return lambda connection: stdio.open_stdio(command, env, target.cwd, connection.children)


def _executable(source: McpSource, target: StdioTarget, path: str) -> str:
    program = target.command[0]
    if "/" in program:
        found = Path(target.cwd or Path.cwd()) / Path(program).expanduser()
        resolved = str(found) if found.is_file() else None
    else:
        resolved = shutil.which(program, path=path)
    if resolved is None:
        raise McpUnavailable(
            f"{source.file}: mcp.command: {program} not found (install it, or give its path)"
        )
    return resolved


@asynccontextmanager
async def _http(source: McpSource, url: str, headers: dict[str, str]) -> AsyncIterator[Any]:
    timeout = httpx2.Timeout(max(source.start_timeout, source.call_timeout), read=300.0)
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout) as client,
        streamable_http_client(url, http_client=client) as streams,
    ):
        yield streams


async def _hold(connection: Connection, transport: Transport) -> None:
    source = connection.source
    try:
        async with contextlib.AsyncExitStack() as stack:
            read, write = await stack.enter_async_context(transport(connection))
            session = await stack.enter_async_context(
                ClientSession(read, write, client_info=_client_info())
            )
            with anyio.fail_after(source.start_timeout):
                await session.initialize()
                tools = await list_all_tools(session)
            connection.session = session
            connection.ready.set_result(tools)
            await connection.stop.wait()
    except BaseException as exc:
        if not connection.ready.done():
            connection.ready.set_exception(
                exc if isinstance(exc, Exception) else McpUnavailable("start cancelled")
            )
        elif not connection.stop.is_set():
            log.info("MCP server %s: connection lost: %s", source.name, _leaf(exc))
        if not isinstance(exc, Exception):
            raise
    finally:
        connection.lost = True


def _start_problem(connection: Connection, exc: BaseException) -> str:
    source = connection.source
    leaf = _leaf(exc)
    if isinstance(leaf, McpUnavailable):
        return str(leaf)
    if isinstance(leaf, TimeoutError):
        reason = f"did not start within {source.start_timeout:g} s (raise mcp.start_timeout)"
    elif isinstance(leaf, httpx2.TransportError):
        reason = f"cannot connect: {_one_line(leaf)} (is the server running there?)"
    elif isinstance(leaf, OSError):
        reason = f"cannot start: {_one_line(leaf)} (check mcp.command and mcp.cwd)"
    else:
        reason = f"cannot start: {type(leaf).__name__}: {_one_line(leaf)} (is it an MCP server?)"
        child = connection.child
        if child is not None and (child.returncode is not None or child.fault):
            return connection.loss() + " while starting (run its command by hand to see why)"
    where = source.target.url if isinstance(source.target, HttpTarget) else "the MCP server"
    words = connection.child.last_words() if connection.child else ""
    return f"{source.name}: {where} {reason}" + (f" (stderr: {words})" if words else "")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _client_info() -> types.Implementation:
    import umi_cli

    return types.Implementation(name="umi", version=str(umi_cli.__version__))
