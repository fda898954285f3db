"""What MCP costs: starting and listing a stdio server, and a call through it, against the same
API called over plain HTTP, measured in one run on this machine.

The API is the offline demo music catalog (served on 127.0.0.1). Path 1 calls it through umi's
HTTP toolset; path 2 through ``umi tools serve-mcp`` (a stdio child) and umi's MCP client, which
itself calls the demo API over HTTP — so the difference is what MCP adds.

Usage: python bench/mcp_overhead.py [--calls 50] [--starts 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from umi_cli.demo import SPEC_PATH, DemoServer
from umi_cli.tools import Toolbox
from umi_cli.tools.mcp import McpToolset, parse_source

ROOT = Path(__file__).resolve().parents[1]
ARGUMENTS = {"q": "Daft Punk"}


def mcp_source(url: str) -> Any:
    source, problems = parse_source(
        {
            "name": "music",
            "mcp": {
                "command": [sys.executable, "-m", "umi_cli", "tools", "serve-mcp",
                            "--tools", str(SPEC_PATH), "--base-url", f"music_catalog={url}"],
                "cwd": str(ROOT),
            },
        }
    )  # fmt: skip
    assert source is not None, problems
    return source


def timed_calls(call: Any, count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
        assert result.ok, result.text
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with DemoServer() as demo:
        source = mcp_source(demo.url)
        starts = []
        for _ in range(args.starts):
            started = time.perf_counter()
            with McpToolset(source) as toolset:
                toolset.tools()
            starts.append(time.perf_counter() - started)
        with Toolbox.load([str(SPEC_PATH)], base_urls={"music_catalog": demo.url}) as http:
            http_calls = timed_calls(
                lambda: http.call("search_artist_for_music_catalog", ARGUMENTS), args.calls
            )
        with McpToolset(source) as toolset:
            name = "search_artist_for_music_catalog_for_music"
            toolset.tools()
            mcp_calls = timed_calls(lambda: toolset.call(name, ARGUMENTS), args.calls)
    http_ms = 1000 * statistics.median(http_calls)
    mcp_ms = 1000 * statistics.median(mcp_calls)
    report = {
        "start_and_list_ms": [round(1000 * s, 1) for s in starts],
        "start_and_list_median_ms": round(1000 * statistics.median(starts), 1),
        "calls": args.calls,
        "http_call_median_ms": round(http_ms, 2),
        "mcp_call_median_ms": round(mcp_ms, 2),
        "mcp_overhead_ms": round(mcp_ms - http_ms, 2),
        "mcp_over_http": round(mcp_ms / http_ms, 2) if http_ms else None,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"start a stdio server (umi tools serve-mcp) and list its tools: "
          f"{report['start_and_list_median_ms']} ms median of {args.starts}")  # fmt: skip
    print(f"one call, HTTP toolset: {report['http_call_median_ms']} ms median of {args.calls}")
    print(f"one call, through MCP:  {report['mcp_call_median_ms']} ms median of {args.calls}")
    print(f"MCP adds {report['mcp_overhead_ms']} ms per call (ratio {report['mcp_over_http']}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
