"""Does long-term memory pay off? The CMAT mode against a demo music API with one route broken.

1. **Twice:** one task that needs the broken API is run twice with ``--mode cmat``, each in its
   own ``umi run`` process, sharing one fresh umi home: run 2 should recall what run 1 learnt.
2. **Batch:** a suite of ``--tasks`` tasks (20 by default) is run with ``umi eval tasks``
   twice, each time in a fresh home: memory on, and ``--no-memory``. Printed per condition: calls
   per task, calls to the broken API per task and tasks passed, in the first half of the suite
   and in the second half, side by side.

Figures only, never judgements; models are whatever the profile names (``--profile``). The
broken route answers HTTP 500 every time (``DemoServer(broken=...)``). The model catalog and
tool specs of the current umi home are copied into each fresh home (its model cache is linked,
not copied), so a profile that runs here runs there.

Usage: python bench/memory_scenario.py [--profile pocket] [--tasks 20] [--broken artist_albums]
       [--max-steps 4] [--seed 0] [--reflection model|facts] [--workdir DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from umi_cli import paths
from umi_cli.demo import DEMO_TOOL, SPEC_PATH, DemoServer
from umi_cli.demo.catalog import ALBUMS, ARTISTS, TRACKS
from umi_cli.demo.server import ROUTES


@dataclass(frozen=True)
class ScenarioTask:
    id: str
    query: str
    album: str


def scenario_tasks(count: int) -> list[ScenarioTask]:
    """``count`` tasks "On which ARTIST album is the song TITLE?", spread over the catalog."""
    tracks = sorted(TRACKS.values(), key=lambda track: track["id"])
    stride = max(1, len(tracks) // max(count, 1))
    chosen = tracks[::stride][:count]
    tasks = []
    for track in chosen:
        album = ALBUMS[track["album"]["id"]]
        artist = ARTISTS[album["artist"]["id"]]["name"]
        query = f"On which {artist} album is the song {track['title']}?"
        tasks.append(ScenarioTask(f"track-{track['id']}", query, album["title"]))
    return tasks


def fresh_home(folder: Path) -> Path:
    """A new umi home: this home's config copied, its model cache linked."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if paths.config_dir().is_dir():
        shutil.copytree(paths.config_dir(), folder / "config")
    if paths.cache_dir().is_dir():
        (folder / "cache").symlink_to(paths.cache_dir(), target_is_directory=True)
    return folder


