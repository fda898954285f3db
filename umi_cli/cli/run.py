"""`umi run "task"`: one agent run, rendered live, as JSON Lines, or as the bare answer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from umi_cli.agent.options import RunOptions
from umi_cli.cli import common
from umi_cli.cli.one_task import check_output_flags, drive, exit_after, opened, task_view
from umi_cli.ui.consumers import Fanout, RunTally


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

    check_output_flags(json_lines, quiet, stream_tokens)
    text = common.read_task(task)
    human = not (json_lines or quiet)
    errors = Console(stderr=True)
    log_for = run_loggers(no_log=no_log, command="run")  # a bad settings.yaml stops here
    pool = BackendPool(PoolSettings(n_gpu_layers=options.n_gpu_layers))
    with pool, common.demo_tools(options, demo) as options:
        agent = opened(lambda: open_agent(options, pool), options.profile, human, errors)
        with agent:
            recorder = TraceRecorder(agent.toolbox.documents(), options.to_dict())
            log = log_for(lambda: RunSetting.of_agent(agent))
            view = task_view(json_lines, quiet, stream_tokens)
            result = drive(agent, text, Fanout(view, RunTally(), recorder, log), errors)
            recorded = recorder.trace()
            if trace is not None and recorded is not None:
                write_trace(trace, recorded)
    exit_after(result, errors)
