"""Where an agent episode's time and memory go: per role and step, prefix reuse, raw llama.cpp.

Runs one fixed multi-step episode (the offline demo music API on 127.0.0.1, fixed seed and task)
three ways on the same model file, and prints figures, never judgements:

1. umi with KV prefix reuse (each role keeps its own slot; the normal agent);
2. umi with prefix reuse disabled (every slot forgotten before each completion, so each prompt
   is evaluated in full);
3. raw llama.cpp: the prompts of run 2 replayed through ``llama_cpp.Llama`` directly (reset
   before each, same sampling settings and grammars), so the engine's own overhead is a ratio.

Usage: python bench/agent.py [--profile pocket] [--max-steps 4] [--max-tokens N] [--seed 0] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from umi_cli.agent.events import FinalAnswer, Observation, PlannerThought, RunFinished, ToolCall
from umi_cli.agent.options import RunOptions
from umi_cli.compose import open_agent
from umi_cli.demo import DEMO_TOOL, SPEC_PATH, DemoServer
from umi_cli.engine import Backend, BackendPool, CompletionStream
from umi_cli.engine.llama import LlamaBackend
from umi_cli.engine.recording import RecordingBackend
from umi_cli.engine.types import CompletionRequest, CompletionStats

TASK = "Which albums has Daft Punk released? Tell me the title and year of the oldest one."


@dataclass
class CallRecord:
    """One completion as the engine saw it: the request, its figures, wall time inside."""

    request: CompletionRequest
    stats: CompletionStats
    seconds: float
    generated: str


@dataclass
class Episode:
    """What one run of the episode produced."""

    label: str
    wall: float = 0.0
    tool_seconds: float = 0.0
    calls: list[CallRecord] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    outcome: str = ""
    answer: str | None = None

    @property
    def engine_seconds(self) -> float:
        """Wall time inside the backend's ``stream`` (tokenizing, slots, sampling, decoding)."""
        return sum(c.seconds for c in self.calls)

    @property
    def llama_seconds(self) -> float:
        """Prompt evaluation plus generation as the engine measures them (llama.cpp proper)."""
        return sum(c.stats.prompt_seconds + c.stats.generation_seconds for c in self.calls)


class BenchBackend(RecordingBackend):
    """Records every completion of the episode running now; can disable prefix reuse."""

    def __init__(self, inner: Backend) -> None:
        super().__init__(inner)
        self.episode: Episode | None = None
        self.reuse = True

    def stream(self, request: CompletionRequest) -> CompletionStream:
        if not self.reuse:
            self.inner.forget()  # every slot: the whole prompt is evaluated again
        started = time.perf_counter()
        done = yield from super().stream(request)
        seconds = time.perf_counter() - started
        if self.episode is not None:
            self.episode.calls.append(CallRecord(request, done.stats, seconds, done.text))
            stats = done.stats
            print(
                f"  {self.episode.label}: {request.slot} {stats.prompt_tokens} prompt "
                f"({stats.cached_tokens} reused), {stats.generated_tokens} new, {seconds:.1f} s",
                file=sys.stderr,
                flush=True,
            )
        return done


def run_episode(agent: Any, recorder: BenchBackend, label: str, reuse: bool) -> Episode:
    episode = Episode(label)
    recorder.episode, recorder.reuse = episode, reuse
    agent.reset()
    started = time.perf_counter()
    for event in agent.run(TASK):
        if isinstance(event, PlannerThought):
            episode.steps.append(_step(event.step, "planner", event.stats, event.decision))
        elif isinstance(event, ToolCall):
            episode.steps.append(_step(event.step, "caller", event.stats, event.api))
        elif isinstance(event, FinalAnswer):
            episode.steps.append(_step(None, "summarizer", event.stats, "answer"))
            episode.answer = event.text
        elif isinstance(event, Observation):
            episode.tool_seconds += event.seconds
        elif isinstance(event, RunFinished):
            episode.outcome = event.outcome + (f" ({event.error})" if event.error else "")
    episode.wall = time.perf_counter() - started
    recorder.episode = None
    return episode


def _step(step: int | None, role: str, stats: CompletionStats, what: str) -> dict[str, Any]:
    return {"step": step, "role": role, "what": what, **stats.to_dict()}


