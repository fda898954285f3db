"""Rich renderables for the CMAT mode's events: verdicts under each proposed call, revisions,
reflections, and the lessons recalled at the start of a task."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.padding import Padding
from rich.text import Text

from umi_cli.agent.cmat_events import CallChecked, MemoryUsed, ReflectionWritten, RevisionStarted
from umi_cli.ui.views import stats_line


@dataclass
class CheckView:
    """``step 1 · checker  ✓ accept`` or ``✗ reject: reason`` under the proposed call."""

    event: CallChecked

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        event = self.event
        label = f"step {event.step} · checker  "
        if event.revision:
            label = f"step {event.step} · checker (revision {event.revision})  "
        if event.verdict == "accept":
            mark: tuple[str, str] = ("✓ accept", "bold green")
        else:
            mark = ("✗ reject", "bold red")
        parts: list[tuple[str, str] | str | Text] = [(label, "bold yellow"), mark]
        if event.repeated:
            parts.append(("  (the same call again)", "dim"))
        elif event.role is not None and event.stats.generated_tokens:
            parts += ["  ", stats_line(event.stats)]
        yield Text.assemble(*parts)
        if event.verdict == "reject":
            shown = json.dumps(event.arguments, ensure_ascii=False) if event.arguments else ""
            yield Padding(Text(f"{event.api} {shown}".strip(), style="dim"), (0, 0, 0, 2))
            yield Padding(Text(event.reason, style="red"), (0, 0, 0, 2))
            if event.overruled:
                yield Padding(
                    Text("revisions spent: the call is sent anyway", style="yellow"), (0, 0, 0, 2)
                )


@dataclass
class RevisionView:
    event: RevisionStarted

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        event = self.event
        yield Text(
            f"↻ revision {event.revision}/{event.limit}: the actor plans step {event.step} again",
            style="yellow",
        )


@dataclass
class ReflectionView:
    event: ReflectionWritten

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        event = self.event
        state = "new lesson" if event.new else "lesson confirmed"
        yield Text.assemble(
            (f"{state} #{event.lesson_id}  ", "bold blue"),
            (f"({event.trigger}: {', '.join(event.apis)})", "dim"),
        )
        yield Padding(Text(event.text), (0, 0, 0, 2))


@dataclass
class MemoryView:
    """The lessons recalled for the task (nothing when there were none)."""

    event: MemoryUsed

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lessons = self.event.lessons
        if not lessons:
            yield Text("memory  no lessons for these APIs yet", style="dim")
            return
        noun = "lesson" if len(lessons) == 1 else "lessons"
        yield Text.assemble(
            (f"memory  {len(lessons)} {noun} recalled", "bold blue"),
            (f"  {self.event.tokens} tokens", "dim"),
        )
        for lesson in lessons:
            yield Padding(
                Text.assemble((f"#{lesson.get('id')} ", "dim"), str(lesson.get("text", ""))),
                (0, 0, 0, 2),
            )
