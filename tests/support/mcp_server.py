"""A stdio MCP server (the SDK's MCPServer, formerly FastMCP) with tools that exercise umi's client.

Run as ``python -m support.mcp_server`` with ``tests/`` as the working directory;
:func:`server_source` gives the matching umi source dict (service ``testsrv``).

Tools: ``echo`` (required ``text``, optional ``times`` and ``shout``), ``paint`` (an enum
``color``), ``fail`` (``isError``), ``nap`` (sleeps ``seconds``), ``crash`` (``os._exit``),
``environment`` (the server's environment), ``whoami`` (its pid), ``weather`` (structured
content), ``refuse`` (a JSON-RPC error; ``code`` chooses it).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError

TESTS_DIR = Path(__file__).resolve().parents[1]

server = MCPServer("umi-test-server", log_level="WARNING")


@server.tool()
def echo(text: str, times: int = 1, shout: bool = False) -> str:
    """Repeat a text, optionally in capitals."""
    out = " ".join([text] * times)
    return out.upper() if shout else out


@server.tool()
def paint(color: Literal["red", "green", "blue"], shade: str = "plain") -> str:
    """Paint the wall in one of three colours."""
    return f"painted {color} ({shade})"


@server.tool()
def fail(message: str = "it broke") -> str:
    """Always fails with the given message (an isError result)."""
    raise ToolError(message)


@server.tool()
async def nap(seconds: float) -> str:
    """Sleep, then answer."""
    import anyio

    await anyio.sleep(seconds)
    return f"slept {seconds}"


@server.tool()
def crash(code: int = 1) -> str:
    """Kill the server process on the spot."""
    sys.stderr.write("crashing on purpose\n")
    sys.stderr.flush()
    os._exit(code)


@server.tool()
def environment() -> dict[str, str]:
    """The server's whole environment."""
    return dict(os.environ)


@server.tool()
def whoami() -> dict[str, Any]:
    """The server's pid and when it answered."""
    return {"pid": os.getpid(), "time": time.time()}


@server.tool()
def weather(city: str) -> dict[str, Any]:
    """A fixed reading (structured content)."""
    return {"city": city, "celsius": 21.5, "sky": "clear"}


@server.tool()
def refuse(code: int = -32603) -> str:
    """Answer with a JSON-RPC error instead of a result."""
    raise MCPError(code=code, message=f"refused with {code}")


def server_source(name: str = "testsrv", **mcp: Any) -> dict[str, Any]:
    """The umi source dict that starts this server (extra ``mcp`` fields override)."""
    spec: dict[str, Any] = {
        "command": [sys.executable, "-m", "support.mcp_server"],
        "cwd": str(TESTS_DIR),
        "start_timeout": 20,
        "call_timeout": 10,
    }
    spec.update(mcp)
    return {"name": name, "mcp": spec}


if __name__ == "__main__":
    server.run()
