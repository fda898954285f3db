"""`umi run "task"`: one agent run, rendered live, as JSON Lines, or as the bare answer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from umi_cli.agent.options import RunOptions
from umi_cli.cli import common
from umi_cli.errors import UsageError
from umi_cli.ui.consumers import AnswerPrinter, EventConsumer, Fanout, JsonLinesWriter, RunTally
from umi_cli.ui.live import LiveRenderer
from umi_cli.ui.pump import pump

EXIT_INTERRUPTED = 130


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("run")(run)


@common.run_flags
def run(
    task: Annotated[
        str, typer.Argument(metavar="TASK", help="What to do; `-` reads it from standard input.")
    ],
    json_lines: Annotated[
        bool, typer.Option("--json", help="JSON Lines events on stdout, nothing else.")
    ] = False,
    stream_tokens: Annotated[
        bool, typer.Option("--stream-tokens", help="With --json: include token events.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the answer.")] = False,
    trace: Annotated[
        Path | None,
        typer.Option("--trace", help="Write the trajectory (ToolBench conversation format)."),
    ] = None,
    *,
    options: RunOptions,
    demo: bool,
    no_log: bool,
) -> None:
    """Solve a task with the planner, caller and summarizer, calling real APIs.

    Exit codes: 0 answered, 3 gave up, 1 failed, 2 usage, 130 interrupted.
    """
    from umi_cli.agent.trace import TraceRecorder, write_trace
    from umi_cli.compose import open_agent
    from umi_cli.engine import BackendPool, PoolSettings
    from umi_cli.runlog.writer import RunSetting, run_loggers

    if json_lines and quiet:
        raise UsageError("--json and --quiet cannot be used together: pick one")
    if stream_tokens and not json_lines:
        raise UsageError("--stream-tokens only applies with --json")
    text = common.read_task(task)
    human = not (json_lines or quiet)
    errors = Console(stderr=True)
    log_for = run_loggers(no_log=no_log, command="run")  # a bad settings.yaml stops here
    pool = BackendPool(PoolSettings(n_gpu_layers=options.n_gpu_layers))
    with pool, common.demo_tools(options, demo) as options:
        if human:
            with errors.status(f"loading the {options.profile} models…"):
                agent = open_agent(options, pool)
        else:
            agent = open_agent(options, pool)
        with agent:
            tally = RunTally()
            view: EventConsumer
            if json_lines:
                view = JsonLinesWriter(sys.stdout, tokens=stream_tokens)
            elif quiet:
                view = AnswerPrinter(sys.stdout, sys.stderr)
            else:
                view = LiveRenderer(Console())
            recorder = TraceRecorder(agent.toolbox.documents(), options.to_dict())
            log = log_for(lambda: RunSetting.of_agent(agent))
            consumer = Fanout(view, tally, recorder, log)
            try:
                result = pump(
                    agent.run(text),
                    consumer,
                    cancel=agent.cancel,
                    on_interrupt=lambda: errors.print("[yellow]cancelling… (Ctrl-C again to quit)"),
                )
            finally:
                consumer.close()
            recorded = recorder.trace()
            if trace is not None and recorded is not None:
                write_trace(trace, recorded)
    if result.interrupted:
        errors.print("umi: cancelled", style="yellow", highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED)
    outcome = result.finished.outcome if result.finished else None
    raise typer.Exit(common.exit_code(outcome))
