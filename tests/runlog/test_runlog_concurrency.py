"""Concurrent writers: processes and threads recording at once never lose or corrupt a run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from runlog_events import DOCUMENTS, finished, started, turn_events

from umi_cli.runlog import LoggedRun, RunLog

RUNS_PER_WRITER = 200
REPO_ROOT = Path(__file__).resolve().parents[2]

#: A writer process: opens the log (possibly creating it) and records its runs one by one.
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from runlog_events import DOCUMENTS
    from test_runlog_concurrency import events_for, ready
    from umi_cli.runlog import LoggedRun, RunLog

    name, path, count, peers = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    with RunLog(path, timeout=60) as log:
        ready(path, name, peers)
        for index in range(count):
            log.record(LoggedRun.from_events(events_for(name, index), documents=DOCUMENTS))
    """
)


def ready(path: Path, name: str, peers: int) -> None:
    """Say this writer is ready, then wait until ``peers`` writers are (so that they overlap)."""
    (path.parent / f"{name}.ready").touch()
    deadline = time.monotonic() + 60
    while len(list(path.parent.glob("*.ready"))) < peers and time.monotonic() < deadline:
        time.sleep(0.005)


def events_for(name: str, index: int) -> list[dict]:
    turns = [
        {"from": "assistant", "value": "Go.\n Next: conclusion."},
        {"from": "conclusion", "value": name},
    ]
    return [started(f"{name} {index}"), *turn_events(turns), finished(answer=name)]


def writer_process(name: str, path: Path, peers: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, name, str(path), str(RUNS_PER_WRITER), str(peers)],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(REPO_ROOT)]),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def check_every_run(path: Path, writers: list[str]) -> None:
    with RunLog(path) as log:
        summaries = log.list(limit=None)
        assert len(summaries) == len(writers) * RUNS_PER_WRITER
        tasks = sorted(summary.task for summary in summaries)
        expected = sorted(f"{name} {i}" for name in writers for i in range(RUNS_PER_WRITER))
        assert tasks == expected
        for summary in summaries:
            run = log.get(summary.id)
            name, index = run.task.rsplit(" ", 1)
            assert run.events == events_for(name, int(index))
            assert (run.answer, run.documents, run.calls) == (name, DOCUMENTS, 0)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    tools = db.execute("SELECT count(*) FROM run_tools").fetchone()[0]
    assert tools == len(summaries) * len(started("x")["tools"])


def test_two_processes_write_a_fresh_log_at_once(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"  # not created yet: both processes race to create and migrate it
    processes = {name: writer_process(name, path, 2) for name in ("alpha", "beta")}
    for name, process in processes.items():
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"writer {name} failed: {err}"
    check_every_run(path, list(processes))


def test_threads_sharing_a_log_and_a_process_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    process = writer_process("gamma", path, 2)
    failures: list[BaseException] = []
    with RunLog(path, timeout=60) as shared:

        def write(name: str, own: bool) -> None:
            try:
                log = RunLog(path, timeout=60) if own else shared
                for index in range(RUNS_PER_WRITER):
                    run = LoggedRun.from_events(events_for(name, index), documents=DOCUMENTS)
                    log.record(run)
                if own:
                    log.close()
            except BaseException as exc:  # reported by the main thread
                failures.append(exc)

        names = {"t1": False, "t2": False, "t3": True}
        threads = [threading.Thread(target=write, args=item) for item in names.items()]
        ready(path, "threads", 2)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert failures == []
    check_every_run(path, ["gamma", *names])
