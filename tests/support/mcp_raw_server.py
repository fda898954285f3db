"""A hand-written stdio MCP server that misbehaves on request (no SDK: raw JSON-RPC lines).

``RAW_MODE`` (environment): ``ok`` (default), ``hang`` (never answers ``initialize``), ``die``
(writes to stderr and exits 3 at once). ``RAW_IGNORE_TERM=1`` ignores SIGTERM.

Tools: ``hello`` (answers), ``garbage`` (a non-JSON line, then the answer), ``hangup`` (closes
stdout and keeps running), ``bad_result`` (a result MCP does not allow), ``huge`` (a line over
umi's message cap), ``grandchild`` (starts a sleeping child of its own; answers its pid).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

TOOLS = ["hello", "garbage", "hangup", "bad_result", "huge", "grandchild"]


def send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def text(request_id: Any, value: str) -> None:
    content = [{"type": "text", "text": value}]
    send({"jsonrpc": "2.0", "id": request_id, "result": {"content": content}})


def call(request_id: Any, name: str) -> None:
    if name == "hello":
        text(request_id, "hello")
    elif name == "garbage":
        sys.stdout.write("this is not JSON-RPC\n")
        text(request_id, "after garbage")
    elif name == "hangup":
        sys.stdout.flush()
        os.close(1)
        while True:
            time.sleep(1)
    elif name == "bad_result":
        send({"jsonrpc": "2.0", "id": request_id, "result": {"content": "not a list"}})
    elif name == "huge":
        sys.stdout.write("x" * (17 * 1024 * 1024))
        sys.stdout.flush()
        time.sleep(30)
    elif name == "grandchild":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        text(request_id, str(child.pid))


def main() -> None:
    mode = os.environ.get("RAW_MODE", "ok")
    if os.environ.get("RAW_IGNORE_TERM") == "1":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if mode == "die":
        sys.stderr.write("fatal: cannot open the database\n")
        sys.exit(3)
    for line in sys.stdin:
        message = json.loads(line)
        method, request_id = message.get("method"), message.get("id")
        if method == "initialize" and mode != "hang":
            version = message["params"]["protocolVersion"]
            send({"jsonrpc": "2.0", "id": request_id, "result": {
                "protocolVersion": version, "capabilities": {"tools": {}},
                "serverInfo": {"name": "raw", "version": "1"},
            }})  # fmt: skip
        elif method == "tools/list":
            tools = [{"name": name, "inputSchema": {"type": "object"}} for name in TOOLS]
            send({"jsonrpc": "2.0", "id": request_id, "result": {"tools": tools}})
        elif method == "tools/call":
            call(request_id, message["params"]["name"])
        elif method == "ping":
            send({"jsonrpc": "2.0", "id": request_id, "result": {}})


if __name__ == "__main__":
    main()
