"""Long-term memory on disk: lessons in one SQLite file, safe for concurrent runs.

The same discipline as the run log (:mod:`umi_cli.runlog.store`): WAL mode, a busy timeout, and
each write one short ``BEGIN IMMEDIATE`` transaction, so batch workers and separate processes
may read and write at once. Every text is scrubbed again on its way in (secrets masked), a
second line of defence behind the mode's own scrubbing. Writing a lesson also lets faded ones
go: those whose retention fell below :data:`~umi_cli.memory.lessons.FORGET_BELOW`, and the
weakest beyond :data:`MAX_LESSONS`, so memory stays small.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from umi_cli import paths
from umi_cli.errors import UmiError
from umi_cli.memory.lessons import Lesson, LessonKey, now_utc, scrub, utc
from umi_cli.memory.migrations import migrate
from umi_cli.sqlite_file import SqliteFile

#: The most lessons kept; beyond it the least retained are forgotten.
MAX_LESSONS = 500
MEMORY_FILE = "memory.db"


def memory_path() -> Path:
    """``<data dir>/memory.db`` (``--home`` / ``UMI_HOME`` honoured)."""
    return paths.data_dir() / MEMORY_FILE


def _iso(moment: datetime) -> str:
    return utc(moment).isoformat(timespec="microseconds")


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class LessonStore(SqliteFile):
    """The lessons at ``path`` (created with its folder when absent); a context manager."""

    what = "memory database"
    remedy = "move it away or use another --home"

    def __init__(self, path: Path | str | None = None, *, timeout: float = 30.0) -> None:
        where = Path(path) if path is not None else memory_path()
        super().__init__(where, migrate, timeout=timeout)

    def add(
        self,
        text: str,
        keys: Sequence[LessonKey],
        kind: str,
        *,
        now: datetime | None = None,
    ) -> tuple[Lesson, bool]:
        """Store a lesson (scrubbed) keyed by ``keys``; the same text again only confirms the
        stored one (its age starts over). Returns the lesson and whether it is new."""
        clean = scrub(text)
        if not clean or not keys:
            raise ValueError("a lesson needs text and at least one API")
        moment = _iso(now or now_utc())
        with self._write() as db:
            found = db.execute("SELECT id FROM lessons WHERE text = ?", (clean,)).fetchone()
            if found is None:
                cursor = db.execute(
                    "INSERT INTO lessons (text, kind, written_at, confirmed_at)"
                    " VALUES (?, ?, ?, ?)",
                    (clean, scrub(kind), moment, moment),
                )
                lesson_id, new = int(cursor.lastrowid or 0), True
            else:
                lesson_id, new = int(found[0]), False
                db.execute("UPDATE lessons SET confirmed_at = ? WHERE id = ?", (moment, lesson_id))
            db.executemany(
                "INSERT OR IGNORE INTO lesson_keys (lesson_id, api, tool) VALUES (?, ?, ?)",
                [(lesson_id, scrub(key.api), scrub(key.tool)) for key in keys],
            )
        self.fade(now)
        return self.get(lesson_id), new

    def lessons(self, *, tool: str | None = None) -> list[Lesson]:
        """Every lesson, newest first; ``tool``: only those keyed by that API or tool spec."""
        sql = "SELECT * FROM lessons"
        values: list[str] = []
        if tool is not None:
            sql += " WHERE id IN (SELECT lesson_id FROM lesson_keys WHERE api = ? OR tool = ?)"
            values = [tool, tool]
        with self._read() as db:
            rows = db.execute(sql + " ORDER BY id DESC", values).fetchall()
            return self._with_keys(db, rows)

    def keyed(self, apis: Iterable[str], tools: Iterable[str] = ()) -> list[Lesson]:
        """The lessons keyed by any of ``apis`` or ``tools``."""
        apis, tools = list(apis), list(tools)
        if not apis and not tools:
            return []
        marks_a, marks_t = ", ".join("?" * len(apis)) or "''", ", ".join("?" * len(tools)) or "''"
        sql = (
            "SELECT * FROM lessons WHERE id IN (SELECT lesson_id FROM lesson_keys "
            f"WHERE api IN ({marks_a}) OR tool IN ({marks_t})) ORDER BY id DESC"
        )
        with self._read() as db:
            return self._with_keys(db, db.execute(sql, [*apis, *tools]).fetchall())

    def get(self, lesson_id: int) -> Lesson:
        """The lesson with ``lesson_id``; an :class:`UmiError` naming it when there is none."""
        with self._read() as db:
            row = db.execute("SELECT * FROM lessons WHERE id = ?", (lesson_id,)).fetchone()
            found = self._with_keys(db, [row]) if row is not None else []
        if not found:
            raise UmiError(f"no lesson with id {lesson_id} in {self.path} (see `umi memory list`)")
        return found[0]

    def credit(self, ids: Sequence[int], *, helped: bool, now: datetime | None = None) -> None:
        """The lessons ``ids`` were put in front of a task; ``helped``: the task was answered
        (a helpful lesson is confirmed: its age starts over)."""
        if not ids:
            return
        moment = _iso(now or now_utc())
        with self._write() as db:
            for lesson_id in ids:
                db.execute(
                    "UPDATE lessons SET uses = uses + 1, helped = helped + ?, last_used_at = ?,"
                    " confirmed_at = CASE WHEN ? THEN ? ELSE confirmed_at END WHERE id = ?",
                    (int(helped), moment, int(helped), moment, lesson_id),
                )

    def forget(self, lesson_id: int) -> int:
        """Delete one lesson; how many were deleted (0 or 1)."""
        with self._write() as db:
            return db.execute("DELETE FROM lessons WHERE id = ?", (lesson_id,)).rowcount

    def forget_tool(self, name: str) -> int:
        """Delete every lesson keyed by the API or tool spec ``name``; how many."""
        with self._write() as db:
            return db.execute(
                "DELETE FROM lessons WHERE id IN "
                "(SELECT lesson_id FROM lesson_keys WHERE api = ? OR tool = ?)",
                (name, name),
            ).rowcount

    def forget_all(self) -> int:
        with self._write() as db:
            return db.execute("DELETE FROM lessons").rowcount

    def fade(self, now: datetime | None = None) -> int:
        """Delete the faded lessons and the weakest beyond :data:`MAX_LESSONS`; how many."""
        moment = now or now_utc()
        lessons = sorted(self.lessons(), key=lambda lesson: lesson.retention(moment), reverse=True)
        gone = [lesson.id for lesson in lessons if lesson.faded(moment)]
        kept = [lesson for lesson in lessons if not lesson.faded(moment)]
        gone += [lesson.id for lesson in kept[MAX_LESSONS:]]
        if not gone:
            return 0
        with self._write() as db:
            db.executemany("DELETE FROM lessons WHERE id = ?", [(i,) for i in gone])
        return len(gone)

    @staticmethod
    def _with_keys(db: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[Lesson]:
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        keys: dict[int, list[LessonKey]] = {lesson_id: [] for lesson_id in ids}
        marks = ", ".join("?" * len(ids))
        for key in db.execute(
            f"SELECT lesson_id, api, tool FROM lesson_keys WHERE lesson_id IN ({marks}) "
            "ORDER BY lesson_id, api",
            ids,
        ):
            keys[key["lesson_id"]].append(LessonKey(key["api"], key["tool"]))
        return [
            Lesson(
                id=row["id"],
                text=row["text"],
                kind=row["kind"],
                keys=tuple(keys[row["id"]]),
                written_at=datetime.fromisoformat(row["written_at"]),
                confirmed_at=datetime.fromisoformat(row["confirmed_at"]),
                uses=row["uses"],
                helped=row["helped"],
                last_used_at=_when(row["last_used_at"]),
            )
            for row in rows
        ]
