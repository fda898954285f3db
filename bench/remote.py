"""The remote model path against in-process, and batch throughput with --jobs. Prints figures.

1. **Per-request overhead**: the same prompts completed in-process (umi's llama.cpp engine) and
   through umi's remote backend against ``python -m llama_cpp.server`` (and llama.cpp's own
   ``llama-server`` with ``--llama-server``) serving the same GGUF. Per server: mean wall time
   per request, the ratio to in-process and the difference (HTTP, JSON, SSE, the server's own
   Python or C++ around the same llama.cpp). One model process runs at a time.
2. **Batch throughput** (needs ``--llama-server``): ``umi batch --demo`` over the first
   ``--tasks`` demo tasks against ``llama-server --parallel J --cont-batching``, with
   ``--jobs 1`` and ``--jobs J``: tasks per minute and the ratio. (The Python server serialises
   requests, so it cannot show this.)

Usage: python bench/remote.py [--model GGUF] [--requests 6] [--max-tokens 32]
                              [--llama-server PATH] [--tasks 8] [--jobs 4] [--threads N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean
from typing import Any

import httpx

POCKET_ID = "qwen2.5-coder-0.5b-instruct-q4_k_m"
REPO_ROOT = Path(__file__).resolve().parents[1]
#: A planner-sized prefix so prompt evaluation is part of each request, as in an agent step.
PROMPT = (
    "You are a planner. The user asks about music; the tools are search_artist, artist_albums, "
    "album_tracks and search_track. Think about which tool to call next and why.\n"
)


def locate_model(path: Path | None) -> Path:
    if path is not None:
        return path
    from umi_cli.models.catalog import load_catalog
    from umi_cli.models.store import ModelStore

    return ModelStore().ensure(load_catalog().model(POCKET_ID), download=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(command: list[str], url: str, probe: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server exited: {log.read_text()[-1500:]}")
        try:
            if httpx.get(url + probe, timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    sys.exit(f"server did not start: {log.read_text()[-1500:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def requests(count: int, max_tokens: int) -> list[Any]:
    from umi_cli.engine.types import CompletionRequest

    # Each prompt starts differently, so no server reuses the previous prompt's cache.
    return [
        CompletionRequest(
            f"Task {n}: {PROMPT}Thought:", max_tokens=max_tokens, temperature=0.0, slot=f"b{n}"
        )
        for n in range(count)
    ]


def timed(backend: Any, batch: list[Any]) -> dict[str, float]:
    from umi_cli.engine.backend import complete

    complete(backend, batch[0])  # warm-up (first-use allocations), not counted
    walls, generated = [], 0
    for request in batch:
        started = time.perf_counter()
        done = complete(backend, request)
        walls.append(time.perf_counter() - started)
        generated += done.stats.generated_tokens
    return {"mean_ms": mean(walls) * 1000, "requests": len(walls), "generated": generated}


def overhead(model: Path, args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    from umi_cli.engine.llama import open_file
    from umi_cli.engine.remote import RemoteOpener
    from umi_cli.models.refs import EndpointRef

    batch = requests(args.requests, args.max_tokens)
    local = open_file(model, 4096, n_threads=args.threads)
    try:
        base = timed(local, batch)
    finally:
        local.close()
    rows = [{"path": "in-process", **base, "ratio": 1.0, "extra_ms": 0.0}]
    servers: list[tuple[str, str, list[str], str]] = []
    port = free_port()
    servers.append((
        "llama-cpp-python", f"http://127.0.0.1:{port}",
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--n_threads", str(args.threads),
         "--interrupt_requests", "False"],
        "/v1/models",
    ))  # fmt: skip
    if args.llama_server:
        port = free_port()
        servers.append((
            "llama-server", f"http://127.0.0.1:{port}",
            [str(args.llama_server), "-m", str(model), "--host", "127.0.0.1", "--port",
             str(port), "-c", "4096", "--parallel", "1", "--threads", str(args.threads)],
            "/health",
        ))  # fmt: skip
    for flavor, url, command, probe in servers:
        process = start(command, url, probe, folder / f"{flavor}.log")
        try:
            ref = EndpointRef("bench", url, "bench", flavor)
            backend = RemoteOpener().open(ref, 4096)
            try:
                figures = timed(backend, batch)
            finally:
                backend.close()
        finally:
            stop(process)
        rows.append({
            "path": f"remote ({flavor})", **figures,
            "ratio": figures["mean_ms"] / base["mean_ms"],
            "extra_ms": figures["mean_ms"] - base["mean_ms"],
        })  # fmt: skip
    return rows


def throughput(model: Path, args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(args.llama_server), "-m", str(model), "--host", "127.0.0.1", "--port", str(port),
        "--parallel", str(args.jobs), "--cont-batching", "-c", str(4096 * args.jobs),
        "--threads", str(args.threads),
    ]  # fmt: skip
    home = folder / "home"
    catalog = home / "config" / "models.yaml"
    catalog.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "endpoint": {"base_url": url, "model": "bench", "flavor": "llama-server"},
        "format": "chat",
        "context_length": 4096,
        "defaults": {"temperature": 0.0, "top_p": 1.0, "max_tokens": args.max_tokens * 4},
    }
    roles = {role: "bench-remote" for role in ("planner", "caller", "summarizer")}
    catalog.write_text(json.dumps({"models": {"bench-remote": entry},
                                   "profiles": {"bench-remote": {"roles": roles}}}))  # fmt: skip
    from umi_cli.demo import TASKS_PATH

    lines = TASKS_PATH.read_text().splitlines()[: args.tasks]
    tasks = folder / "tasks.jsonl"
    tasks.write_text("".join(
        json.dumps({"id": json.loads(line)["id"], "query": json.loads(line)["query"]}) + "\n"
        for line in lines
    ))  # fmt: skip
    process = start(command, url, "/health", folder / "llama-server-parallel.log")
    rows = []
    try:
        for jobs in (1, args.jobs):
            out = folder / f"results-{jobs}.jsonl"
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "umi_cli", "batch", str(tasks), "-o", str(out), "--demo",
                 "-p", "bench-remote", "--max-steps", "2", "--jobs", str(jobs), "--json"],
                cwd=REPO_ROOT, env={**os.environ, "UMI_HOME": str(home)}, capture_output=True,
                text=True,
            )  # fmt: skip
            wall = time.perf_counter() - started
            if done.returncode != 0:
                sys.exit(f"umi batch failed: {done.stderr[-1500:]}")
            summary = json.loads(done.stdout)
            rows.append({
                "jobs": jobs, "tasks": summary["tasks"], "answered": summary["answered"],
                "failed": summary["failed"], "seconds": wall,
                "tasks_per_minute": summary["tasks"] / wall * 60,
            })  # fmt: skip
    finally:
        stop(process)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="GGUF file (default: the pocket model)")
    parser.add_argument("--requests", type=int, default=6)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--llama-server", type=Path, help="a llama-server binary")
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    model = locate_model(args.model)
    with tempfile.TemporaryDirectory(prefix="umi-bench-remote-") as tmp:
        folder = Path(tmp)
        report: dict[str, Any] = {"model": str(model), "overhead": overhead(model, args, folder)}
        if args.llama_server:
            report["throughput"] = throughput(model, args, folder)
            one, many = report["throughput"]
            report["throughput_ratio"] = many["tasks_per_minute"] / one["tasks_per_minute"]
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"model: {model}")
    print(f"\nper-request wall time, {args.requests} prompts x {args.max_tokens} tokens (greedy)")
    print(f"{'path':<28} {'mean ms':>9} {'ratio':>7} {'extra ms':>9}")
    for row in report["overhead"]:
        print(f"{row['path']:<28} {row['mean_ms']:>9.1f} {row['ratio']:>7.2f} "
              f"{row['extra_ms']:>9.1f}")  # fmt: skip
    if "throughput" in report:
        print(f"\numi batch --demo, {args.tasks} tasks, llama-server --parallel {args.jobs}")
        print(f"{'jobs':>4} {'answered':>8} {'failed':>6} {'seconds':>8} {'tasks/min':>9}")
        for row in report["throughput"]:
            print(f"{row['jobs']:>4} {row['answered']:>8} {row['failed']:>6} "
                  f"{row['seconds']:>8.1f} {row['tasks_per_minute']:>9.2f}")  # fmt: skip
        print(f"throughput ratio (jobs {args.jobs} / jobs 1): {report['throughput_ratio']:.2f}")
    else:
        print("\n(no --llama-server: batch throughput not measured)")


if __name__ == "__main__":
    main()
