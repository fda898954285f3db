"""The run log as a consumer: one row per run, from the typed events a run yields."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from runlog_events import DOCUMENTS, TOOLS, typed_run

from umi_cli.agent.dialects import AlphaUmiDialect, ChatDialect
from umi_cli.agent.events import RunStarted
from umi_cli.errors import ConfigError
from umi_cli.runlog import RunLog
from umi_cli.runlog.glpft import run_items
from umi_cli.runlog.writer import (
    NoRunLog,
    RunLogWriter,
    RunSetting,
    prompt_format_of,
    run_logger,
    run_loggers,
)

MEMORY = [{"from": "user", "value": "Hi"}, {"from": "conclusion", "value": "Hello!"}]


def setting(memory: list | None = None) -> RunSetting:
    return RunSetting(
        mode="alpha-umi", documents=DOCUMENTS, memory=memory or [], prompt_format="alpha-umi"
    )


def feed(writer: RunLogWriter, events: list) -> None:
    for event in events:
        writer(event)


def test_one_row_per_run_with_the_json_events(tmp_path: Path) -> None:
    writer = RunLogWriter(setting(), path=tmp_path / "logs.db", command="run")
    events = typed_run("Who is Daft Punk?")
    feed(writer, events)
    writer.close()
    assert len(writer.recorded) == 1
    with RunLog(tmp_path / "logs.db") as log:
        run = log.get(writer.recorded[0])
    expected = [e.to_dict() for e in events if e.name != "token"]
    assert run.events == expected  # exactly the `--json` lines, tokens aside
    assert (run.task, run.profile, run.mode, run.command) == (
        "Who is Daft Punk?", "pocket", "alpha-umi", "run",
    )  # fmt: skip
    assert (run.outcome, run.steps, run.calls, run.tokens, run.seconds) == (
        "answered", 2, 1, 40, 2.5,
    )  # fmt: skip
    assert run.tools == TOOLS and run.documents == DOCUMENTS and run.alpha_umi_prompts
    assert [len(items) for items in run_items(run).values()] == [2, 1, 1, 2]


def test_a_chat_logs_each_turn_with_the_memory_it_started_from(tmp_path: Path) -> None:
    memories = [[], MEMORY]
    asked: list[int] = []

    def current() -> RunSetting:
        asked.append(1)
        return setting(memories[len(asked) - 1])

    with RunLog(tmp_path / "logs.db") as log:
        writer = RunLogWriter(current, log=log, command="chat")
        feed(writer, typed_run("first"))
        feed(writer, typed_run("second"))
        writer.close()
        first, second = (log.get(run_id) for run_id in writer.recorded)
        assert log.list()  # the shared log stays open: the writer did not open it
    assert (first.task, first.memory, second.task, second.memory) == ("first", [], "second", MEMORY)
    assert len(asked) == 2  # asked once per run, when it starts
    assert run_items(second)["train_planner"][0]["history"][:2] == MEMORY


def test_a_run_that_never_finishes_is_logged_unfinished_on_close(tmp_path: Path) -> None:
    writer = RunLogWriter(setting(), path=tmp_path / "logs.db")
    feed(writer, typed_run("cut")[:4])
    assert writer.recorded == []
    feed(writer, typed_run("next")[:1])  # another run starts: the cut one is recorded first
    writer.close()
    with RunLog(tmp_path / "logs.db") as log:
        outcomes = [(s.task, s.outcome) for s in log.list()]
    assert outcomes == [("next", "unfinished"), ("cut", "unfinished")]


def test_events_before_run_started_are_ignored(tmp_path: Path) -> None:
    writer = RunLogWriter(setting(), path=tmp_path / "logs.db")
    feed(writer, typed_run("x")[1:])
    writer.close()
    assert writer.recorded == [] and not (tmp_path / "logs.db").exists()


def test_a_broken_log_warns_once_and_the_run_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    path.write_text("not a database " * 100)
    warnings: list[str] = []
    writer = RunLogWriter(setting(), path=path, warn=warnings.append)
    feed(writer, typed_run("a"))
    feed(writer, typed_run("b"))
    writer.close()
    assert len(warnings) == 1
    assert warnings[0].startswith("umi: warning: the run was not logged: ")
    assert "logs.db: not a readable run log" in warnings[0] and "--no-log" in warnings[0]


def test_a_setting_that_fails_still_logs_the_events(tmp_path: Path) -> None:
    def broken() -> RunSetting:
        raise RuntimeError("agent gone")

    warnings: list[str] = []
    writer = RunLogWriter(broken, path=tmp_path / "logs.db", warn=warnings.append)
    feed(writer, typed_run("t"))
    writer.close()
    with RunLog(tmp_path / "logs.db") as log:
        run = log.get(writer.recorded[0])
    assert (run.task, run.mode, run.documents) == ("t", "", [])
    assert warnings == [
        "umi: warning: the run is logged without its setting (RuntimeError: agent gone)"
    ]


def test_prompt_format_of_the_roles() -> None:
    class Role:
        def __init__(self, dialect: object) -> None:
            self.dialect = dialect

    raw = {name: Role(AlphaUmiDialect()) for name in ("planner", "caller", "summarizer")}
    assert prompt_format_of(raw) == "alpha-umi"
    assert prompt_format_of({"backbone": Role(AlphaUmiDialect(system_prefix=True))}) == "alpha-umi"
    chat = {"planner": Role(ChatDialect("example")), "caller": Role(ChatDialect("example"))}
    assert prompt_format_of(chat) == "chat:example"
    mixed = {"planner": Role(AlphaUmiDialect()), "caller": Role(ChatDialect())}
    assert prompt_format_of(mixed) == "alpha-umi+chat:readable"
    assert prompt_format_of({"x": Role(None)}) == "unknown"


def test_run_setting_of_an_agent() -> None:
    role = SimpleNamespace(dialect=ChatDialect())
    agent = SimpleNamespace(
        mode=SimpleNamespace(name="backbone", roles={"backbone": role}),
        toolbox=SimpleNamespace(documents=lambda: DOCUMENTS),
        memory=MEMORY,
        profile="pocket-1.5b",
    )
    got = RunSetting.of_agent(agent)
    assert got == RunSetting("backbone", DOCUMENTS, MEMORY, "chat:readable", "pocket-1.5b")


def test_run_logger_honours_the_switches(umi_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UMI_NO_LOG", raising=False)
    logger = run_logger(setting(), command="batch")
    assert isinstance(logger, RunLogWriter)
    assert logger.path == umi_home / "data" / "logs.db" and logger.command == "batch"
    assert isinstance(run_logger(setting(), no_log=True), NoRunLog)
    monkeypatch.setenv("UMI_NO_LOG", "1")
    off = run_logger(setting())
    off(RunStarted(task="t", profile="p", tools=[]))
    off.close()
    assert isinstance(off, NoRunLog) and not (umi_home / "data").exists()
    monkeypatch.setenv("UMI_NO_LOG", "0")
    assert isinstance(run_logger(setting()), RunLogWriter)
    (umi_home / "config").mkdir()
    (umi_home / "config" / "settings.yaml").write_text("log: false\n")
    assert isinstance(run_logger(setting()), NoRunLog)


def test_the_log_file_holds_no_token_events(tmp_path: Path) -> None:
    writer = RunLogWriter(setting(), path=tmp_path / "logs.db")
    feed(writer, typed_run("t"))
    writer.close()
    raw = sqlite3.connect(tmp_path / "logs.db").execute("SELECT events FROM runs").fetchone()[0]
    assert '"token"' not in raw and '"Find"' not in raw


def test_run_loggers_read_the_settings_once(
    umi_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UMI_NO_LOG", raising=False)
    make = run_loggers(command="batch")
    (umi_home / "config").mkdir()
    (umi_home / "config" / "settings.yaml").write_text("log: [broken\n")
    writers = [make(setting()) for _ in range(2)]  # one per batch task, no re-read
    for number, writer in enumerate(writers):
        feed(writer, typed_run(f"task {number}"))
        writer.close()
    assert all(isinstance(w, RunLogWriter) and len(w.recorded) == 1 for w in writers)
    with pytest.raises(ConfigError, match=r"settings\.yaml:2: "):
        run_loggers()
