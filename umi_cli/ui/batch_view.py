"""What `umi batch` shows: a progress bar while it runs and a summary table at the end."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from umi_cli.ui.views import human_seconds

OUTCOMES = ("answered", "gave_up", "failed")


def batch_progress(console: Console) -> Progress:
    """A progress bar: spinner, current task, bar, done/total, elapsed time."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@dataclass
class BatchSummary:
    """Totals over result records, per outcome and overall."""

    tasks: int = 0
    answered: int = 0
    gave_up: int = 0
    failed: int = 0
    steps: int = 0
    calls: int = 0
    tokens: int = 0
    prompt_tokens: int = 0
    seconds: float = 0.0
    skipped: int = 0

    @classmethod
    def of(cls, records: Iterable[dict[str, Any]], *, skipped: int = 0) -> BatchSummary:
        summary = cls(skipped=skipped)
        for record in records:
            summary.tasks += 1
            outcome = record.get("outcome")
            if outcome in OUTCOMES:
                setattr(summary, outcome, getattr(summary, outcome) + 1)
            summary.steps += int(record.get("steps") or 0)
            summary.calls += int(record.get("calls") or 0)
            summary.tokens += int(record.get("tokens") or 0)
            summary.prompt_tokens += int(record.get("prompt_tokens") or 0)
            summary.seconds += float(record.get("seconds") or 0.0)
        return summary

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def table(self) -> Table:
        table = Table(title="umi batch", title_justify="left")
        table.add_column("outcome")
        table.add_column("tasks", justify="right")
        for name, count, style in (
            ("answered", self.answered, "green"),
            ("gave up", self.gave_up, "yellow"),
            ("failed", self.failed, "red"),
        ):
            table.add_row(f"[{style}]{name}", str(count))
        table.add_section()
        table.add_row("[bold]total", f"[bold]{self.tasks}")
        table.caption = (
            f"{self.steps} steps · {self.calls} API calls · {self.prompt_tokens} prompt + "
            f"{self.tokens} generated tokens · {human_seconds(self.seconds)}"
            + (f" · {self.skipped} already done" if self.skipped else "")
        )
        return table
