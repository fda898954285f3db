"""The run log: every run's events in one SQLite file, safe for concurrent writers.

The file is in WAL mode (readers never block the writer), every connection waits up to
``timeout`` seconds for a lock, and each write is one short ``BEGIN IMMEDIATE`` transaction (the
write lock is taken up front, so two writers queue instead of failing on a lock upgrade). Several
processes, and several threads sharing one :class:`RunLog`, may record at once.

Secrets: callers mask them before recording; as a second line of defence :meth:`RunLog.record`
passes every string of the run (keys included) through :func:`umi_cli.secrets.redact`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from umi_cli import secrets
from umi_cli.errors import UmiError
from umi_cli.runlog.migrations import migrate
from umi_cli.runlog.model import LoggedRun, RunSummary, iso
from umi_cli.runlog.query import RunFilter
from umi_cli.sqlite_file import SqliteFile

Summaries = list[RunSummary]

_COLUMNS = (
    "started_at, version, profile, mode, task, tools, outcome, answer, error, steps, attempts, "
    "calls, tokens, prompt_tokens, seconds, memory, documents, events, command, prompt_format"
)
_SUMMARY_COLUMNS = (
    "id, started_at, profile, mode, task, tools, outcome, steps, calls, tokens, seconds, error, "
    "command, prompt_format"
)


def redacted(value: Any) -> Any:
    """``value`` with every string in it (dict keys too) passed through ``secrets.redact``."""
    if isinstance(value, str):
        return secrets.redact(value)
    if isinstance(value, dict):
        return {redacted(key): redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redacted(item) for item in value]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class RunLog(SqliteFile):
    """The run log at ``path`` (created with its folder when absent); a context manager."""

    what = "run log"

    def __init__(self, path: Path | str, *, timeout: float = 30.0) -> None:
        super().__init__(Path(path), migrate, timeout=timeout)

    def record(self, run: LoggedRun) -> int:
        """Store ``run`` (its strings redacted) and return its new id."""
        run = _redacted_run(run)
        row = (
            iso(run.started_at), run.version, run.profile, run.mode, run.task,
            _dumps(run.tools), run.outcome, run.answer, run.error, run.steps, run.attempts,
            run.calls, run.tokens, run.prompt_tokens, run.seconds, _dumps(run.memory),
            _dumps(run.documents), _dumps(run.events), run.command, run.prompt_format,
        )  # fmt: skip
        marks = ", ".join("?" * len(row))
        with self._write() as db:
            cursor = db.execute(f"INSERT INTO runs ({_COLUMNS}) VALUES ({marks})", row)
            run_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT OR IGNORE INTO run_tools (run_id, api) VALUES (?, ?)",
                [(run_id, api) for api in run.tools],
            )
        return run_id

    def list(
        self,
        limit: int | None = 20,
        outcome: str | None = None,
        tool: str | None = None,
        search: str | None = None,
        since: datetime | None = None,
    ) -> Summaries:
        """The newest runs first, at most ``limit`` (None: all), filtered as :class:`RunFilter`."""
        where, values = RunFilter(outcome, tool, search, since).where()
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM runs WHERE {where} ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            values.append(max(limit, 0))
        with self._read() as db:
            rows = db.execute(sql, values).fetchall()
        return [_summary(row) for row in rows]

    def runs(self, selection: RunFilter | None = None) -> Iterator[LoggedRun]:
        """Every selected run, whole, oldest first (read one at a time)."""
        where, values = (selection or RunFilter()).where()
        sql = f"SELECT id FROM runs WHERE {where} ORDER BY id"
        with self._read() as db:
            ids = [row[0] for row in db.execute(sql, values)]
        for run_id in ids:
            found = self._find(run_id)
            if found is not None:  # removed meanwhile by another process
                yield found

    def get(self, run_id: int) -> LoggedRun:
        """The run with ``run_id``; an :class:`UmiError` naming it when there is none."""
        found = self._find(run_id)
        if found is None:
            raise UmiError(f"no run with id {run_id} in the run log {self.path}")
        return found

    def remove(self, run_id: int) -> int:
        """Delete one run; return how many were deleted (0 or 1)."""
        with self._write() as db:
            return db.execute("DELETE FROM runs WHERE id = ?", (run_id,)).rowcount

    def remove_before(self, moment: datetime) -> int:
        """Delete every run started before ``moment`` (naive: UTC); return how many."""
        where, values = RunFilter(before=moment).where()
        with self._write() as db:
            return db.execute(f"DELETE FROM runs WHERE {where}", values).rowcount

    def _find(self, run_id: int) -> LoggedRun | None:
        with self._read() as db:
            row = db.execute(f"SELECT id, {_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row is not None else None


def _redacted_run(run: LoggedRun) -> LoggedRun:
    return replace(
        run,
        task=redacted(run.task),
        profile=redacted(run.profile),
        mode=redacted(run.mode),
        tools=redacted(run.tools),
        answer=redacted(run.answer),
        error=redacted(run.error),
        memory=redacted(run.memory),
        documents=redacted(run.documents),
        events=redacted(run.events),
        version=redacted(run.version),
        command=redacted(run.command),
        prompt_format=redacted(run.prompt_format),
    )


def _summary(row: sqlite3.Row) -> RunSummary:
    return RunSummary(
        id=row["id"],
        started_at=datetime.fromisoformat(row["started_at"]),
        profile=row["profile"],
        mode=row["mode"],
        task=row["task"],
        tools=json.loads(row["tools"]),
        outcome=row["outcome"],
        steps=row["steps"],
        calls=row["calls"],
        tokens=row["tokens"],
        seconds=row["seconds"],
        error=row["error"],
        command=row["command"],
        prompt_format=row["prompt_format"],
    )


def _run(row: sqlite3.Row) -> LoggedRun:
    return LoggedRun(
        id=row["id"],
        started_at=datetime.fromisoformat(row["started_at"]),
        version=row["version"],
        profile=row["profile"],
        mode=row["mode"],
        task=row["task"],
        tools=json.loads(row["tools"]),
        outcome=row["outcome"],
        answer=row["answer"],
        error=row["error"],
        steps=row["steps"],
        attempts=row["attempts"],
        calls=row["calls"],
        tokens=row["tokens"],
        prompt_tokens=row["prompt_tokens"],
        seconds=row["seconds"],
        memory=json.loads(row["memory"]),
        documents=json.loads(row["documents"]),
        events=json.loads(row["events"]),
        command=row["command"],
        prompt_format=row["prompt_format"],
    )