def replay_raw(model_path: str, n_ctx: int, n_threads: int, calls: list[CallRecord]) -> list[float]:
    """Each recorded request through ``llama_cpp.Llama`` directly; wall seconds per call."""
    from llama_cpp import LlamaGrammar

    from umi_cli.engine.llama.loading import open_llama

    llm = open_llama(model_path, n_ctx=n_ctx, n_threads=n_threads, verbose=False)
    seconds = []
    for call in calls:
        request = call.request
        tokens = llm.tokenize(request.prompt.encode("utf-8"), add_bos=request.add_bos, special=True)
        grammar = (
            LlamaGrammar.from_string(request.grammar, verbose=False) if request.grammar else None
        )
        llm.reset()
        started = time.perf_counter()
        llm.create_completion(
            tokens,
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            top_p=request.top_p,
            seed=request.seed,
            stop=list(request.stop) or None,
            grammar=grammar,
        )
        seconds.append(time.perf_counter() - started)
    llm.close()
    return seconds


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _rate(tokens: int, seconds: float) -> str:
    return f"{tokens / seconds:.1f}" if seconds else "–"


def steps_table(episode: Episode) -> Table:
    table = Table(title=f"{episode.label}: per step", title_justify="left")
    for column in ("step", "role", "decision/api", "prompt tok", "reused", "new tok"):
        table.add_column(
            column, justify="right" if "tok" in column or column == "reused" else "left"
        )
    for column in ("prompt s", "prompt tok/s", "gen s", "gen tok/s"):
        table.add_column(column, justify="right")
    for s in episode.steps:
        evaluated = s["prompt_tokens"] - s["cached_tokens"]
        table.add_row(
            "–" if s["step"] is None else str(s["step"]),
            s["role"],
            s["what"],
            str(s["prompt_tokens"]),
            str(s["cached_tokens"]),
            str(s["generated_tokens"]),
            f"{s['prompt_seconds']:.2f}",
            _rate(evaluated, s["prompt_seconds"]),
            f"{s['generation_seconds']:.2f}",
            _rate(s["generated_tokens"], s["generation_seconds"]),
        )
    return table


def roles_table(episode: Episode) -> Table:
    table = Table(title=f"{episode.label}: per role", title_justify="left")
    for column in (
        "role",
        "calls",
        "prompt tok",
        "reused",
        "new tok",
        "prompt s",
        "gen s",
        "gen tok/s",
    ):
        table.add_column(column, justify="left" if column == "role" else "right")
    for role in ("planner", "caller", "summarizer"):
        rows = [s for s in episode.steps if s["role"] == role]
        if not rows:
            continue
        total = {k: sum(r[k] for r in rows) for k in ("prompt_tokens", "cached_tokens",
                 "generated_tokens", "prompt_seconds", "generation_seconds")}  # fmt: skip
        table.add_row(
            role, str(len(rows)), str(total["prompt_tokens"]), str(total["cached_tokens"]),
            str(total["generated_tokens"]), f"{total['prompt_seconds']:.2f}",
            f"{total['generation_seconds']:.2f}",
            _rate(total["generated_tokens"], total["generation_seconds"]),
        )  # fmt: skip
    return table


