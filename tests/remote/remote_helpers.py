"""Helpers of the remote-backend tests: real servers on 127.0.0.1, catalogs, event comparison."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
#: Greedy choices of the tiny model: thoughts are '"' runs, the decision "caller." ('c', 'a'),
#: the caller picks the API whose name starts with 'b' or 'a' and closes strings at once.
CALLING = {'"': 10.0, "c": 9.0, "a": 8.0}
#: Seconds a server may take to start on a loaded 2-core machine (a safeguard, not a figure).
START_TIMEOUT = 120.0
TIMEOUT = int(os.environ.get("UMI_TEST_TIMEOUT", "900"))

TOOL_SPEC = """\
name: testapi
description: Loopback test APIs for the remote tests.
base_url: {base_url}
timeout: 30
retries: 0
apis:
  - name: browse_music
    path: {path}
    description: Search music tracks by words of their title.
    parameters:
      - {{name: q, in: query, required: true, schema: {{type: string}}, description: Title words}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A server process on 127.0.0.1 and its root URL."""

    process: subprocess.Popen
    base_url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_until_up(served: Served, path: str, log: Path) -> Served:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(served.base_url + path, timeout=2).status_code < 500:
                return served
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    served.stop()
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


def start_llama_cpp_server(gguf: Path, folder: Path, *extra: str) -> Served:
    """``python -m llama_cpp.server`` on the tiny GGUF (requests served one at a time)."""
    port = free_port()
    log = folder / f"llama-cpp-server-{port}.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", "4096", "--interrupt_requests", "False", *extra,
    ]  # fmt: skip
    with log.open("w") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    return wait_until_up(Served(process, f"http://127.0.0.1:{port}"), "/v1/models", log)


def start_fault_server(folder: Path) -> Served:
    port_file = folder / f"fault-port-{time.monotonic_ns()}"
    log = folder / "fault-server.log"
    with log.open("a") as sink:
        process = subprocess.Popen(
            [sys.executable, str(HERE / "remote_fault_server.py"), str(port_file)],
            stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT
    while not (port_file.exists() and port_file.read_text()):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"fault server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    served = Served(process, f"http://127.0.0.1:{port_file.read_text()}")
    return wait_until_up(served, "/stats", log)


def endpoint_entry(base_url: str, flavor: str, fmt: str = "alpha-umi", **extra: object) -> dict:
    """A catalog entry served at ``base_url``; ``extra`` adds endpoint fields (gguf, parallel)."""
    return {
        "description": f"served by {flavor}",
        "endpoint": {"base_url": base_url, "model": "tiny", "flavor": flavor, **extra},
        "format": fmt,
        "context_length": 4096,
        "defaults": {"temperature": 0.0, "top_p": 1.0, "max_tokens": 96},
    }


def file_entry(path: Path, fmt: str = "alpha-umi") -> dict:
    data = path.read_bytes()
    return {
        "description": f"in-process {path.name}",
        "sources": [{"path": str(path)}],
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "format": fmt,
        "context_length": 4096,
        "defaults": {"temperature": 0.0, "top_p": 1.0, "max_tokens": 96},
    }


def trio(model_id: str) -> dict:
    return {"roles": {role: model_id for role in ("planner", "caller", "summarizer")}}


def write_catalog(home: Path, models: dict, profiles: dict) -> Path:
    catalog = home / "config" / "models.yaml"
    catalog.parent.mkdir(parents=True, exist_ok=True)
    catalog.write_text(json.dumps({"models": models, "profiles": profiles}, indent=2))
    return catalog


def tool_spec(folder: Path, base_url: str, path: str = "/music/search") -> Path:
    spec = folder / "testapi.yaml"
    spec.write_text(TOOL_SPEC.format(base_url=base_url, path=path))
    return spec


#: Event fields that are measurements of this run (times, token and cache figures).
MEASURED = {"stats", "seconds", "wall_seconds", "totals"}


def without_figures(events: list[dict]) -> list[dict]:
    """The events with their timings and token figures taken out."""
    return [{k: v for k, v in event.items() if k not in MEASURED} for event in events]


def one_error_line(stderr: str) -> str:
    """The single ``umi: error:`` line of a failed command (no traceback, nothing else)."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("umi: error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]
