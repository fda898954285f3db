"""`umi logs`: list, show, rm, path — the real CLI over a log written by the run-log consumer."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from logged_runs import DOCUMENTS, finish, start_writer, typed_events, write_runs

from umi_cli.runlog import LoggedRun, RunLog


def log_path(home: Path) -> Path:
    return home / "data" / "logs.db"


def test_path_and_an_empty_log(run_umi, umi_home: Path) -> None:
    done = run_umi("logs", "path")
    assert done.returncode == 0 and done.stdout.strip() == str(log_path(umi_home))
    listed = run_umi("logs", "list")
    assert listed.returncode == 0 and "no runs logged yet" in listed.stderr
    assert json.loads(run_umi("logs", "list", "--json").stdout) == []
    shown = run_umi("logs", "show", "1")
    assert shown.returncode == 1
    assert (
        shown.stderr.strip()
        == f"umi: error: no run with id 1: nothing is logged yet in {log_path(umi_home)}"
    )
    assert not log_path(umi_home).exists()  # reading never creates the log
    off = run_umi("logs", "list", env={"UMI_NO_LOG": "1"})
    assert "logging is off: UMI_NO_LOG=1" in off.stderr


def test_list_filters_and_json(run_umi, umi_home: Path) -> None:
    answered = write_runs(umi_home, "music", 2)
    gave_up = write_runs(umi_home, "hopeless", 1, outcome="gave_up")
    done = run_umi("logs", "list")
    assert done.returncode == 0, done.stderr
    header = done.stdout.splitlines()[0].split()
    assert header == ["id", "started", "command", "profile", "mode", "outcome", "steps", "calls",
                      "tokens", "time", "task"]  # fmt: skip
    assert "hopeless 0" in done.stdout and "gave up" in done.stdout and "3.2 s" in done.stdout
    rows = json.loads(run_umi("logs", "list", "--json").stdout)
    assert [row["id"] for row in rows] == [*gave_up, *reversed(answered)]
    first = rows[-1]
    assert (first["task"], first["command"], first["profile"], first["mode"]) == (
        "music 0", "batch", "pocket", "alpha-umi",
    )  # fmt: skip
    assert (first["outcome"], first["steps"], first["calls"], first["tokens"]) == (
        "answered", 2, 1, 48,
    )  # fmt: skip
    assert first["seconds"] == 3.25 and first["tools"] == [d["Name"] for d in DOCUMENTS]

    def ids(*args: str) -> list[int]:
        got = run_umi("logs", "list", "--json", *args)
        assert got.returncode == 0, got.stderr
        return [row["id"] for row in json.loads(got.stdout)]

    assert ids("--outcome", "answered") == list(reversed(answered))
    assert ids("--outcome", "gave-up") == gave_up
    assert ids("--limit", "1") == gave_up
    assert ids("--search", "MUSIC 1") == [answered[1]]
    assert ids("--tool", "deezer") == ids("--tool", "search_artist_for_deezer") == ids()
    assert ids("--tool", "spotify") == []
    assert ids("--since", "1h") == ids() and ids("--since", "2999-01-01") == []
    bad = run_umi("logs", "list", "--outcome", "won")
    assert bad.returncode == 2 and "--outcome won: unknown outcome; choose from" in bad.stderr
    bad = run_umi("logs", "list", "--since", "last tuesday")
    assert bad.returncode == 2 and "--since 'last tuesday': not a date" in bad.stderr


def test_show_renders_the_run_as_the_live_view_did(run_umi, umi_home: Path) -> None:
    [run_id] = write_runs(umi_home, "Daft Punk's id?")
    done = run_umi("logs", "show", str(run_id))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"run {run_id} · " in out and "batch · alpha-umi mode · alpha-umi prompts" in out
    assert "task  Daft Punk's id? 0" in out
    for piece in ("step 1 · planner  → caller", "step 1 · caller  search_artist_for_deezer",
                  "step 1 · observation  ✓ HTTP 200", "step 2 · planner  → conclusion",
                  "answer", "Daft Punk's id is 27.", "answered · 2 steps"):  # fmt: skip
        assert piece in out, piece
    assert "**27**" not in out  # the answer is Markdown, rendered


def test_show_json_is_the_run_with_its_json_events(run_umi, umi_home: Path) -> None:
    [run_id] = write_runs(umi_home, "t")
    done = run_umi("logs", "show", str(run_id), "--json")
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    expected = [e.to_dict() for e in typed_events("t 0") if e.name != "token"]
    assert run["events"] == expected  # what `umi run --json` printed, tokens aside
    assert run["id"] == run_id and run["documents"] == DOCUMENTS and run["memory"] == []
    assert run["prompt_format"] == "alpha-umi" and run["command"] == "batch"
    assert datetime.fromisoformat(run["started_at"]).tzinfo is not None
    absent = run_umi("logs", "show", "999")
    assert absent.returncode == 1 and "no run with id 999 in the run log" in absent.stderr


def test_rm_by_id_and_before(run_umi, umi_home: Path) -> None:
    now = datetime.now(UTC)
    with RunLog(log_path(umi_home)) as log:
        old = [
            log.record(LoggedRun.from_events([e.to_dict() for e in typed_events(f"old {n}")],
                                             started_at=now - timedelta(days=10 + n)))
            for n in range(2)
        ]  # fmt: skip
    fresh = write_runs(umi_home, "fresh", 2)
    missing = run_umi("logs", "rm", str(fresh[0]), "4242")
    assert missing.returncode == 1 and "no run with id 4242" in missing.stderr
    assert len(json.loads(run_umi("logs", "list", "--json").stdout)) == 4  # nothing removed
    done = run_umi("logs", "rm", str(fresh[0]))
    assert done.returncode == 0 and done.stdout.strip() == "removed 1 run"
    day = (now - timedelta(days=5)).astimezone().strftime("%Y-%m-%d")
    done = run_umi("logs", "rm", "--before", day)
    assert done.returncode == 0 and done.stdout.strip() == "removed 2 runs"
    rows = json.loads(run_umi("logs", "list", "--json").stdout)
    assert [row["id"] for row in rows] == [fresh[1]] and old
    usage = run_umi("logs", "rm")
    assert (
        usage.returncode == 2 and "give the ids of the runs to remove, or --before" in usage.stderr
    )


def test_two_writer_processes_at_once(run_umi, umi_home: Path) -> None:
    writers = [start_writer(umi_home, name, 60) for name in ("alpha", "beta")]
    recorded = [finish(writer)[0] for writer in writers]
    rows = json.loads(run_umi("logs", "list", "--json", "--limit", "0").stdout)
    assert sorted(row["id"] for row in rows) == sorted(recorded[0] + recorded[1])
    assert sorted(row["task"] for row in rows) == sorted(
        f"{name} {n}" for name in ("alpha", "beta") for n in range(60)
    )
    db = sqlite3.connect(log_path(umi_home))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_secrets_never_reach_the_log(run_umi, umi_home: Path) -> None:
    canary = "canary-sk-7f1e2d9c4b"
    [run_id] = write_runs(umi_home, "secret", secret=canary)
    data = log_path(umi_home).parent
    raw = b"".join(path.read_bytes() for path in data.iterdir())  # the log, its WAL and index
    assert canary.encode() not in raw
    shown = run_umi("logs", "show", str(run_id), "--json").stdout
    assert canary not in shown and json.loads(shown)["task"] == "secret 0 key=***"


def test_logging_can_be_turned_off(run_umi, umi_home: Path) -> None:
    assert write_runs(umi_home, "quiet", env={"UMI_NO_LOG": "1"}) == []
    settings = umi_home / "config" / "settings.yaml"
    settings.parent.mkdir(parents=True)
    settings.write_text("log: false\n")
    assert write_runs(umi_home, "quiet") == []
    assert not log_path(umi_home).exists()
    settings.write_text("log: sometimes\n")
    broken = start_writer(umi_home, "x")
    _out, err = broken.communicate(timeout=120)
    assert broken.returncode != 0 and "log: must be true or false, got 'sometimes'" in err
    settings.write_text("log: true\n")
    assert len(write_runs(umi_home, "loud")) == 1


def test_an_unreadable_log_is_one_line(run_umi, umi_home: Path) -> None:
    log_path(umi_home).parent.mkdir(parents=True)
    log_path(umi_home).write_text("not a database " * 100)
    done = run_umi("logs", "list")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "not a readable run log" in done.stderr
    writer = start_writer(umi_home, "x")
    recorded, err = finish(writer)  # the run goes on; one warning says it was not logged
    assert recorded == [] and "umi: warning: the run was not logged" in err


def test_show_an_unfinished_chat_turn_from_another_version(run_umi, umi_home: Path) -> None:
    events = [e.to_dict() for e in typed_events("cut short")[:4]]
    events.insert(2, {"event": "from_a_later_umi", "text": "not drawn"})
    memory = [{"from": "user", "value": "Hi"}, {"from": "conclusion", "value": "Hello!"}]
    with RunLog(log_path(umi_home)) as log:
        run_id = log.record(
            LoggedRun.from_events(
                events, memory=memory, command="chat", prompt_format="chat:example"
            )
        )
    done = run_umi("logs", "show", str(run_id))
    assert done.returncode == 0, done.stderr
    assert "chat · alpha-umi mode · chat:example prompts · 2 earlier chat turns" in done.stdout
    assert "step 1 · planner  → caller" in done.stdout and "not drawn" not in done.stdout
    assert "unfinished: the run stopped before its end" in done.stdout
    row = json.loads(run_umi("logs", "list", "--json", "--outcome", "unfinished").stdout)[0]
    assert (row["id"], row["outcome"], row["command"]) == (run_id, "unfinished", "chat")