def umi(home: Path, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UMI_HOME": str(home), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "umi_cli", *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


def run_figures(events: list[dict[str, Any]], broken_api: str) -> dict[str, Any]:
    """One ``umi run --json`` stream's figures."""
    calls = [e for e in events if e.get("event") == "call"]
    recalled = [e for e in events if e.get("event") == "memory_used"]
    written = [e for e in events if e.get("event") == "reflection"]
    checks = [e for e in events if e.get("event") == "check"]
    finished = next((e for e in events if e.get("event") == "run_finished"), {})
    return {
        "outcome": finished.get("outcome"),
        "calls": len(calls),
        "broken_calls": sum(1 for call in calls if call.get("api") == broken_api),
        "rejected": sum(1 for check in checks if check.get("verdict") == "reject"),
        "recalled": len(recalled[0]["lessons"]) if recalled else 0,
        "lessons_written": [e.get("text") for e in written if e.get("new")],
        "lessons_confirmed": sum(1 for e in written if not e.get("new")),
    }


def run_twice(
    home: Path, task: ScenarioTask, flags: list[str], broken_api: str, timeout: float
) -> list[dict[str, Any]]:
    """The same task in two processes, memory on, one home."""
    runs = []
    for _ in range(2):
        done = umi(home, ["run", task.query, *flags, "--json"], timeout)
        if done.returncode not in (0, 3):  # answered or gave up: both are figures
            raise SystemExit(f"umi run failed ({done.returncode}): {done.stderr.strip()}")
        events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        runs.append(run_figures(events, broken_api))
    return runs


def write_suite(path: Path, tasks: list[ScenarioTask]) -> Path:
    lines = [
        json.dumps({"id": task.id, "query": task.query, "expect": {"answer": [task.album]}})
        for task in tasks
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_suite(
    home: Path, suite: Path, flags: list[str], output: Path, timeout: float
) -> list[dict[str, Any]]:
    """``umi eval tasks`` over the suite; its records in suite order."""
    done = umi(home, ["eval", "tasks", str(suite), *flags, "-o", str(output), "--json"], timeout)
    if done.returncode != 0:
        raise SystemExit(f"umi eval tasks failed ({done.returncode}): {done.stderr.strip()}")
    lines = (output / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    records = {str(r["id"]): r for r in (json.loads(line) for line in lines if line.strip())}
    order = [json.loads(line)["id"] for line in suite.read_text(encoding="utf-8").splitlines()]
    return [records[str(task_id)] for task_id in order]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def half_figures(records: list[dict[str, Any]], broken_api: str) -> dict[str, Any]:
    """Calls, broken-API calls and passes per task in the first and the second half."""
    middle = (len(records) + 1) // 2
    halves = {"first": records[:middle], "last": records[middle:]}
    figures: dict[str, Any] = {}
    for name, part in halves.items():
        broken = [
            sum(1 for call in r.get("call_list", []) if call.get("api") == broken_api)
            for r in part
        ]
        figures[name] = {
            "tasks": len(part),
            "calls_per_task": _mean([float(r.get("calls", 0)) for r in part]),
            "broken_calls_per_task": _mean([float(b) for b in broken]),
            "passed": sum(1 for r in part if r.get("passed")),
        }
    figures["calls"] = [int(r.get("calls", 0)) for r in records]
    return figures


def scenario(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="umi-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    tasks = scenario_tasks(args.tasks)
    broken_api = f"{args.broken}_for_{DEMO_TOOL}"
    with DemoServer(broken=[args.broken]) as server:
        flags = [
            "--profile", args.profile, "--mode", "cmat", "--tools", str(SPEC_PATH),
            "--base-url", f"{DEMO_TOOL}={server.url}", "--max-steps", str(args.max_steps),
            "--seed", str(args.seed), "--reflection", args.reflection,
        ]  # fmt: skip
        twice = run_twice(fresh_home(work / "twice"), tasks[0], flags, broken_api, args.timeout)
        suite = write_suite(work / "suite.jsonl", tasks)
        batches = {}
        for label, extra in (("memory on", []), ("memory off", ["--no-memory"])):
            slug = label.replace(" ", "-")
            home = fresh_home(work / slug)
            records = run_suite(home, suite, flags + extra, work / f"{slug}-results", args.timeout)
            batches[label] = half_figures(records, broken_api)
    return {
        "profile": args.profile,
        "broken_api": broken_api,
        "tasks": len(tasks),
        "task_twice": tasks[0].query,
        "twice": twice,
        "batch": batches,
        "workdir": str(work),
    }


def _shown(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def print_report(report: dict[str, Any], console: Console) -> None:
    twice = Table(title=f"The same task twice, memory on: {report['task_twice']}")
    for column in ("run", "outcome", "calls", "broken calls", "rejected", "recalled", "written"):
        twice.add_column(column, justify="left" if column in ("run", "outcome") else "right")
    for number, run in enumerate(report["twice"], start=1):
        twice.add_row(
            str(number), str(run["outcome"]), str(run["calls"]), str(run["broken_calls"]),
            str(run["rejected"]), str(run["recalled"]), str(len(run["lessons_written"])),
        )  # fmt: skip
    console.print(twice)
    batch = Table(title=f"{report['tasks']} tasks, {report['broken_api']} broken")
    for column in ("memory", "half", "calls/task", "broken calls/task", "passed"):
        batch.add_column(column, justify="left" if column in ("memory", "half") else "right")
    for label, figures in report["batch"].items():
        for half in ("first", "last"):
            part = figures[half]
            batch.add_row(
                label, f"{half} {part['tasks']}", _shown(part["calls_per_task"]),
                _shown(part["broken_calls_per_task"]), f"{part['passed']}/{part['tasks']}",
            )  # fmt: skip
    console.print(batch)
    console.print(f"[dim]homes and results: {report['workdir']}[/dim]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="pocket")
    parser.add_argument("--tasks", type=int, default=20, help="tasks in the batch (at least 2)")
    # artist_albums: the route the pocket planner takes (search_artist, then artist_albums);
    # search_track would answer these tasks in one call, but the 0.5B never tries it unprompted
    parser.add_argument("--broken", default="artist_albums", choices=ROUTES)
    parser.add_argument("--max-steps", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reflection", default="model", choices=("model", "facts"))
    parser.add_argument("--timeout", type=float, default=7200, help="seconds per umi process")
    parser.add_argument("--workdir", help="keep homes and results here (default: a temp folder)")
    parser.add_argument("--json", action="store_true", help="the figures as one JSON object")
    args = parser.parse_args(argv)
    if args.tasks < 2:
        parser.error("--tasks must be at least 2 (a first and a last half)")
    report = scenario(args)
    if args.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    else:
        print_report(report, Console())
    return 0


if __name__ == "__main__":
    sys.exit(main())
