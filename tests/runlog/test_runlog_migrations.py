"""Schema migrations: ordered, counted by ``PRAGMA user_version``, all or nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from runlog_events import finished, started

from umi_cli.errors import UmiError
from umi_cli.runlog import LoggedRun, RunLog
from umi_cli.runlog.migrations import MIGRATIONS, migrate, schema_version


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def add_rating(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE runs ADD COLUMN rating INTEGER")


def test_a_fresh_log_has_every_migration(tmp_path: Path) -> None:
    with RunLog(tmp_path / "logs.db"):
        pass
    db = connect(tmp_path / "logs.db")
    assert schema_version(db) == len(MIGRATIONS) >= 1
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "run_tools"} <= tables


def test_a_later_migration_adds_a_column_and_keeps_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    with RunLog(path) as log:
        run_id = log.record(LoggedRun.from_events([started("kept"), finished()]))
    db = connect(path)
    later = (*MIGRATIONS, add_rating)
    assert migrate(db, str(path), later) == len(later)
    assert migrate(db, str(path), later) == len(later)  # nothing left to do
    columns = [row[1] for row in db.execute("PRAGMA table_info(runs)")]
    assert columns[-1] == "rating"
    assert db.execute("SELECT task, rating FROM runs WHERE id = ?", (run_id,)).fetchone() == (
        "kept",
        None,
    )


def test_a_log_from_a_newer_umi_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    with RunLog(path):
        pass
    db = connect(path)
    migrate(db, str(path), (*MIGRATIONS, add_rating))
    db.close()
    newer = len(MIGRATIONS) + 1
    with pytest.raises(UmiError, match=rf"logs\.db: the run log has schema version {newer}, newer"):
        RunLog(path)


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    db = connect(path)

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half (x INTEGER)")
        raise RuntimeError("migration bug")

    with pytest.raises(RuntimeError, match="migration bug"):
        migrate(db, str(path), (*MIGRATIONS, broken))
    assert schema_version(db) == 0
    assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def test_a_version_1_log_gains_command_and_prompt_format(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    db = connect(path)
    migrate(db, str(path), MIGRATIONS[:1])  # the log as the first umi wrote it
    db.execute(
        "INSERT INTO runs (started_at, version, profile, mode, task, tools, outcome, steps, "
        "attempts, calls, tokens, prompt_tokens, seconds, memory, documents, events) VALUES "
        "('2025-01-01T00:00:00.000000+00:00', '0.1.0', 'pocket', 'alpha-umi', 'old', '[]', "
        "'answered', 1, 1, 0, 5, 50, 1.0, '[]', '[]', '[]')"
    )
    db.close()
    with RunLog(path) as log:
        old = log.get(1)
        assert (old.task, old.command, old.prompt_format) == ("old", "", "")
        assert not old.alpha_umi_prompts
        new = log.record(
            LoggedRun.from_events(
                [started("new"), finished()], command="chat", prompt_format="alpha-umi"
            )
        )
        assert (log.get(new).command, log.get(new).alpha_umi_prompts) == ("chat", True)
        assert [s.command for s in log.list()] == ["chat", ""]
    assert schema_version(connect(path)) == len(MIGRATIONS) == 2
