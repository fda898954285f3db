"""`umi chat`: an interactive conversation with the agent; models stay loaded between turns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from umi_cli import paths
from umi_cli.agent.events import Event
from umi_cli.agent.options import RunOptions
from umi_cli.cli import common
from umi_cli.errors import UsageError
from umi_cli.ui.repl import Repl

if TYPE_CHECKING:
    from umi_cli.agent.agent import Agent
    from umi_cli.engine import BackendPool

HISTORY_FILE = "chat_history"


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("chat")(chat)


class ChatSession:
    """The REPL's backend: one agent over a shared pool, swapped when the profile changes."""

    def __init__(self, options: RunOptions, pool: BackendPool, *, no_log: bool = False) -> None:
        from umi_cli.agent.trace import TraceRecorder
        from umi_cli.compose import open_agent
        from umi_cli.runlog.writer import RunSetting, run_logger

        self.options = options
        self.pool = pool
        self.log = run_logger(
            lambda: RunSetting.of_agent(self.agent), no_log=no_log, command="chat"
        )  # a bad settings.yaml stops here, before the models load
        self.agent: Agent = open_agent(options, pool)
        self.recorder = TraceRecorder(self.agent.toolbox.documents(), options.to_dict())

    @property
    def profile(self) -> str:
        return self.options.profile

    def tool_lines(self) -> list[tuple[str, str]]:
        return [(doc["Name"], _description(doc)) for doc in self.agent.toolbox.documents()]

    def run(self, task: str) -> Iterator[Event]:
        for event in self.agent.run(task):
            self.recorder(event)
            self.log(event)
            yield event

    def cancel(self) -> None:
        self.agent.cancel()

    def reset(self) -> None:
        self.agent.reset()
        self.recorder.reset()

    def switch_profile(self, name: str) -> None:
        """Load another profile; on error the current agent stays. Models the new profile does
        not use are closed; those it shares stay open (loaded once)."""
        from umi_cli.agent.trace import TraceRecorder
        from umi_cli.compose import open_agent

        options = common.checked(self.options.with_(profile=name))
        agent = open_agent(options, self.pool)
        old, self.agent, self.options = self.agent, agent, options
        old.close()
        self.pool.close_unused(role.backend for role in agent.mode.roles.values())
        self.recorder = TraceRecorder(agent.toolbox.documents(), options.to_dict())

    def write_trace(self, path: Path) -> bool:
        from umi_cli.agent.trace import write_trace

        trace = self.recorder.trace()
        if trace is None:
            return False
        write_trace(path, trace)
        return True

    def close(self) -> None:
        self.log.close()
        self.agent.close()


def _description(document: dict) -> str:
    """The API's own description out of the α-UMi ``function`` text."""
    text = str(document.get("function", ""))
    marker = "The description of this function is: "
    if marker in text:
        text = text.split(marker, 1)[1].strip().strip('"')
    return text if len(text) <= 100 else text[:99] + "…"


@common.run_flags
def chat(
    no_tools: Annotated[
        bool,
        typer.Option(
            "--no-tools",
            help="No tools: each line is a question the mode answers (with --mode moa: a "
            "mixture, whose answer becomes every proposer's assistant turn).",
        ),
    ] = False,
    *,
    options: RunOptions,
    demo: bool,
    no_log: bool,
) -> None:
    """Talk to the agent: each line is a task; earlier turns stay in its memory.

    Slash commands: /tools, /profile [NAME], /trace FILE, /reset, /help, /exit.
    Ctrl-C cancels a running step; Ctrl-D leaves.
    """
    from umi_cli.engine import BackendPool, PoolSettings

    if no_tools:
        if options.tools or demo:
            raise UsageError("--no-tools cannot be used with --tools or --demo: pick one")
        options = options.with_(tools=())

    console = Console()
    pool = BackendPool(PoolSettings(n_gpu_layers=options.n_gpu_layers))
    with pool, common.demo_tools(options, demo) as options:
        with console.status(f"loading the {options.profile} models…"):
            session = ChatSession(options, pool, no_log=no_log)
        try:
            Repl(session, console, paths.config_dir() / HISTORY_FILE).loop()
        finally:
            session.close()
