"""The stdio transport: the MCP server as umi's child process, which never outlives umi.

Unlike the SDK's ``stdio_client`` it gives the child exactly the environment it is handed (no
``HOME``/``USER``/``SHELL`` added), keeps the child's pid and the tail of its stderr, and makes
sure the child dies with umi:

- ``close``: stdin closed, a grace period, then SIGTERM and SIGKILL to its process group (the
  child leads a new session, so its own children go too);
- interpreter exit (an exception nobody caught, ``sys.exit``): an ``atexit`` hook kills every
  group still running;
- umi killed (SIGKILL, OOM): on Linux the child is started through a tiny trampoline that sets
  ``PR_SET_PDEATHSIG`` before ``exec``, so the kernel kills it; elsewhere it sees EOF on stdin.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import mcp.types as types
from anyio.abc import Process
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage

log = logging.getLogger(__name__)

#: Seconds a server has to exit after its stdin closes, then after SIGTERM.
EXIT_GRACE = 2.0
TERM_GRACE = 1.0
#: A message line longer than this ends the connection (a hostile or broken server).
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
#: Lines of the child's stderr kept for error messages.
STDERR_LINES = 20

# Sets PR_SET_PDEATHSIG (1) to SIGKILL (9), checks the parent did not die first, and execs the
# server. Python adds LC_CTYPE to its own environment in a C locale (PEP 538): dropped unless
# the caller gave it (argv[2] == "1"), so the server's environment stays exactly as handed.
_TRAMPOLINE = (
    "import ctypes,os,sys\n"
    "ctypes.CDLL(None).prctl(1, 9)\n"
    "os.getppid() == int(sys.argv[1]) or os._exit(70)\n"
    "env = dict(os.environ)\n"
    "sys.argv[2] == '1' or env.pop('LC_CTYPE', None)\n"
    "os.execvpe(sys.argv[3], sys.argv[3:], env)\n"
)

_live: set[Process] = set()
_live_lock = threading.Lock()


@dataclass
class ChildInfo:
    """What the toolset may read about the running child (any thread)."""

    pid: int
    stderr_tail: deque[str] = field(default_factory=lambda: deque(maxlen=STDERR_LINES))
    fault: str | None = None  # why the transport gave up on the child, when it did
    process: Process | None = None

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.returncode

    def last_words(self, limit: int = 300) -> str:
        """The end of the child's stderr, one line, at most ``limit`` characters."""
        text = " | ".join(line for line in self.stderr_tail if line.strip())
        return text[-limit:]


Streams = tuple[
    MemoryObjectReceiveStream[SessionMessage | Exception], MemoryObjectSendStream[SessionMessage]
]


def launch_argv(command: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """The argv that starts ``command``: through the death-signal trampoline on Linux."""
    if not sys.platform.startswith("linux") or not sys.executable:
        return list(command)
    keep_ctype = "1" if "LC_CTYPE" in env else "0"
    return [sys.executable, "-I", "-S", "-c", _TRAMPOLINE, str(os.getpid()), keep_ctype, *command]


@asynccontextmanager
async def open_stdio(
    command: Sequence[str], env: Mapping[str, str], cwd: Path | None, info: list[ChildInfo]
) -> AsyncIterator[Streams]:
    """Start the server and yield the session's streams; leaving stops the whole group.

    The child's :class:`ChildInfo` is appended to ``info`` as soon as it exists.
    """
    process = await anyio.open_process(
        launch_argv(command, env), env=dict(env), cwd=cwd, start_new_session=True
    )
    child = ChildInfo(pid=process.pid, process=process)
    info.append(child)
    with _live_lock:
        _live.add(process)
    to_session, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, from_session = anyio.create_memory_object_stream[SessionMessage](0)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_pump_stdout, process, to_session, child)
            group.start_soon(_pump_stdin, process, from_session, to_session)
            group.start_soon(_pump_stderr, process, child)
            group.start_soon(_watch_exit, process, to_session)
            try:
                yield read_stream, write_stream
            finally:
                with anyio.CancelScope(shield=True):
                    await stop_process(process)
                group.cancel_scope.cancel()
    finally:
        with _live_lock:
            _live.discard(process)
        for stream in (to_session, read_stream, write_stream, from_session):
            stream.close()
        _close_transport(process)


