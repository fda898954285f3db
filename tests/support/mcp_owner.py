"""A process that owns an MCP server child, for the tests that kill or crash the owner.

``python -m support.mcp_owner MODE`` (cwd ``tests/``) prints ``{"pid": CHILD_PID}`` and then:

- ``sleep``: waits to be killed (the test server child, which reads its stdin);
- ``raise``: raises once a line arrives on stdin, never closing the toolset (interpreter exit);
- ``stuck-sleep``: the child stops reading stdin and ignores SIGTERM, then the owner waits to be
  killed (only the death signal can end the child);
- ``stuck-raise``: the same stuck child without the death-signal trampoline, then raises (only
  the ``atexit`` hook can end it).
"""

from __future__ import annotations

import json
import sys
import time

from support.mcp_server import TESTS_DIR, server_source
from umi_cli.tools.mcp import McpToolset, parse_source
from umi_cli.tools.mcp import stdio as mcp_stdio


def main(mode: str) -> None:
    if mode.startswith("stuck"):
        if mode == "stuck-raise":
            mcp_stdio.launch_argv = lambda command, env: list(command)
        data = {
            "name": "raw",
            "mcp": {
                "command": [sys.executable, "-m", "support.mcp_raw_server"],
                "cwd": str(TESTS_DIR),
                "env": {"RAW_IGNORE_TERM": "1"},
                "call_timeout": 5,
            },
        }
    else:
        data = server_source()
    source, problems = parse_source(data)
    assert source is not None, problems
    toolset = McpToolset(source)
    toolset.tools()
    pid = toolset.pid
    if mode.startswith("stuck"):
        toolset.call("hangup_for_raw", {})  # the child no longer reads stdin
    print(json.dumps({"pid": pid}), flush=True)
    if mode.endswith("raise"):
        sys.stdin.readline()  # the test has seen the child alive
        raise RuntimeError("the owner fails without closing its toolset")
    time.sleep(120)


if __name__ == "__main__":
    main(sys.argv[1])
