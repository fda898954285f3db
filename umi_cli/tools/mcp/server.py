"""Serve any :class:`~umi_cli.tools.toolset.Toolset` as an MCP server (stdio or streamable HTTP).

Each ToolDef becomes an MCP tool (name, description, ``inputSchema`` = its parameters). A call
runs the toolset's own ``call`` in a worker thread (it is synchronous, and it already enforces
origins, timeouts and masks keys); the observation is the text content, a failure is
``isError`` with its kind in ``_meta["umi/failure"]``, which :class:`McpToolset` reads back.
"""

from __future__ import annotations

import socket
import sys
from typing import Any, TextIO

import anyio
import anyio.to_thread
import mcp.types as types
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server

from umi_cli.secrets import redact
from umi_cli.tools.mcp.results import FAILURE_META_KEY
from umi_cli.tools.toolset import ToolDef, Toolset

#: The only address the HTTP server listens on.
HTTP_HOST = "127.0.0.1"
HTTP_PATH = "/mcp"


def mcp_tool(definition: ToolDef) -> types.Tool:
    """The MCP declaration of one ToolDef (``type: object`` added when the schema lacks it)."""
    schema = dict(definition.parameters)
    schema.setdefault("type", "object")
    if schema["type"] == "object":
        schema.setdefault("properties", {})
    return types.Tool(name=definition.name, description=definition.description, input_schema=schema)


def build_server(toolset: Toolset, *, name: str | None = None) -> Server[Any]:
    """A low-level SDK server answering ``tools/list`` and ``tools/call`` from ``toolset``."""
    declared = [mcp_tool(definition) for definition in toolset.tools()]

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=declared)

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        arguments = dict(params.arguments or {})
        result = await anyio.to_thread.run_sync(toolset.call, params.name, arguments)
        meta = {FAILURE_META_KEY: result.failure} if result.failure else None
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=redact(result.text))],
            is_error=not result.ok,
            _meta=meta,
        )

    return Server(
        name or f"umi-{toolset.name}",
        version=_version(),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def serve(
    toolset: Toolset,
    *,
    http_port: int | None = None,
    name: str | None = None,
    announce: TextIO | None = None,
) -> None:
    """Serve ``toolset`` until stdin closes (stdio, the default) or until interrupted (HTTP on
    ``127.0.0.1:http_port``; port 0 picks a free one). With HTTP, one line naming the URL goes
    to ``announce`` (default stderr) once the socket listens. The caller closes the toolset.
    """
    server = build_server(toolset, name=name)
    if http_port is None:
        anyio.run(_serve_stdio, server)
    else:
        anyio.run(_serve_http, server, http_port, announce or sys.stderr)


async def _serve_stdio(server: Server[Any]) -> None:
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


async def _serve_http(server: Server[Any], port: int, announce: TextIO) -> None:
    import uvicorn

    app = server.streamable_http_app(streamable_http_path=HTTP_PATH, host=HTTP_HOST)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HTTP_HOST, port))
    listener.listen(128)  # connections queue from now on, before uvicorn serves
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
    bound = listener.getsockname()[1]
    print(f"umi: MCP server on http://{HTTP_HOST}:{bound}{HTTP_PATH}", file=announce, flush=True)
    try:
        await uvicorn.Server(config).serve(sockets=[listener])
    finally:
        listener.close()


def _version() -> str:
    import umi_cli

    return str(umi_cli.__version__)
