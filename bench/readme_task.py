"""The README's main job over seeds: how many calls, and are the albums real?

Runs ``umi run --demo --json --seed S "Which albums has the artist Daft Punk released? List
three."`` for each seed (one process each, as a user would) and prints per seed the outcome,
the calls sent to the API (a repeated call answered from an earlier observation is not sent),
the Daft Punk albums the answer names and the wall time; then how many seeds finished in at
most ``--calls`` calls and how many named three real albums.

    python bench/readme_task.py [--profile pocket] [--seeds 10] [--calls 2] [-- EXTRA UMI ARGS]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

TASK = "Which albums has the artist Daft Punk released? List three."
ALBUMS = ("Homework", "Discovery", "Human After All", "Alive 2007", "Random Access Memories")


@dataclass
class SeedRun:
    seed: int
    outcome: str
    calls: int
    repeats: int
    albums: list[str]
    seconds: float
    answer: str


def one_run(profile: str, seed: int, extra: list[str]) -> SeedRun:
    started = time.perf_counter()
    args = ["run", "--demo", "--json", "--no-log", "-p", profile, "--seed", str(seed), *extra]
    done = subprocess.run(
        [sys.executable, "-m", "umi_cli", *args, TASK], capture_output=True, text=True
    )
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    observations = [e for e in events if e["event"] == "observation"]
    answers = [e["text"] for e in events if e["event"] == "answer"]
    answer = answers[-1] if answers else ""
    finished = [e for e in events if e["event"] == "run_finished"]
    return SeedRun(
        seed=seed,
        outcome=finished[-1]["outcome"] if finished else f"exit {done.returncode}",
        calls=sum(o.get("reused_from") is None for o in observations),
        repeats=sum(o.get("reused_from") is not None for o in observations),
        albums=[album for album in ALBUMS if album in answer],
        seconds=round(time.perf_counter() - started, 1),
        answer=answer,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="pocket")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=2, help="the target number of calls")
    parser.add_argument("--json", action="store_true", help="one JSON line per seed")
    parser.add_argument("extra", nargs="*", help="more umi run flags (after --)")
    args = parser.parse_args()
    runs = []
    for seed in range(args.seeds):
        run = one_run(args.profile, seed, args.extra)
        runs.append(run)
        if args.json:
            print(json.dumps(asdict(run)), flush=True)
        else:
            albums = ", ".join(run.albums) or "-"
            print(f"seed {seed}: {run.outcome}, {run.calls} calls, {run.repeats} repeats, "
                  f"{run.seconds} s; albums: {albums}", flush=True)  # fmt: skip
    within = sum(r.calls <= args.calls and r.outcome == "answered" for r in runs)
    three = sum(len(r.albums) >= 3 for r in runs)
    seconds = statistics.median(r.seconds for r in runs)
    print(f"\n{args.profile}: answered in <= {args.calls} calls in {within}/{len(runs)} seeds; "
          f"three real albums named in {three}/{len(runs)}; median {seconds} s per run")


if __name__ == "__main__":
    main()
