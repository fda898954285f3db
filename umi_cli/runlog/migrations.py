"""Schema migrations of the run log, ordered; ``PRAGMA user_version`` counts those applied.

``MIGRATIONS[n]`` takes a database from schema version ``n`` to ``n + 1``. A later umi appends a
function (``ALTER TABLE runs ADD COLUMN ...``, a new index) and never edits an earlier one.
:func:`migrate` applies the missing ones in one ``BEGIN IMMEDIATE`` transaction, so two processes
opening a fresh log at once cannot both migrate it, and a failed migration leaves it as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from umi_cli.errors import UmiError

Migration = Callable[[sqlite3.Connection], None]


def create_runs(db: sqlite3.Connection) -> None:
    """Version 1: the runs table, the API names each run offered, and the search indexes."""
    db.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            version TEXT NOT NULL,
            profile TEXT NOT NULL,
            mode TEXT NOT NULL,
            task TEXT NOT NULL,
            tools TEXT NOT NULL,
            outcome TEXT NOT NULL,
            answer TEXT,
            error TEXT,
            steps INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            calls INTEGER NOT NULL,
            tokens INTEGER NOT NULL,
            prompt_tokens INTEGER NOT NULL,
            seconds REAL NOT NULL,
            memory TEXT NOT NULL,
            documents TEXT NOT NULL,
            events TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE run_tools (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            api TEXT NOT NULL,
            PRIMARY KEY (run_id, api)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX run_tools_api ON run_tools(api)")
    db.execute("CREATE INDEX runs_started_at ON runs(started_at)")
    db.execute("CREATE INDEX runs_outcome ON runs(outcome, started_at)")


def add_command_and_prompt_format(db: sqlite3.Connection) -> None:
    """Version 2: which command ran (``run``, ``chat``, ``batch``) and the roles' prompt format
    (``alpha-umi``, ``chat:<style>``; ``""`` for runs logged before it was recorded)."""
    db.execute("ALTER TABLE runs ADD COLUMN command TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE runs ADD COLUMN prompt_format TEXT NOT NULL DEFAULT ''")


MIGRATIONS: tuple[Migration, ...] = (create_runs, add_command_and_prompt_format)


def schema_version(db: sqlite3.Connection) -> int:
    """The number of migrations applied to ``db``."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(
    db: sqlite3.Connection, where: str, migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """Apply the missing migrations (``db`` in autocommit mode); return the schema version.

    A log written by a newer umi (more migrations than this one knows) is refused with an
    :class:`UmiError` naming ``where``: this umi cannot tell what the newer columns mean.
    """
    current = schema_version(db)
    if current == len(migrations):
        return current
    db.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(db)  # another process may have migrated while we waited
        if current > len(migrations):
            raise UmiError(
                f"{where}: the run log has schema version {current}, newer than this umi knows "
                f"({len(migrations)}); upgrade umi or use another log file"
            )
        for number in range(current, len(migrations)):
            migrations[number](db)
        # PRAGMA takes no parameters; the value is an int we computed.
        db.execute(f"PRAGMA user_version = {len(migrations)}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return len(migrations)
