"""The `umi chat` read-eval-print loop: line editing, persistent history, slash commands.

The REPL knows nothing of models or HTTP: it drives a :class:`ChatBackend` (built by the CLI)
and renders the events the backend's agent yields.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from rich.console import Console

from umi_cli.agent.events import Event
from umi_cli.errors import UmiError
from umi_cli.ui.live import LiveRenderer
from umi_cli.ui.pump import pump

try:  # line editing and history; absent on some platforms (Windows without pyreadline)
    import readline
except ImportError:  # pragma: no cover - platform dependent
    readline = None  # type: ignore[assignment]

PROMPT = "umi> "
HISTORY_LENGTH = 2000


class ChatBackend(Protocol):
    """What the REPL needs from a loaded agent."""

    @property
    def profile(self) -> str: ...

    def tool_lines(self) -> list[tuple[str, str]]:
        """(API name, one-line description) of every API the agent may call."""
        ...

    def run(self, task: str) -> Iterator[Event]: ...

    def cancel(self) -> None: ...

    def reset(self) -> None: ...

    def switch_profile(self, name: str) -> None: ...

    def write_trace(self, path: Path) -> bool:
        """Write the last run's trace; False when nothing has run yet."""
        ...


HELP = [
    ("/tools", "list the APIs the agent can call"),
    ("/profile [NAME]", "show the model profile, or load another one"),
    ("/trace FILE", "write the last task's trajectory (ToolBench format)"),
    ("/reset", "forget earlier turns and start a fresh conversation"),
    ("/help", "show this help"),
    ("/exit", "leave (Ctrl-D works too)"),
]


class Repl:
    """Reads lines until /exit or Ctrl-D; a task line runs the agent with the live view."""

    def __init__(self, backend: ChatBackend, console: Console, history_file: Path) -> None:
        self.backend = backend
        self.console = console
        self.history_file = history_file
        self._commands: dict[str, Callable[[list[str]], bool]] = {
            "/tools": self._tools,
            "/profile": self._profile,
            "/trace": self._trace,
            "/reset": self._reset,
            "/help": self._help,
            "/exit": self._exit,
            "/quit": self._exit,
        }

    def loop(self) -> None:
        """Run until the user leaves."""
        self._load_history()
        self.console.print(
            f"[bold]umi chat[/] · profile [cyan]{self.backend.profile}[/] · "
            "/help for commands, Ctrl-D to leave",
            highlight=False,
        )
        while True:
            try:
                line = input(PROMPT)
            except KeyboardInterrupt:  # clears the line, keeps the REPL
                self.console.print()
                continue
            except EOFError:
                self.console.print()
                break
            line = line.strip()
            if not line:
                continue
            self._remember(line)
            if line.startswith("/"):
                if not self._command(line):
                    break
            else:
                self._task(line)

    def _command(self, line: str) -> bool:
        """Run a slash command; False means leave."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            self.console.print(f"[red]cannot read the command: {exc}", highlight=False)
            return True
        handler = self._commands.get(words[0].lower())
        if handler is None:
            self.console.print(
                f"[red]unknown command {words[0]}[/]: /help lists the commands", highlight=False
            )
            return True
        try:
            return handler(words[1:])
        except UmiError as exc:
            self.console.print(f"[red]error:[/] {exc}", highlight=False)
        except KeyboardInterrupt:
            self.console.print("[yellow]cancelled", highlight=False)
        return True

    def _task(self, text: str) -> None:
        view = LiveRenderer(self.console, show_header=False)

        def interrupted() -> None:
            self.console.print("[yellow]cancelling the running step…", highlight=False)

        try:
            result = pump(
                self.backend.run(text),
                view,
                cancel=self.backend.cancel,
                on_interrupt=interrupted,
                repeat_cancels=True,
            )
        finally:
            view.close()
        if result.interrupted:
            self.console.print("[yellow]cancelled[/] · the conversation goes on", highlight=False)

    def _tools(self, args: list[str]) -> bool:
        lines = self.backend.tool_lines()
        if not lines:
            self.console.print("no tools loaded (use --tools when starting umi chat)")
        for name, description in lines:
            self.console.print(f"[bold]{name}[/]  [dim]{description}", highlight=False)
        return True

    def _profile(self, args: list[str]) -> bool:
        if not args:
            self.console.print(f"profile [cyan]{self.backend.profile}", highlight=False)
            return True
        with self.console.status(f"loading the {args[0]} models…"):
            self.backend.switch_profile(args[0])
        self.console.print(
            f"profile [cyan]{self.backend.profile}[/] loaded · a fresh conversation starts",
            highlight=False,
        )
        return True

    def _trace(self, args: list[str]) -> bool:
        if len(args) != 1:
            self.console.print("[red]usage:[/] /trace FILE", highlight=False)
            return True
        path = Path(args[0]).expanduser()
        if self.backend.write_trace(path):
            self.console.print(f"trace written to {path}", highlight=False)
        else:
            self.console.print("nothing to trace yet: run a task first", highlight=False)
        return True

    def _reset(self, args: list[str]) -> bool:
        self.backend.reset()
        self.console.print("memory cleared · a fresh conversation starts", highlight=False)
        return True

    def _help(self, args: list[str]) -> bool:
        for command, text in HELP:
            self.console.print(f"[bold]{command:<16}[/] {text}", highlight=False)
        self.console.print(
            "anything else is a task; earlier turns stay in the conversation. "
            "Ctrl-C cancels a running step.",
            highlight=False,
        )
        return True

    def _exit(self, args: list[str]) -> bool:
        return False

    def _load_history(self) -> None:
        if readline is None:
            return
        readline.set_history_length(HISTORY_LENGTH)
        with contextlib.suppress(OSError):
            readline.read_history_file(self.history_file)
            readline.write_history_file(self.history_file)  # trims it to HISTORY_LENGTH

    def _remember(self, line: str) -> None:
        """Append the line to the history file at once, so a crash loses nothing."""
        if readline is None:
            return
        with contextlib.suppress(OSError):
            self.history_file.parent.mkdir(parents=True, exist_ok=True)
            if not self.history_file.exists():
                self.history_file.touch()
            readline.append_history_file(1, self.history_file)
            readline.set_history_length(HISTORY_LENGTH)
