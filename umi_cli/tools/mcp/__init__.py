"""MCP on both sides: MCP servers as umi tool sources, and umi toolsets served over MCP.

:class:`McpToolset` (client) turns one server's tools into ToolDefs and calls; :func:`serve`
exposes any Toolset as an MCP server. Sources are YAML files with an ``mcp`` mapping
(:mod:`.source`, :mod:`.source_file`). Built on the official ``mcp`` SDK (2.x).
"""

from umi_cli.tools.mcp.connection import McpUnavailable
from umi_cli.tools.mcp.server import build_server, serve
from umi_cli.tools.mcp.source import HttpTarget, McpSource, StdioTarget, is_mcp_source
from umi_cli.tools.mcp.source_file import load_source, parse_source
from umi_cli.tools.mcp.toolset import McpToolset

__all__ = [
    "HttpTarget",
    "McpSource",
    "McpToolset",
    "McpUnavailable",
    "StdioTarget",
    "build_server",
    "is_mcp_source",
    "load_source",
    "parse_source",
    "serve",
]
