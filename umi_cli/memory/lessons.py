"""A lesson of long-term memory: one sentence an agent learnt, keyed by the APIs it is about.

Lessons are written by the CMAT mode's reflection (after a failed call, a give-up, a spent step
budget, or an answer) and read back into later tasks' prompts. Their text is scrubbed before it
is stored: every secret umi holds is masked (:func:`umi_cli.secrets.redact`), whitespace is one
line and the length is capped, so a lesson can never carry a key value or a whole observation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from umi_cli import secrets

#: What made the agent write a lesson (``outage``: a call failed with a server error or the
#: service was unreachable, so the API itself is down rather than the call wrong).
LessonKind = Literal["failure", "outage", "empty", "rejected", "gave_up", "budget", "success"]
LESSON_KINDS: tuple[str, ...] = (
    "failure", "outage", "empty", "rejected", "gave_up", "budget", "success",
)  # fmt: skip

#: How long an outage lesson stops calls to its API before they may be tried again.
OUTAGE_HOURS = 6.0

#: The longest lesson kept (one sentence, not a document).
MAX_LESSON_CHARS = 240

#: The strength of a new lesson, in days: unconfirmed, its retention is 1/e after this long.
BASE_STRENGTH_DAYS = 14.0
#: Below this retention a lesson has faded: it is no longer recalled and is deleted.
FORGET_BELOW = 0.1


@dataclass(frozen=True)
class LessonKey:
    """An API a lesson is about, and the tool spec (service) that API belongs to."""

    api: str
    tool: str = ""


def scrub(text: str) -> str:
    """A lesson's text as stored: secrets masked, one line, at most 240 characters."""
    line = " ".join(secrets.redact(text).split())
    if len(line) > MAX_LESSON_CHARS:
        line = line[: MAX_LESSON_CHARS - 3].rstrip() + "..."
    return line


def now_utc() -> datetime:
    return datetime.now(UTC)


def utc(moment: datetime) -> datetime:
    """An aware UTC time (a naive one is taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class Lesson:
    """One stored lesson, with when it was written and how it has served.

    ``confirmed_at`` is the last time it was written again or helped a task (its age counts from
    there); ``uses`` how many tasks it was put in front of; ``helped`` how many of those answered.
    """

    id: int
    text: str
    kind: str
    keys: tuple[LessonKey, ...]
    written_at: datetime
    confirmed_at: datetime
    uses: int = 0
    helped: int = 0
    last_used_at: datetime | None = None

    def outage_of(self, api: str, now: datetime | None = None) -> bool:
        """Whether this lesson says ``api`` was down within the last :data:`OUTAGE_HOURS`."""
        if self.kind != "outage" or api not in self.apis:
            return False
        age = (utc(now or now_utc()) - utc(self.confirmed_at)).total_seconds()
        return age <= OUTAGE_HOURS * 3600

    @property
    def apis(self) -> tuple[str, ...]:
        return tuple(key.api for key in self.keys)

    @property
    def tools(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(key.tool for key in self.keys if key.tool))

    def strength_days(self) -> float:
        """How slowly the lesson fades: each task it helped makes it stronger, each use that did
        not help weaker (SAGE's Ebbinghaus-style memory: strength grows with useful recall)."""
        unhelpful = max(self.uses - self.helped, 0)
        return BASE_STRENGTH_DAYS * (1 + self.helped) / (1 + 0.5 * unhelpful)

    def retention(self, now: datetime | None = None) -> float:
        """``exp(-age / strength)``, age in days since ``confirmed_at``: 1.0 when fresh."""
        age = (utc(now or now_utc()) - self.confirmed_at).total_seconds() / 86400
        return math.exp(-max(age, 0.0) / self.strength_days())

    def faded(self, now: datetime | None = None) -> bool:
        return self.retention(now) < FORGET_BELOW

    def to_dict(self, now: datetime | None = None) -> dict[str, Any]:
        """The JSON form (``umi memory list --json``)."""
        return {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "apis": list(self.apis),
            "tools": list(self.tools),
            "written_at": self.written_at.isoformat(),
            "confirmed_at": self.confirmed_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "uses": self.uses,
            "helped": self.helped,
            "retention": round(self.retention(now), 4),
        }
