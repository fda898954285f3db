"""What `umi run` and `umi ask` share: the output flags, opening the agent, its view of one
task, driving it to its end, and the exit code of how it ended."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer
from rich.console import Console

from umi_cli.cli import common
from umi_cli.errors import EXIT_INTERRUPTED, UsageError
from umi_cli.ui.consumers import AnswerPrinter, EventConsumer, Fanout, JsonLinesWriter
from umi_cli.ui.pump import PumpResult, pump

if TYPE_CHECKING:
    from umi_cli.agent.agent import Agent

A = TypeVar("A")


def check_output_flags(json_lines: bool, quiet: bool, stream_tokens: bool) -> None:
    """``--json``, ``--quiet`` and ``--stream-tokens`` go together only in sensible ways."""
    if json_lines and quiet:
        raise UsageError("--json and --quiet cannot be used together: pick one")
    if stream_tokens and not json_lines:
        raise UsageError("--stream-tokens only applies with --json")


def opened(open_agent: Callable[[], A], profile: str, human: bool, errors: Console) -> A:
    """The agent, opened under a spinner when a person is watching."""
    if not human:
        return open_agent()
    with errors.status(f"loading the {profile} models…"):
        return open_agent()


def task_view(json_lines: bool, quiet: bool, stream_tokens: bool) -> EventConsumer:
    """JSON lines, the answer alone, or the live view."""
    from umi_cli.ui.live import LiveRenderer

    if json_lines:
        return JsonLinesWriter(sys.stdout, tokens=stream_tokens)
    if quiet:
        return AnswerPrinter(sys.stdout, sys.stderr)
    return LiveRenderer(Console())


def drive(agent: Agent, text: str, consumer: Fanout, errors: Console) -> PumpResult:
    """Run ``agent`` on ``text`` into ``consumer`` (closed at the end); Ctrl-C cancels."""
    try:
        return pump(
            agent.run(text),
            consumer,
            cancel=agent.cancel,
            on_interrupt=lambda: errors.print("[yellow]cancelling… (Ctrl-C again to quit)"),
        )
    finally:
        consumer.close()


def exit_after(result: PumpResult, errors: Console) -> NoReturn:
    """Exit with the code of how the run ended (130 when it was cancelled)."""
    if result.interrupted:
        errors.print("umi: cancelled", style="yellow", highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED)
    outcome = result.finished.outcome if result.finished else None
    raise typer.Exit(common.exit_code(outcome))
