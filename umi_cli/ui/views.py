"""Rich renderables for agent events: plain objects, each turning one event into terminal text."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.markdown import Markdown
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.spinner import Spinner
from rich.syntax import Syntax
from rich.text import Text

from umi_cli.agent.events import (
    FinalAnswer,
    GaveUp,
    Observation,
    PlannerThought,
    RetryStarted,
    RunFinished,
    RunStarted,
    StepBudgetReached,
    ToolCall,
)
from umi_cli.engine.types import CompletionStats
from umi_cli.inputs import parse_json

#: How much of an observation the live view shows.
EXCERPT_LINES = 14
EXCERPT_CHARS = 900

DECISION_STYLES = {"caller": "cyan", "conclusion": "green", "give up": "yellow"}
ROLE_STYLES = {"planner": "magenta", "caller": "cyan", "summarizer": "green", "backbone": "blue"}


def human_size(size: int) -> str:
    """``1234`` → ``1.2 kB``."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def human_seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def stats_line(stats: CompletionStats) -> Text:
    """Tokens and time of a completion: ``412 prompt (380 cached) · 37 gen · 0.9 s · 41 tok/s``."""
    seconds = stats.prompt_seconds + stats.generation_seconds
    parts = [f"{stats.prompt_tokens} prompt"]
    if stats.cached_tokens:
        parts[0] += f" ({stats.cached_tokens} cached)"
    parts.append(f"{stats.generated_tokens} gen")
    parts.append(human_seconds(seconds))
    if stats.tokens_per_second:
        parts.append(f"{stats.tokens_per_second:.0f} tok/s")
    return Text(" · ".join(parts), style="dim")


def readable_json(value: object, width: int = 88, indent: int = 0) -> str:
    """JSON that opens containers only where they do not fit on one line of ``width``."""
    compact = json.dumps(value, ensure_ascii=False)
    if len(compact) + indent <= width or not isinstance(value, dict | list) or not value:
        return compact
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [
            f"{pad}{json.dumps(key, ensure_ascii=False)}: "
            + readable_json(item, width, indent + 2).lstrip()
            for key, item in value.items()
        ]
        opening, closing = "{", "}"
    else:
        items = [pad + readable_json(item, width, indent + 2).lstrip() for item in value]
        opening, closing = "[", "]"
    return opening + "\n" + ",\n".join(items) + "\n" + " " * indent + closing


def observation_excerpt(text: str, width: int = 88) -> tuple[str, str]:
    """A readable excerpt of an observation and its lexer: laid-out JSON when it parses."""
    try:
        data = parse_json(text)
    except ValueError:
        return _clip(text), "text"
    return _clip(readable_json(data, width)), "json"


def _clip(text: str) -> str:
    lines = text.splitlines()
    clipped = "\n".join(lines[:EXCERPT_LINES])
    if len(clipped) > EXCERPT_CHARS:
        clipped = clipped[:EXCERPT_CHARS] + " …"
    if len(lines) > EXCERPT_LINES:
        clipped += f"\n… {len(lines) - EXCERPT_LINES} more lines"
    return clipped


@dataclass
class RunHeader:
    event: RunStarted

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        title = "umi" if self.event.attempt == 1 else f"umi · attempt {self.event.attempt}"
        yield Rule(Text(title, style="bold"), align="left")
        yield Text.assemble(("task  ", "dim"), (self.event.task, "bold"))
        tools = ", ".join(self.event.tools) or "none"
        yield Text.assemble(("profile  ", "dim"), self.event.profile, ("   tools  ", "dim"), tools)


@dataclass
class StreamingView:
    """What a role is writing right now (shown in the live region until its event arrives)."""

    step: int
    role: str
    text: str

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        style = ROLE_STYLES.get(self.role, "white")
        label = Text.assemble((f"step {self.step} · {self.role} ", style), ("…", "dim"))
        yield label
        yield Padding(Text(self.text.strip() or " "), (0, 0, 0, 2))


