"""`umi batch tasks.jsonl -o results.jsonl`: many tasks, one result line each, resumable.

Bad task lines stop the batch before anything runs (exit 2, naming ``file:line``); a task that
fails while running is recorded with its error and the batch goes on. Every finished task is
appended, flushed and fsync'd at once, so a killed batch resumes where it stopped: ids already
in the results file are skipped (a torn last line is cut off first).
"""

from __future__ import annotations

import contextlib
import json
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from umi_cli.agent.options import RunOptions
from umi_cli.cli import common
from umi_cli.cli.batch_files import (
    BatchTask,
    ResultsWriter,
    check_output,
    read_results,
    read_tasks,
)
from umi_cli.errors import EXIT_INTERRUPTED, UmiError
from umi_cli.ui.batch_view import BatchSummary, batch_progress
from umi_cli.ui.consumers import RunTally

if TYPE_CHECKING:
    from umi_cli.agent.agent import Agent
    from umi_cli.agent.modes import Mode
    from umi_cli.engine import BackendPool

T = TypeVar("T")
R = TypeVar("R")


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("batch")(batch)


class AgentPool:
    """One mode (its models opened once) and one toolbox per distinct tool selection."""

    def __init__(self, options: RunOptions, pool: BackendPool) -> None:
        self.options = options
        self.pool = pool
        self._mode: Mode | None = None
        self._agents: dict[tuple[str, ...] | None, Agent] = {}

    def agent_for(self, tools: list[str] | None) -> Agent:
        from umi_cli.agent.agent import Agent
        from umi_cli.compose import open_mode, open_toolbox

        key = tuple(tools) if tools else None
        if key not in self._agents:
            options = self.options.with_(tools=key) if key else self.options
            toolbox = open_toolbox(options)
            if self._mode is None:
                try:
                    self._mode = open_mode(options, self.pool)
                except BaseException:
                    toolbox.close()
                    raise
            self._agents[key] = Agent(mode=self._mode, toolbox=toolbox, options=options)
        agent = self._agents[key]
        agent.reset()  # batch tasks are independent
        return agent

    def close(self) -> None:
        for agent in self._agents.values():
            agent.close()


class BatchRun:
    """Runs tasks on worker threads (one :class:`AgentPool` each); remembers an interrupt.

    Workers only run agents; the main thread writes each record as it arrives, so the results
    file has one writer and a kill can tear at most its last line.
    """

    def __init__(self, options: RunOptions, pool: BackendPool, writer: ResultsWriter) -> None:
        self.options = options
        self.pool = pool
        self.writer = writer
        self.records: list[dict[str, Any]] = []
        self.interrupted = False
        self.workers: list[AgentPool] = []
        self._running: dict[int, Agent] = {}
        self._lock = threading.Lock()

    def worker(self) -> AgentPool:
        """A new worker's agents (sharing the process's backends)."""
        agents = AgentPool(self.options, self.pool)
        self.workers.append(agents)
        return agents

    def run_task(self, agents: AgentPool, task: BatchTask) -> dict[str, Any] | None:
        """Run one task on this thread; its record, or None when an interrupt cancelled it."""
        started = time.perf_counter()
        if self.interrupted:
            return None
        try:
            agent = agents.agent_for(task.tools)
        except UmiError as exc:
            return _failed(task, str(exc), time.perf_counter() - started)
        tally = RunTally()
        with self._lock:
            self._running[threading.get_ident()] = agent
        try:
            for event in agent.run(task.query):
                tally(event)
        finally:
            with self._lock:
                self._running.pop(threading.get_ident(), None)
        if self.interrupted and tally.finished is not None and tally.finished.error == "cancelled":
            return None
        return _record(task, tally, time.perf_counter() - started)

    def keep(self, record: dict[str, Any]) -> None:
        self.writer.append(record)
        self.records.append(record)

    def interrupt(self) -> None:
        """Start no more tasks and cancel the running ones (they stay pending)."""
        self.interrupted = True
        with self._lock:
            for agent in self._running.values():
                agent.cancel()

    def close(self) -> None:
        for agents in self.workers:
            agents.close()


def effective_jobs(asked: int, pool: BackendPool) -> tuple[int, str | None]:
    """``asked`` when every open backend serves parallel requests, else 1 and the reason."""
    if asked <= 1:
        return 1, None
    for backend in pool.backends:
        if backend.caps.parallel <= 1:
            return 1, (
                f"--jobs {asked}: model '{backend.name}' ({backend.caps.served_by}) runs one "
                "completion at a time; running 1 job"
            )
    return asked, None


def map_unordered(work: Callable[[T], R], items: Iterable[T], jobs: int) -> Iterator[R]:
    """``work(item)`` for every item on up to ``jobs`` threads, each result as soon as it is
    ready (on this thread and in order when ``jobs`` is 1); for `umi eval --jobs`."""
    if jobs <= 1:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="umi-job") as executor:
        futures = [executor.submit(work, item) for item in items]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def _record(task: BatchTask, tally: RunTally, seconds: float) -> dict[str, Any]:
    finished = tally.finished
    if finished is None:
        return _failed(task, "the agent stopped without a result", seconds)
    return {
        "id": task.id,
        "outcome": finished.outcome,
        "answer": finished.answer,
        "steps": finished.steps,
        "calls": tally.calls,
        "tokens": finished.totals.generated_tokens,
        "prompt_tokens": finished.totals.prompt_tokens,
        "seconds": round(finished.wall_seconds or seconds, 3),
        "error": finished.error,
    }


