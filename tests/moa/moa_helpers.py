"""Constants and helpers of the MoA tests (importable: ``from moa_helpers import ...``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

#: A chat model that writes runs of 'z' and 'y'.
CHATTY = {"z": 6.0, "y": 5.5}
#: Another one, writing 'q' and 'k' (a distinct proposer).
OTHER = {"q": 6.0, "k": 5.5}
#: A model that ends its reply at once (an empty proposal).
EMPTY = {"</s>": 14.0}
#: The α-UMi "calling" model of the CLI tests: thoughts are '"' runs, the decision is caller,
#: the caller picks the API starting with 'a' and closes strings at once.
CALLING = {'"': 10.0, "c": 9.0, "a": 8.0}

#: Seconds a CLI run may take: a safeguard on a loaded machine, never a speed assertion.
TIMEOUT = int(os.environ.get("UMI_TEST_TIMEOUT", "900"))

TOOL = "testapi"
#: One API, served by the loopback tool server's echo route.
SPEC = """\
name: testapi
description: Loopback test APIs for the umi MoA tests.
base_url: http://127.0.0.1:9
timeout: 20
retries: 0
apis:
  - name: all_weather
    path: /echo/weather
    description: The current weather of a city.
    parameters:
      - {name: city, in: query, schema: {type: string}, description: City name}
"""


def write_spec(folder: Path) -> Path:
    path = folder / "testapi.yaml"
    path.write_text(SPEC)
    return path


def tool_args(spec: Path, base_url: str) -> list[str]:
    """``--tools SPEC --base-url testapi=URL``."""
    return ["--tools", str(spec), "--base-url", f"{TOOL}={base_url}"]


def json_events(stdout: str) -> list[dict]:
    """Every stdout line parsed as JSON (fails the test on any other line)."""
    return [json.loads(line) for line in stdout.splitlines()]


def of(events: list[dict], kind: str) -> list[dict]:
    return [event for event in events if event["event"] == kind]
