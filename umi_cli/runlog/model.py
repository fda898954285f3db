"""A logged run: the event stream of one task plus the columns the log is searched by.

The events are kept verbatim, in run order, exactly as ``umi run --json`` prints them (event types
this module does not know are kept too); the other fields are computed from them by
:meth:`LoggedRun.from_events`, or given by the caller where events do not carry them (``mode``,
``memory``: the chat turns before the task, ``documents``: the α-UMi tool dicts the models saw).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

Event = dict[str, Any]
Turn = dict[str, str]

#: The outcome of a run whose event stream has no ``run_finished`` event.
UNFINISHED = "unfinished"
#: The prompt format of roles that saw the exact α-UMi wire format (FORMAT.md).
ALPHA_UMI_FORMAT = "alpha-umi"


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """The stored form of a time: UTC, ISO 8601 with microseconds (sorts as text)."""
    return utc(moment).isoformat(timespec="microseconds")


@cache
def umi_version() -> str:
    """The installed umi version."""
    import umi_cli

    return str(umi_cli.__version__)


@dataclass(frozen=True)
class RunSummary:
    """One row of ``umi logs list``: the searchable columns, without the events."""

    id: int
    started_at: datetime
    profile: str
    mode: str
    task: str
    tools: list[str]
    outcome: str
    steps: int
    calls: int
    tokens: int
    seconds: float
    error: str | None = None
    command: str = ""
    prompt_format: str = ""


@dataclass(frozen=True)
class LoggedRun:
    """A whole run as the log stores it; ``id`` is None until it is recorded."""

    task: str
    profile: str
    mode: str
    started_at: datetime
    outcome: str
    tools: list[str] = field(default_factory=list)
    answer: str | None = None
    error: str | None = None
    steps: int = 0
    attempts: int = 0
    calls: int = 0
    tokens: int = 0
    prompt_tokens: int = 0
    seconds: float = 0.0
    memory: list[Turn] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    version: str = ""
    command: str = ""
    prompt_format: str = ""
    id: int | None = None

    @property
    def alpha_umi_prompts(self) -> bool:
        """Whether every role saw the α-UMi wire format (its GLPFT export is byte-exact)."""
        return self.prompt_format == ALPHA_UMI_FORMAT

    @classmethod
    def from_events(
        cls,
        events: Iterable[Event],
        profile: str | None = None,
        mode: str = "alpha-umi",
        memory: Sequence[Turn] = (),
        *,
        documents: Sequence[dict[str, Any]] = (),
        started_at: datetime | None = None,
        version: str | None = None,
        keep_tokens: bool = False,
        command: str = "",
        prompt_format: str = "",
    ) -> LoggedRun:
        """Build a run from its events; ``token`` events are dropped unless ``keep_tokens``.

        ``profile`` defaults to the one ``run_started`` names; ``started_at`` defaults to now
        minus the run's wall time (the caller records a run as soon as it finishes).
        ``command`` is ``run``, ``chat`` or ``batch``; ``prompt_format`` what the roles saw
        (``alpha-umi``, or ``chat:<style>``).
        """
        kept = [dict(e) for e in events if keep_tokens or e.get("event") != "token"]
        opened = next((e for e in kept if e.get("event") == "run_started"), {})
        finished = next((e for e in reversed(kept) if e.get("event") == "run_finished"), None)
        totals = (finished or {}).get("totals") or {}
        seconds = float((finished or {}).get("wall_seconds") or 0.0)
        if started_at is None:
            started_at = datetime.now(UTC) - timedelta(seconds=seconds)
        return cls(
            task=str(opened.get("task", "")),
            profile=profile if profile is not None else str(opened.get("profile", "")),
            mode=mode,
            started_at=utc(started_at),
            outcome=str(finished["outcome"]) if finished else UNFINISHED,
            tools=[str(name) for name in opened.get("tools") or []],
            answer=(finished or {}).get("answer"),
            error=(finished or {}).get("error"),
            steps=int((finished or {}).get("steps") or _last_step(kept)),
            attempts=int((finished or {}).get("attempts") or _attempts(kept)),
            calls=sum(1 for e in kept if e.get("event") == "call"),
            tokens=int(totals.get("generated_tokens") or 0),
            prompt_tokens=int(totals.get("prompt_tokens") or 0),
            seconds=seconds,
            memory=[dict(turn) for turn in memory],
            documents=[dict(doc) for doc in documents],
            events=kept,
            version=version if version is not None else umi_version(),
            command=command,
            prompt_format=prompt_format,
        )

    def summary(self) -> RunSummary:
        """The row form of this run (``id`` must be set)."""
        if self.id is None:
            raise ValueError("a run has no summary before it is recorded")
        return RunSummary(
            id=self.id,
            started_at=self.started_at,
            profile=self.profile,
            mode=self.mode,
            task=self.task,
            tools=list(self.tools),
            outcome=self.outcome,
            steps=self.steps,
            calls=self.calls,
            tokens=self.tokens,
            seconds=self.seconds,
            error=self.error,
            command=self.command,
            prompt_format=self.prompt_format,
        )


def _last_step(events: list[Event]) -> int:
    return max((int(e["step"]) for e in events if isinstance(e.get("step"), int)), default=0)


def _attempts(events: list[Event]) -> int:
    numbers = [int(e["attempt"]) for e in events if isinstance(e.get("attempt"), int)]
    return max(numbers, default=1 if events else 0)
