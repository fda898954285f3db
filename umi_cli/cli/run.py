"""`umi run "task"`: one agent run, rendered live, as JSON Lines, or as the bare answer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from umi_cli.cli import common
from umi_cli.errors import UsageError
from umi_cli.ui.consumers import AnswerPrinter, Fanout, JsonLinesWriter, RunTally
from umi_cli.ui.live import LiveRenderer
from umi_cli.ui.pump import pump

EXIT_INTERRUPTED = 130


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("run")(run)


def run(
    task: Annotated[
        str, typer.Argument(metavar="TASK", help="What to do; `-` reads it from standard input.")
    ],
    profile: common.ProfileOption = common.DEFAULT_PROFILE,
    tools: common.ToolsOption = None,
    base_url: common.BaseUrlOption = None,
    demo: common.DemoOption = False,
    max_steps: common.MaxStepsOption = None,
    temperature: common.TemperatureOption = None,
    seed: common.SeedOption = None,
    retries: common.RetriesOption = 0,
    no_constrain: common.NoConstrainOption = False,
    n_gpu_layers: common.GpuLayersOption = None,
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
) -> None:
    """Solve a task with the planner, caller and summarizer, calling real APIs.

    Exit codes: 0 answered, 3 gave up, 1 failed, 2 usage, 130 interrupted.
    """
    if json_lines and quiet:
        raise UsageError("--json and --quiet cannot be used together: pick one")
    if stream_tokens and not json_lines:
        raise UsageError("--stream-tokens only applies with --json")
    text = common.read_task(task)
    settings = common.agent_settings(
        profile=profile,
        tools=tools,
        base_url=base_url,
        max_steps=max_steps,
        temperature=temperature,
        seed=seed,
        retries=retries,
        no_constrain=no_constrain,
        n_gpu_layers=n_gpu_layers,
    )
    human = not (json_lines or quiet)
    errors = Console(stderr=True)
    with common.demo_tools(settings, demo) as settings:
        if human:
            with errors.status(f"loading the {settings.profile} models…"):
                agent = common.build_agent(settings)
        else:
            agent = common.build_agent(settings)
        tally = RunTally()
        if json_lines:
            view = JsonLinesWriter(sys.stdout, tokens=stream_tokens)
        elif quiet:
            view = AnswerPrinter(sys.stdout, sys.stderr)
        else:
            view = LiveRenderer(Console())
        consumer = Fanout(view, tally)
        try:
            result = pump(
                agent.run(text),
                consumer,
                cancel=agent.cancel,
                on_interrupt=lambda: errors.print("[yellow]cancelling… (Ctrl-C again to quit)"),
            )
        finally:
            consumer.close()
        if trace is not None:
            from umi_cli.agent.trace import write_trace

            write_trace(trace, agent.last_trace())
    if result.interrupted:
        errors.print("umi: cancelled", style="yellow", highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED)
    outcome = result.finished.outcome if result.finished else None
    raise typer.Exit(common.exit_code(outcome))
