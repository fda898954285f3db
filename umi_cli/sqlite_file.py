"""One SQLite file shared by concurrent runs: the discipline of the run log and the memory.

The file is in WAL mode (readers never block the writer), every connection waits up to
``timeout`` seconds for a lock, and each write is one short ``BEGIN IMMEDIATE`` transaction (the
write lock is taken up front, so two writers queue instead of failing on a lock upgrade).
Several processes, and several threads sharing one store, may read and write at once. SQLite
failures a user can act on (locked, unreadable, not a database) become one line naming the file.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from umi_cli.errors import UmiError

#: Brings a database to the current schema: ``migrate(db, path_for_messages)``.
Migrate = Callable[[sqlite3.Connection, str], object]


def enable_wal(db: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL. The switch needs the database to itself and SQLite does not always wait
    for it (two processes creating the file at once), so it is retried until ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class SqliteFile:
    """An open SQLite file (created with its folder when absent), migrated; a context manager.

    ``what`` names it in messages ("run log"); ``remedy`` is the fix offered for a file that is
    not a database.
    """

    what = "database"
    remedy = "move it away or use another path"

    def __init__(self, path: Path, migrate: Migrate, *, timeout: float = 30.0) -> None:
        self.path = path
        self._lock = threading.RLock()
        with self._mapped_errors():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            try:
                self._db.row_factory = sqlite3.Row
                self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
                enable_wal(self._db, timeout)
                self._db.execute("PRAGMA synchronous = NORMAL")
                self._db.execute("PRAGMA foreign_keys = ON")
                migrate(self._db, str(self.path))
            except BaseException:
                self._db.close()
                raise

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._mapped_errors():
            yield self._db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short transaction holding the write lock from its start."""
        with self._lock, self._mapped_errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        """SQLite failures the user can act on: one line naming the file."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            raise UmiError(f"{self.path}: the {self.what} cannot be used ({exc})") from None
        except sqlite3.DatabaseError as exc:
            if type(exc) is not sqlite3.DatabaseError:  # integrity, programming: our bugs
                raise
            raise UmiError(
                f"{self.path}: not a readable {self.what} ({exc}); {self.remedy}"
            ) from None
        except OSError as exc:
            raise UmiError(f"{self.path}: cannot create the {self.what} ({exc.strerror})") from None