def _failed(task: BatchTask, error: str, seconds: float) -> dict[str, Any]:
    return {
        "id": task.id,
        "outcome": "failed",
        "answer": None,
        "steps": 0,
        "calls": 0,
        "tokens": 0,
        "prompt_tokens": 0,
        "seconds": round(seconds, 3),
        "error": error,
    }


@common.run_flags
def batch(
    tasks_file: Annotated[
        Path,
        typer.Argument(
            metavar="TASKS", help="JSON Lines: one {id, query, tools?} object per line."
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Results JSON Lines file (appended, resumable).")
    ],
    json_summary: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON object on stdout.")
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", min=1, help="Tasks in flight at once (servers with parallel slots)."
        ),
    ] = 1,
    *,
    options: RunOptions,
    demo: bool,
) -> None:
    """Run every task of a JSON Lines file; re-running skips ids already in the results.

    Task-level `tools` replace --tools for that task. With --jobs N, N tasks run at once when
    every model of the profile is served with parallel slots (in-process models run one).
    Exit code 0 once every task is recorded (whatever its outcome), 2 for a bad task file, 130
    when interrupted.
    """
    from umi_cli.engine import BackendPool, PoolSettings

    check_output(output, tasks_file)
    tasks = read_tasks(tasks_file)
    done = read_results(output)
    pending = [task for task in tasks if task.key not in done]
    errors = Console(stderr=True)
    writer = ResultsWriter(output)
    pool = BackendPool(PoolSettings(n_gpu_layers=options.n_gpu_layers))
    try:
        with pool, common.demo_tools(options, demo) as options:
            runner = BatchRun(options, pool, writer)
            try:
                _run_all(runner, pending, len(tasks), errors, jobs)
            finally:
                runner.close()
    finally:
        writer.close()
    ids = {task.key for task in tasks}
    records = [r for key, r in done.items() if key in ids] + runner.records
    summary = BatchSummary.of(records, skipped=len(tasks) - len(pending))
    if json_summary:
        sys.stdout.write(json.dumps({**summary.to_dict(), "output": str(output)}) + "\n")
    else:
        Console().print(summary.table())
    if runner.interrupted:
        errors.print(
            f"umi: interrupted; run the same command again to resume ({len(records)} of "
            f"{len(tasks)} tasks recorded in {output})",
            style="yellow",
            highlight=False,
        )
        raise typer.Exit(EXIT_INTERRUPTED)


def _run_all(
    runner: BatchRun, pending: list[BatchTask], total: int, console: Console, jobs: int
) -> None:
    """Run ``pending`` on up to ``jobs`` workers; the bar counts finished tasks."""
    with batch_progress(console) as progress:
        bar = progress.add_task("starting", total=total, completed=total - len(pending))
        first = runner.worker()
        if pending:
            with contextlib.suppress(UmiError):  # a failure to open is the first task's record
                first.agent_for(pending[0].tools)
        jobs, note = effective_jobs(jobs, runner.pool)
        if note:
            console.print(f"umi: {note}", style="yellow", highlight=False, soft_wrap=True)
        workers = [first, *(runner.worker() for _ in range(min(jobs, len(pending)) - 1))]
        for finished, running in _drive(runner, pending, workers):
            runner.keep(finished)
            try:
                more = f" · {running} running" if running else ""
                progress.update(bar, description=f"task {finished['id']}{more}", advance=1)
            except KeyboardInterrupt:  # between records: as if it came while waiting
                if runner.interrupted:
                    raise
                runner.interrupt()
        progress.update(bar, description="done" if not runner.interrupted else "interrupted")


_DONE = object()


def _drive(
    runner: BatchRun, pending: list[BatchTask], workers: list[AgentPool]
) -> Iterator[tuple[dict[str, Any], int]]:
    """Each finished record (and how many tasks are still running), as workers finish them.

    The main thread only waits, so Ctrl-C reaches it: the first cancels the running tasks and
    starts no more, a second quits at once.
    """
    todo = iter(pending)
    take = threading.Lock()
    inbox: queue.Queue[object] = queue.Queue()
    running = [0]

    def work(agents: AgentPool) -> None:
        try:
            while not runner.interrupted:
                with take:
                    task = next(todo, None)
                    if task is None:
                        break
                    running[0] += 1
                record = runner.run_task(agents, task)
                with take:
                    running[0] -= 1
                if record is not None:
                    inbox.put(record)
        except BaseException as exc:  # our bug: re-raised on the main thread
            inbox.put(exc)
        finally:
            inbox.put(_DONE)

    threads = [
        threading.Thread(target=work, args=(agents,), name=f"umi-batch-{n}", daemon=True)
        for n, agents in enumerate(workers)
    ]
    for thread in threads:
        thread.start()
    alive = len(threads)
    while alive:
        try:
            item = inbox.get(timeout=0.25)
        except queue.Empty:
            continue
        except KeyboardInterrupt:
            if runner.interrupted:
                raise
            runner.interrupt()
            continue
        if item is _DONE:
            alive -= 1
        elif isinstance(item, BaseException):
            runner.interrupt()
            raise item
        else:
            assert isinstance(item, dict)
            yield item, running[0]