async def stop_process(process: Process) -> None:
    """Close stdin, wait, SIGTERM then SIGKILL the process group; every wait is bounded."""
    if process.stdin is not None:
        with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            await process.stdin.aclose()
    if not await _exited(process, EXIT_GRACE):
        _signal_group(process.pid, signal.SIGTERM)
        if not await _exited(process, TERM_GRACE):
            _signal_group(process.pid, signal.SIGKILL)
            if not await _exited(process, TERM_GRACE):
                log.warning("MCP server %d survives SIGKILL; abandoning it", process.pid)
                return
    # The leader is gone and reaped; helpers it left in its group go too.
    _signal_group(process.pid, signal.SIGKILL)


def kill_child(child: ChildInfo) -> None:
    """SIGKILL the child's process group if its leader still runs (not yet reaped)."""
    if child.process is not None and child.process.returncode is None:
        _signal_group(child.pid, signal.SIGKILL)


def kill_all_children() -> None:
    """SIGKILL every live child's process group (the ``atexit`` hook; also safe to call)."""
    with _live_lock:
        live = [process for process in _live if process.returncode is None]
    for process in live:
        _signal_group(process.pid, signal.SIGKILL)


atexit.register(kill_all_children)


def _close_transport(process: Process) -> None:
    # The asyncio subprocess transport (behind anyio's wrapper; nothing public reaches it)
    # would otherwise be closed by the garbage collector, possibly after its loop is gone.
    transport = getattr(getattr(process, "_process", None), "_transport", None)
    close = getattr(transport, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):
            close()


def _signal_group(pgid: int, signum: int) -> None:
    kill = getattr(os, "killpg", os.kill)  # no process groups on Windows: the child alone
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        kill(pgid, signum)


async def _exited(process: Process, timeout: float) -> bool:
    # Polls returncode: process.wait() also waits for EOF on pipes a grandchild may hold.
    with anyio.move_on_after(timeout):
        while process.returncode is None:
            await anyio.sleep(0.01)
    return process.returncode is not None


async def _pump_stdout(
    process: Process, sink: MemoryObjectSendStream[SessionMessage | Exception], child: ChildInfo
) -> None:
    assert process.stdout is not None
    buffer = bytearray()
    try:
        async with sink:
            async for chunk in process.stdout:
                buffer.extend(chunk)
                while (end := buffer.find(b"\n")) >= 0:
                    line = bytes(buffer[:end])
                    del buffer[: end + 1]
                    message = _parse(line)
                    if message is not None:
                        await sink.send(message)
                if len(buffer) > MAX_MESSAGE_BYTES:
                    child.fault = f"the server sent a message over {MAX_MESSAGE_BYTES} bytes"
                    log.warning("MCP server %d: %s; disconnecting", process.pid, child.fault)
                    return
    except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
        pass  # our own shutdown, or the session is gone


def _parse(line: bytes) -> SessionMessage | None:
    if not line.strip():
        return None
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(line, by_name=False))
    except ValueError:
        # Stray output (a print in the server) is not fatal: the call it may have broken ends
        # by its timeout.
        log.warning("MCP server wrote a line that is not JSON-RPC: %r", line[:200])
        return None


async def _pump_stdin(
    process: Process,
    source: MemoryObjectReceiveStream[SessionMessage],
    to_session: MemoryObjectSendStream[SessionMessage | Exception],
) -> None:
    assert process.stdin is not None
    try:
        async with source:
            async for message in source:
                data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                await process.stdin.send(data.encode("utf-8") + b"\n")
    except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
        # The server stopped reading: end the session's reads so no request waits forever.
        await to_session.aclose()


async def _pump_stderr(process: Process, child: ChildInfo) -> None:
    assert process.stderr is not None
    partial = ""
    with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
        async for chunk in process.stderr:
            *lines, partial = (partial + chunk.decode("utf-8", errors="replace")).split("\n")
            partial = partial[-2000:]
            for line in lines:
                child.stderr_tail.append(line[:500])
                log.debug("MCP server %d stderr: %s", process.pid, line[:500])


async def _watch_exit(
    process: Process, to_session: MemoryObjectSendStream[SessionMessage | Exception]
) -> None:
    """When the child dies, end the session's reads even if a grandchild keeps stdout open."""
    while process.returncode is None:
        await anyio.sleep(0.05)
    await anyio.sleep(0.2)  # let the stdout pump deliver what the child wrote last
    await to_session.aclose()
