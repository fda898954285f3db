"""Serve :class:`support.mcp_fake.FakeToolset` over MCP with umi's server module.

``python -m support.mcp_serve_fake`` (stdio) or ``... --http-port 0`` (streamable HTTP; the URL
is printed on stderr); run with ``tests/`` as the working directory.
"""

from __future__ import annotations

import argparse

from support.mcp_fake import FakeToolset
from umi_cli.tools.mcp import serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http-port", type=int, default=None)
    args = parser.parse_args()
    toolset = FakeToolset()
    try:
        serve(toolset, http_port=args.http_port)
    finally:
        toolset.close()


if __name__ == "__main__":
    main()
