"""The run log: what a run records, how it is found again, removed, and kept free of secrets."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from runlog_events import DOCUMENTS, TOOLS, finished, started, stats, turn_events

from umi_cli import secrets
from umi_cli.errors import UmiError
from umi_cli.runlog import LoggedRun, RunLog
from umi_cli.runlog.model import UNFINISHED

CALL = 'Action: search_artist_for_deezer\nAction Input: {"q": "Daft Punk"}'
TURNS = [
    {"from": "assistant", "value": "Find the artist.\n Next: caller."},
    {"from": "caller", "value": CALL},
    {"from": "observation", "value": '{"id": 27, "name": "Daft Punk"}'},
    {"from": "assistant", "value": "I know it.\n Next: conclusion."},
    {"from": "conclusion", "value": "Daft Punk has id 27."},
]


def answered_events(task: str = "Who is Daft Punk?") -> list[dict]:
    return [
        started(task),
        {"event": "token", "step": 1, "role": "planner", "text": "Find"},
        *turn_events(TURNS),
        {"event": "check", "step": 1, "verdict": "allow", "nested": {"a": [1, 2]}},
        finished("answered", "Daft Punk has id 27.", steps=2),
    ]


def make_run(task: str = "Who is Daft Punk?", started_at: datetime | None = None) -> LoggedRun:
    return LoggedRun.from_events(
        answered_events(task), "pocket", "alpha-umi", [], documents=DOCUMENTS, started_at=started_at
    )


@pytest.fixture
def log(tmp_path: Path) -> Iterator[RunLog]:
    with RunLog(tmp_path / "data" / "logs.db") as opened:
        yield opened


def test_from_events_computes_the_search_columns() -> None:
    run = make_run()
    assert (run.task, run.profile, run.mode, run.outcome) == (
        "Who is Daft Punk?", "pocket", "alpha-umi", "answered",
    )  # fmt: skip
    assert (run.steps, run.attempts, run.calls, run.tokens, run.prompt_tokens) == (2, 1, 1, 42, 100)
    assert (run.tools, run.answer, run.error) == (TOOLS, "Daft Punk has id 27.", None)
    assert run.seconds == 1.5
    assert [e["event"] for e in run.events].count("token") == 0
    assert run.events[-2]["event"] == "check"  # unknown types kept verbatim
    assert run.version
    kept = LoggedRun.from_events(answered_events(), keep_tokens=True)
    assert kept.profile == "pocket" and any(e["event"] == "token" for e in kept.events)


def test_a_run_without_run_finished_is_unfinished() -> None:
    run = LoggedRun.from_events([started("t"), *turn_events(TURNS[:2])])
    assert (run.outcome, run.steps, run.calls, run.answer) == (UNFINISHED, 1, 1, None)


def test_record_and_get_round_trip(log: RunLog) -> None:
    memory = [{"from": "user", "value": "Earlier, ünïcode"}, {"from": "conclusion", "value": "ok"}]
    moment = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    run = LoggedRun.from_events(
        answered_events(), "pocket", "backbone", memory, documents=DOCUMENTS, started_at=moment
    )
    run_id = log.record(run)
    got = log.get(run_id)
    assert got.id == run_id
    assert got.started_at == moment
    assert got.memory == memory and got.documents == DOCUMENTS
    assert got.events == run.events
    assert got == type(run)(**{**run.__dict__, "id": run_id})
    assert log.path.name == "logs.db"


def test_get_an_absent_run_names_it(log: RunLog) -> None:
    with pytest.raises(UmiError, match=r"no run with id 4711 in the run log .*logs\.db"):
        log.get(4711)


def test_list_filters(log: RunLog) -> None:
    now = datetime.now(UTC)
    old = log.record(make_run("Old 100% task", started_at=now - timedelta(days=10)))
    fresh = log.record(make_run("Fresh task_with_underscore", started_at=now))
    gave_up = LoggedRun.from_events(
        [started("Weather?", tools=["forecast_for_open_meteo"]), finished("gave_up", None)],
        documents=[],
    )
    failed = log.record(gave_up)
    assert [s.id for s in log.list()] == [failed, fresh, old]
    assert [s.id for s in log.list(limit=1)] == [failed]
    assert [s.id for s in log.list(outcome="answered")] == [fresh, old]
    assert [s.id for s in log.list(tool="deezer")] == [fresh, old]
    assert [s.id for s in log.list(tool="artist_albums_for_deezer")] == [fresh, old]
    assert [s.id for s in log.list(tool="Open-Meteo")] == [failed]
    assert log.list(tool="meteo") == []  # a tool name is matched whole
    assert [s.id for s in log.list(search="FRESH")] == [fresh]
    assert [s.id for s in log.list(search="100%")] == [old]
    assert [s.id for s in log.list(search="k_w")] == [fresh]
    assert log.list(search="%") and log.list(search="task_") and not log.list(search="x%y")
    assert [s.id for s in log.list(search="id 27")] == [fresh, old]  # the answer
    assert [s.id for s in log.list(since=now - timedelta(days=1))] == [failed, fresh]
    summary = log.list(outcome="gave_up")[0]
    assert (summary.outcome, summary.tools, summary.calls, summary.tokens) == (
        "gave_up", ["forecast_for_open_meteo"], 0, 42,
    )  # fmt: skip


def test_remove_and_remove_before(log: RunLog) -> None:
    now = datetime.now(UTC)
    ids = [log.record(make_run(f"t{n}", started_at=now - timedelta(days=n))) for n in range(5)]
    assert log.remove(ids[0]) == 1
    assert log.remove(ids[0]) == 0
    assert log.remove_before((now - timedelta(days=2, hours=12)).replace(tzinfo=None)) == 2
    assert [s.id for s in log.list()] == [ids[2], ids[1]]
    assert log.list(tool="deezer") and log.remove_before(now + timedelta(seconds=1)) == 2
    count = sqlite3.connect(log.path).execute("SELECT count(*) FROM run_tools").fetchone()[0]
    assert count == 0  # the API names go with their runs


def test_record_redacts_registered_secrets(log: RunLog) -> None:
    canary = "sk-canary-5f3a9e"
    secrets.remember(canary)
    try:
        events = answered_events(f"Use key {canary}")
        events.insert(2, {"event": "reflection", "text": f"it was {canary}", canary: [canary]})
        events[4]["arguments"] = {"key": canary}  # the call
        run = LoggedRun.from_events(
            events,
            "pocket",
            "alpha-umi",
            [{"from": "user", "value": canary}],
            documents=[{**DOCUMENTS[0], "function": canary}],
        )
        run_id = log.record(run)
    finally:
        secrets.forget_all()
    wal = Path(f"{log.path}-wal")
    raw = log.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert canary.encode() not in raw
    got = log.get(run_id)
    assert got.task == "Use key ***"
    assert got.events[3]["arguments"] == {"key": "***"}
    assert got.events[1] == {"event": "reflection", "text": "it was ***", "***": ["***"]}
    assert got.memory[0]["value"] == "***" and got.documents[0]["function"] == "***"


def test_the_log_is_in_wal_mode(log: RunLog) -> None:
    log.record(make_run())
    mode = sqlite3.connect(log.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_a_file_that_is_not_a_log_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    path.write_bytes(b"not a database at all, just text " * 100)
    before = path.read_bytes()
    with pytest.raises(UmiError, match=r"logs\.db: not a readable run log"):
        RunLog(path)
    assert path.read_bytes() == before


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UmiError, match="run log cannot be used"):
        RunLog(tmp_path)


def test_stats_are_kept_inside_events(log: RunLog) -> None:
    got = log.get(log.record(make_run()))
    assert got.events[1]["stats"] == stats()
