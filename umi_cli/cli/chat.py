"""`umi chat`: an interactive conversation with the agent; models stay loaded between turns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from umi_cli import paths
from umi_cli.agent.events import Event
from umi_cli.cli import common
from umi_cli.ui.repl import Repl

if TYPE_CHECKING:
    from umi_cli.agent.session import Agent

HISTORY_FILE = "chat_history"


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("chat")(chat)


class ChatSession:
    """The REPL's backend: one loaded agent, swapped when the profile changes."""

    def __init__(self, settings: common.AgentSettings) -> None:
        self.settings = settings
        self.agent: Agent = common.build_agent(settings)
        self._has_run = False

    @property
    def profile(self) -> str:
        return self.settings.profile

    def tool_lines(self) -> list[tuple[str, str]]:
        from umi_cli.tools import Toolbox

        toolbox = Toolbox.load(self.settings.tools, base_urls=self.settings.base_urls or None)
        return [(doc["Name"], _description(doc)) for doc in toolbox.documents()]

    def run(self, task: str) -> Iterator[Event]:
        self._has_run = True
        return self.agent.run(task)

    def cancel(self) -> None:
        self.agent.cancel()

    def reset(self) -> None:
        self.agent.reset()

    def switch_profile(self, name: str) -> None:
        settings = self.settings.with_profile(name)
        self.agent = common.build_agent(settings)  # raises (keeping the old agent) on error
        self.settings = settings
        self._has_run = False

    def write_trace(self, path: Path) -> bool:
        if not self._has_run:
            return False
        from umi_cli.agent.trace import write_trace

        write_trace(path, self.agent.last_trace())
        return True


def _description(document: dict) -> str:
    """The API's own description out of the α-UMi ``function`` text."""
    text = str(document.get("function", ""))
    marker = "The description of this function is: "
    if marker in text:
        text = text.split(marker, 1)[1].strip().strip('"')
    return text if len(text) <= 100 else text[:99] + "…"


def chat(
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
) -> None:
    """Talk to the agent: each line is a task; earlier turns stay in its memory.

    Slash commands: /tools, /profile [NAME], /trace FILE, /reset, /help, /exit.
    Ctrl-C cancels a running step; Ctrl-D leaves.
    """
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
    console = Console()
    with common.demo_tools(settings, demo) as settings:
        with console.status(f"loading the {settings.profile} models…"):
            session = ChatSession(settings)
        Repl(session, console, paths.config_dir() / HISTORY_FILE).loop()
