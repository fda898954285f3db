"""`umi logs`: the runs umi logged — list, show (re-rendered, or JSON), remove, path.

The log is ``<data dir>/logs.db`` (``umi logs path``); these commands never create it. Dates are
``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM[:SS]`` (local time unless an offset is given) or a span back
from now (``7d``, ``12h``, ``30m``, ``2w``).
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from umi_cli.errors import UmiError, UsageError

if TYPE_CHECKING:
    from umi_cli.runlog import LoggedRun, RunLog, RunSummary

app = typer.Typer(
    help="The run log: every run, chat turn and batch task umi ran (see `umi export`).",
    no_args_is_help=True,
)

OUTCOMES = ("answered", "gave_up", "failed", "unfinished")
_SPAN = re.compile(r"^(\d+)\s*([mhdw])$")
_SPAN_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

JsonOption = Annotated[bool, typer.Option("--json", help="JSON on stdout instead of a table.")]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="Only runs started at or after DATE (or 7d, 12h).")
]


def parse_moment(text: str, flag: str) -> datetime:
    """A date, a date and time, or a span back from now, as an aware datetime."""
    value = text.strip()
    span = _SPAN.match(value.lower())
    if span:
        amount, unit = int(span.group(1)), _SPAN_UNITS[span.group(2)]
        return datetime.now(UTC) - timedelta(**{unit: amount})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{flag} {text!r}: not a date; give YYYY-MM-DD, YYYY-MM-DDTHH:MM or a span like 7d, 12h"
        ) from None
    return moment.astimezone() if moment.tzinfo is None else moment  # naive: local time


def parse_outcome(text: str | None, flag: str = "--outcome") -> str | None:
    """An outcome name (``gave-up`` is ``gave_up``); None stays None."""
    if text is None:
        return None
    value = text.strip().lower().replace("-", "_")
    if value not in OUTCOMES:
        raise UsageError(f"{flag} {text}: unknown outcome; choose from {', '.join(OUTCOMES)}")
    return value


def open_log() -> RunLog | None:
    """The run log, or None when nothing was logged yet (the file is not created)."""
    from umi_cli.runlog import RunLog
    from umi_cli.runlog.settings import log_file

    path = log_file()
    return RunLog(path) if path.exists() else None


def _logging_note() -> str:
    from umi_cli.runlog.settings import log_settings

    try:
        settings = log_settings()
    except UmiError:
        return ""
    return "" if settings.enabled else f" (logging is off: {settings.off_because})"


def summary_dict(summary: RunSummary) -> dict[str, Any]:
    """The JSON form of a listed run."""
    return {
        "id": summary.id,
        "started_at": summary.started_at.isoformat(),
        "command": summary.command,
        "profile": summary.profile,
        "mode": summary.mode,
        "prompt_format": summary.prompt_format,
        "task": summary.task,
        "tools": summary.tools,
        "outcome": summary.outcome,
        "steps": summary.steps,
        "calls": summary.calls,
        "tokens": summary.tokens,
        "seconds": summary.seconds,
        "error": summary.error,
    }


def run_dict(run: LoggedRun) -> dict[str, Any]:
    """The JSON form of a whole run; ``events`` are the lines ``umi run --json`` printed."""
    data = {key: value for key, value in vars(run).items() if key != "started_at"}
    return {"id": run.id, "started_at": run.started_at.isoformat(), **data}


def summary_table(summaries: list[RunSummary], *, wide: bool = True) -> Table:
    """The runs as a table, newest first; ``wide`` adds the command and mode columns."""
    from umi_cli.ui.views import human_seconds

    styles = {"answered": "green", "gave_up": "yellow", "failed": "red"}
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("started", no_wrap=True)
    if wide:
        table.add_column("command", no_wrap=True)
    table.add_column("profile", no_wrap=True)
    if wide:
        table.add_column("mode", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    for name in ("steps", "calls", "tokens", "time"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("task", overflow="ellipsis", no_wrap=True, ratio=1, min_width=12)
    for row in summaries:
        started = row.started_at.astimezone().strftime("%Y-%m-%d %H:%M" if wide else "%m-%d %H:%M")
        cells = [str(row.id), started]
        if wide:
            cells.append(row.command or "–")
        cells.append(row.profile)
        if wide:
            cells.append(row.mode or "–")
        style = styles.get(row.outcome, "dim")
        cells.append(f"[{style}]{row.outcome.replace('_', ' ')}[/{style}]")
        cells += [str(row.steps), str(row.calls), str(row.tokens), human_seconds(row.seconds)]
        cells.append(" ".join(row.task.split()))
        table.add_row(*cells)
    return table


@app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most N runs (0: all).")] = 20,
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="answered, gave_up, failed or unfinished.")
    ] = None,
    tool: Annotated[
        str | None, typer.Option("--tool", help="Runs that offered this API or tool.")
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Text in the task, answer or error.")
    ] = None,
    since: SinceOption = None,
    json_output: JsonOption = False,
) -> None:
    """The newest runs first, with outcome, steps, calls, tokens and time."""
    if limit < 0:
        raise UsageError(f"--limit must be 0 or more, got {limit}")
    wanted = parse_outcome(outcome)
    moment = parse_moment(since, "--since") if since is not None else None
    log = open_log()
    summaries: list[RunSummary] = []
    if log is not None:
        with log:
            summaries = log.list(limit or None, wanted, tool, search, moment)
    if json_output:
        sys.stdout.write(json.dumps([summary_dict(s) for s in summaries], ensure_ascii=False))
        sys.stdout.write("\n")
        return
    if not summaries:
        filtered = any(value is not None for value in (outcome, tool, search, since))
        what = "no logged run matches" if filtered else "no runs logged yet"
        Console(stderr=True).print(f"{what}{_logging_note()}", highlight=False)
        return
    console = Console()
    console.print(summary_table(summaries, wide=console.width >= 120))


@app.command("show")
def show(
    run_id: Annotated[int, typer.Argument(metavar="ID", help="The run's id (`umi logs list`).")],
    json_output: Annotated[
        bool, typer.Option("--json", help="The run as one JSON object (its events included).")
    ] = False,
) -> None:
    """One run re-rendered as the live view drew it, or as JSON."""
    from umi_cli.runlog.settings import log_file

    log = open_log()
    if log is None:
        raise UmiError(f"no run with id {run_id}: nothing is logged yet in {log_file()}")
    with log:
        run = log.get(run_id)
    if json_output:
        sys.stdout.write(json.dumps(run_dict(run), ensure_ascii=False) + "\n")
        return
    from umi_cli.ui.replay import replay_run

    replay_run(run, Console())


@app.command("rm")
def remove(
    run_ids: Annotated[
        list[int] | None, typer.Argument(metavar="[ID]...", help="Ids of the runs to remove.")
    ] = None,
    before: Annotated[
        str | None, typer.Option("--before", help="Remove every run started before DATE.")
    ] = None,
) -> None:
    """Remove runs by id, or every run started before a date."""
    ids = list(dict.fromkeys(run_ids or []))
    if not ids and before is None:
        raise UsageError("give the ids of the runs to remove, or --before DATE")
    moment = parse_moment(before, "--before") if before is not None else None
    log = open_log()
    removed = 0
    if log is not None:
        with log:
            for run_id in ids:
                log.get(run_id)  # an absent id stops before anything is removed
            removed = sum(log.remove(run_id) for run_id in ids)
            if moment is not None:
                removed += log.remove_before(moment)
    elif ids:
        raise UmiError(f"no run with id {ids[0]}: nothing is logged yet")
    typer.echo(f"removed {removed} run{'s' if removed != 1 else ''}")


@app.command("path")
def path() -> None:
    """Print the run log's file (it exists once a run was logged)."""
    from umi_cli.runlog.settings import log_file

    typer.echo(str(log_file()))