@dataclass
class ToolCallHint:
    """Shown in the live region while an HTTP call is in flight."""

    step: int
    api: str

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Spinner("dots", Text(f"step {self.step} · calling {self.api}", style="dim"))


@dataclass
class ThoughtView:
    event: PlannerThought

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        decision = self.event.decision
        yield Text.assemble(
            (f"step {self.event.step} · planner  ", "bold magenta"),
            ("→ " + decision, f"bold {DECISION_STYLES.get(decision, 'white')}"),
            "  ",
            stats_line(self.event.stats),
        )
        yield Padding(Text(self.event.text.strip()), (0, 0, 0, 2))


@dataclass
class CallView:
    event: ToolCall

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text.assemble(
            (f"step {self.event.step} · caller  ", "bold cyan"),
            (self.event.api, "bold"),
            "  ",
            stats_line(self.event.stats),
        )
        arguments = readable_json(self.event.arguments, max(options.max_width - 4, 40))
        yield Padding(Syntax(arguments, "json", background_color="default"), (0, 0, 0, 2))


@dataclass
class ObservationView:
    event: Observation

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        event = self.event
        if event.reused_from is not None:
            yield Text.assemble(
                (f"step {event.step} · observation  ", "bold"),
                ("↺ ", "bold cyan"),
                (f"reused from step {event.reused_from}", "cyan"),
                (" · repeated call, not sent again", "dim"),
            )
        else:
            mark = ("✓ ", "bold green") if event.ok else ("✗ ", "bold red")
            status = f"HTTP {event.status}" if event.status is not None else "no response"
            yield Text.assemble(
                (f"step {event.step} · observation  ", "bold"),
                mark,
                (status, "green" if event.ok else "red"),
                (f" · {human_size(event.size)} · {human_seconds(event.seconds)}", "dim"),
            )
        excerpt, lexer = observation_excerpt(event.text, max(options.max_width - 4, 40))
        body = Syntax(excerpt, lexer, background_color="default", word_wrap=True)
        yield Padding(body, (0, 0, 0, 2))


@dataclass
class AnswerView:
    event: FinalAnswer

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Panel(
            Markdown(self.event.text.strip() or "_(empty answer)_"),
            title="answer",
            title_align="left",
            border_style="green",
            subtitle=stats_line(self.event.stats),
            subtitle_align="right",
        )


@dataclass
class GaveUpView:
    event: GaveUp

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text.assemble(
            (f"gave up (attempt {self.event.attempt})", "bold yellow"),
            (f"  {self.event.reason}", "yellow") if self.event.reason else "",
        )


@dataclass
class RetryView:
    event: RetryStarted

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        count = len(self.event.previous_candidates)
        yield Rule(
            Text(f"retry · attempt {self.event.attempt} · {count} earlier actions", "yellow"),
            align="left",
            style="yellow",
        )


@dataclass
class BudgetView:
    event: StepBudgetReached

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(
            f"step budget reached ({self.event.max_steps} calls): the summarizer answers",
            style="yellow",
        )


@dataclass
class RunFooter:
    """Totals of a run: outcome, steps, tokens, time, generation speed."""

    event: RunFinished

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        event = self.event
        totals = event.totals
        style = {"answered": "green", "gave_up": "yellow", "failed": "red"}[event.outcome]
        attempts = f" · {event.attempts} attempts" if event.attempts > 1 else ""
        parts: list[Text | str] = [
            Text(event.outcome.replace("_", " "), style=f"bold {style}"),
            Text(
                f" · {event.steps} steps{attempts}"
                f" · {totals.prompt_tokens} prompt + {totals.generated_tokens} generated tokens"
                f" ({totals.cached_tokens} cached)"
                f" · {human_seconds(event.wall_seconds)}"
                f" · {totals.tokens_per_second:.1f} tok/s",
                style="dim",
            ),
        ]
        items: list = [Rule(style="dim"), Text.assemble(*parts)]
        if event.error:
            items.append(Text(f"error: {event.error}", style="red"))
        yield Group(*items)
