"""`umi batch tasks.jsonl -o results.jsonl`: many tasks, one result line each, resumable.

Bad task lines stop the batch before anything runs (exit 2, naming ``file:line``); a task that
fails while running is recorded with its error and the batch goes on. Every finished task is
appended, flushed and fsync'd at once, so a killed batch resumes where it stopped: ids already
in the results file are skipped (a torn last line is cut off first).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
from umi_cli.errors import UmiError
from umi_cli.ui.batch_view import BatchSummary, batch_progress
from umi_cli.ui.consumers import RunTally
from umi_cli.ui.pump import pump

if TYPE_CHECKING:
    from umi_cli.agent.agent import Agent
    from umi_cli.agent.modes import Mode
    from umi_cli.engine import BackendPool

EXIT_INTERRUPTED = 130


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
    """Runs the pending tasks, appending a record for each; remembers an interrupt."""

    def __init__(self, pool: AgentPool, writer: ResultsWriter) -> None:
        self.pool = pool
        self.writer = writer
        self.records: list[dict[str, Any]] = []
        self.interrupted = False

    def run_task(self, task: BatchTask) -> dict[str, Any] | None:
        """Run one task and record it; None when Ctrl-C cancelled it (it stays pending)."""
        started = time.perf_counter()
        try:
            agent = self.pool.agent_for(task.tools)
        except UmiError as exc:
            record = _failed(task, str(exc), time.perf_counter() - started)
        else:
            tally = RunTally()
            result = pump(agent.run(task.query), tally, cancel=agent.cancel)
            if result.interrupted:
                self.interrupted = True
                return None
            record = _record(task, tally, time.perf_counter() - started)
        self.writer.append(record)
        self.records.append(record)
        return record


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
    *,
    options: RunOptions,
    demo: bool,
) -> None:
    """Run every task of a JSON Lines file; re-running skips ids already in the results.

    Task-level `tools` replace --tools for that task. Exit code 0 once every task is recorded
    (whatever its outcome), 2 for a bad task file, 130 when interrupted.
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
            agents = AgentPool(options, pool)
            runner = BatchRun(agents, writer)
            try:
                _run_all(runner, pending, len(tasks), errors)
            finally:
                agents.close()
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


def _run_all(runner: BatchRun, pending: list[BatchTask], total: int, console: Console) -> None:
    with batch_progress(console) as progress:
        bar = progress.add_task("starting", total=total, completed=total - len(pending))
        for task in pending:
            progress.update(bar, description=f"task {task.key}")
            if runner.run_task(task) is None:
                break
            progress.advance(bar)
        progress.update(bar, description="done" if not runner.interrupted else "interrupted")
