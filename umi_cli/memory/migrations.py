"""Schema migrations of the memory database, ordered; ``PRAGMA user_version`` counts those applied.

The same rule as the run log's (:mod:`umi_cli.runlog.migrations`): ``MIGRATIONS[n]`` takes the
database from version ``n`` to ``n + 1``, later versions only append, and the missing ones are
applied in one ``BEGIN IMMEDIATE`` transaction so two processes cannot both migrate a new file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from umi_cli.errors import UmiError

Migration = Callable[[sqlite3.Connection], None]


def create_lessons(db: sqlite3.Connection) -> None:
    """Version 1: lessons, the APIs (and tool specs) each is keyed by, and their indexes."""
    db.execute(
        """
        CREATE TABLE lessons (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            text TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            written_at TEXT NOT NULL,
            confirmed_at TEXT NOT NULL,
            uses INTEGER NOT NULL DEFAULT 0,
            helped INTEGER NOT NULL DEFAULT 0,
            last_used_at TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE lesson_keys (
            lesson_id INTEGER NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
            api TEXT NOT NULL,
            tool TEXT NOT NULL,
            PRIMARY KEY (lesson_id, api)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX lesson_keys_api ON lesson_keys(api)")
    db.execute("CREATE INDEX lesson_keys_tool ON lesson_keys(tool)")


MIGRATIONS: tuple[Migration, ...] = (create_lessons,)


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(
    db: sqlite3.Connection, where: str, migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """Apply the missing migrations (``db`` in autocommit mode); return the schema version.

    A file written by a newer umi is refused with an :class:`UmiError` naming ``where``.
    """
    if schema_version(db) == len(migrations):
        return len(migrations)
    db.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(db)  # another process may have migrated while we waited
        if current > len(migrations):
            raise UmiError(
                f"{where}: the memory database has schema version {current}, newer than this "
                f"umi knows ({len(migrations)}); upgrade umi or use another --home"
            )
        for number in range(current, len(migrations)):
            migrations[number](db)
        db.execute(f"PRAGMA user_version = {len(migrations)}")  # an int we computed
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return len(migrations)
