"""A logged run drawn again with the live run's views (``umi logs show``).

The stored event dicts are rebuilt into events and fed to the same :class:`LiveRenderer` that
drew the run live, after a line saying which logged run it is.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.text import Text

from umi_cli.runlog.model import LoggedRun
from umi_cli.runlog.revive import events_from_dicts
from umi_cli.ui.live import LiveRenderer


def local_time(moment: datetime) -> str:
    """A stored (UTC) time in the local zone, to the second: ``2025-03-01 13:30:05``."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def run_caption(run: LoggedRun) -> Text:
    """``run 12 · 2025-03-01 13:30:05 · chat · alpha-umi mode · alpha-umi prompts · ...``."""
    parts = [f"run {run.id}", local_time(run.started_at)]
    if run.command:
        parts.append(run.command)
    if run.mode:
        parts.append(f"{run.mode} mode")
    if run.prompt_format:
        parts.append(f"{run.prompt_format} prompts")
    if run.memory:
        parts.append(f"{len(run.memory)} earlier chat turns")
    if run.version:
        parts.append(f"umi {run.version}")
    return Text(" · ".join(parts), style="dim")


def replay_run(run: LoggedRun, console: Console) -> None:
    """Print ``run`` as the live view printed it (no streaming: the text is final)."""
    console.print(run_caption(run))
    renderer = LiveRenderer(console)
    try:
        for event in events_from_dicts(run.events):
            renderer(event)
    finally:
        renderer.close()
    if run.outcome == "unfinished":
        console.print(Text("unfinished: the run stopped before its end", style="yellow"))