def summary(episode: Episode) -> dict[str, Any]:
    outside = episode.wall - episode.llama_seconds - episode.tool_seconds
    return {
        "label": episode.label,
        "outcome": episode.outcome,
        "answer": episode.answer,
        "completions": len(episode.calls),
        "wall_seconds": round(episode.wall, 3),
        "llama_seconds": round(episode.llama_seconds, 3),
        "engine_seconds": round(episode.engine_seconds, 3),
        "tool_seconds": round(episode.tool_seconds, 3),
        "overhead_seconds": round(outside, 3),
        "overhead_share": round(outside / episode.wall, 4) if episode.wall else None,
        "prompt_tokens": sum(c.stats.prompt_tokens for c in episode.calls),
        "cached_tokens": sum(c.stats.cached_tokens for c in episode.calls),
        "generated_tokens": sum(c.stats.generated_tokens for c in episode.calls),
        "steps": episode.steps,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="pocket")
    parser.add_argument("--max-steps", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-tokens", type=int, default=None, help="new tokens per completion")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--skip-raw", action="store_true", help="leave out the raw baseline")
    args = parser.parse_args(argv)
    console = Console(stderr=args.json)
    print(f"bench: profile {args.profile}, task {TASK!r}", file=sys.stderr, flush=True)
    pool = BackendPool(wrap=BenchBackend)
    with pool, DemoServer() as server:
        options = RunOptions(
            profile=args.profile, tools=(str(SPEC_PATH),), base_urls={DEMO_TOOL: server.url},
            max_steps=args.max_steps, seed=args.seed, max_tokens=args.max_tokens,
        )  # fmt: skip
        started = time.perf_counter()
        agent = open_agent(options, pool)
        load_seconds = time.perf_counter() - started
        rss_loaded = peak_rss_mb()
        (recorder,) = pool.backends  # one model plays every role in the profiles benched
        assert isinstance(recorder, BenchBackend)
        reuse = run_episode(agent, recorder, "umi, prefix reuse", reuse=True)
        fresh = run_episode(agent, recorder, "umi, no prefix reuse", reuse=False)
    rss_umi = peak_rss_mb()
    report: dict[str, Any] = {
        "profile": args.profile,
        "task": TASK,
        "load_seconds": round(load_seconds, 3),
        "peak_rss_mb_after_load": round(rss_loaded, 1),
        "peak_rss_mb_after_episodes": round(rss_umi, 1),
        "runs": [summary(reuse), summary(fresh)],
        "reuse_speedup": round(fresh.wall / reuse.wall, 3) if reuse.wall else None,
        "same_trajectory": [c.generated for c in reuse.calls] == [c.generated for c in fresh.calls],
    }
    if not args.skip_raw and fresh.calls:
        model = recorder.inner
        assert isinstance(model, LlamaBackend)
        print("  raw llama.cpp: replaying the prompts of the no-reuse run", file=sys.stderr)
        raw = replay_raw(str(model.path), model.n_ctx, _threads(), fresh.calls)
        raw_total = sum(raw)
        report["raw"] = {
            "completions": len(raw),
            "seconds": round(raw_total, 3),
            "umi_engine_seconds_same_prompts": round(fresh.engine_seconds, 3),
            "umi_over_raw": round(fresh.engine_seconds / raw_total, 3) if raw_total else None,
        }
        report["peak_rss_mb_with_raw"] = round(peak_rss_mb(), 1)
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return 0
    for episode in (reuse, fresh):
        console.print(steps_table(episode))
        console.print(roles_table(episode))
    _print_summary(console, report)
    return 0


def _threads() -> int:
    from umi_cli.engine.llama import physical_cores

    return physical_cores()


def _print_summary(console: Console, report: dict[str, Any]) -> None:
    table = Table(title="episode totals", title_justify="left")
    for column in ("run", "outcome", "wall s", "llama.cpp s", "tools s", "overhead s",
                   "overhead share", "prompt tok", "reused", "new tok"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("run", "outcome") else "right")
    for run in report["runs"]:
        table.add_row(
            run["label"], run["outcome"], f"{run['wall_seconds']:.2f}",
            f"{run['llama_seconds']:.2f}", f"{run['tool_seconds']:.3f}",
            f"{run['overhead_seconds']:.2f}", f"{100 * (run['overhead_share'] or 0):.1f}%",
            str(run["prompt_tokens"]), str(run["cached_tokens"]), str(run["generated_tokens"]),
        )  # fmt: skip
    console.print(table)
    console.print(f"model load: {report['load_seconds']:.2f} s")
    console.print(f"prefix reuse speedup (wall, no reuse / reuse): {report['reuse_speedup']}x")
    if not report["same_trajectory"]:
        console.print("note: the two runs generated different text (numerics of batched KV)")
    if "raw" in report:
        raw = report["raw"]
        console.print(
            f"raw llama.cpp, same {raw['completions']} prompts (no reuse): {raw['seconds']:.2f} s; "
            f"umi engine: {raw['umi_engine_seconds_same_prompts']:.2f} s; "
            f"ratio umi/raw: {raw['umi_over_raw']}"
        )
    rss = (
        f"peak RSS: {report['peak_rss_mb_after_load']:.0f} MB after load, "
        f"{report['peak_rss_mb_after_episodes']:.0f} MB after the episodes"
    )
    if "peak_rss_mb_with_raw" in report:
        rss += f", {report['peak_rss_mb_with_raw']:.0f} MB with the raw baseline loaded"
    console.print(rss)


if __name__ == "__main__":
    sys.exit(main())
