"""Logged runs for the `logs` and `export` CLI tests: typed events, a writer process, a real run.

``WRITER`` and ``AGENT_RUN`` are scripts run with ``python -c``: they log runs through the run-log
consumer exactly as `run`, `chat` and `batch` do (``run_logger`` + ``RunSetting``), so the tests
need no wiring in those commands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]

DOCUMENTS: list[dict[str, Any]] = [
    {
        "Name": "search_artist_for_deezer",
        "function": 'This is the subfunction for tool "deezer", you can use this tool.'
        'The description of this function is: "Search artists by name"',
        "input": {"q": "string, the artist name"},
    },
    {
        "Name": "forecast_for_open_meteo",
        "function": 'This is the subfunction for tool "open_meteo", you can use this tool.',
        "input": {"city": "string, "},
    },
]
CALL = 'Action: search_artist_for_deezer\nAction Input: {\n  "q": "Daft Punk"\n}'


def typed_events(
    task: str, answer: str = "Daft Punk's id is **27**.", outcome: str = "answered"
) -> list[Any]:
    """A run that calls one API then answers (or gives up), as the agent yields it."""
    from umi_cli.agent.events import (
        FinalAnswer,
        GaveUp,
        Observation,
        PlannerThought,
        RunFinished,
        RunStarted,
        TokenDelta,
        ToolCall,
    )
    from umi_cli.engine.types import CompletionStats

    figures = CompletionStats(120, 0, 12, 0.2, 0.3)
    names = [doc["Name"] for doc in DOCUMENTS]
    events: list[Any] = [
        RunStarted(task=task, profile="pocket", tools=names),
        TokenDelta(step=1, role="planner", text="I"),
        PlannerThought(step=1, text="I should search the artist.\n Next: caller.",
                       decision="caller", stats=figures),
        ToolCall(step=1, api="search_artist_for_deezer", arguments={"q": "Daft Punk"}, raw=CALL,
                 stats=figures),
        Observation(step=1, api="search_artist_for_deezer", ok=True, status=200,
                    text='{"data": [{"id": 27, "name": "Daft Punk"}]}', size=44, seconds=0.02),
    ]  # fmt: skip
    if outcome == "gave_up":
        events += [
            PlannerThought(step=2, text="No luck.\n Next: give up.", decision="give up"),
            GaveUp(reason="the planner gave up", attempt=1),
        ]
        answer_text = None
    else:
        events += [
            PlannerThought(step=2, text="The id is 27.\n Next: conclusion.",
                           decision="conclusion", stats=figures),
            FinalAnswer(text=answer, stats=figures, step=2),
        ]  # fmt: skip
        answer_text = answer
    totals = CompletionStats(480, 0, 48, 0.8, 1.2)
    events.append(RunFinished(outcome=outcome, answer=answer_text, steps=2, attempts=1,
                              totals=totals, wall_seconds=3.25))  # fmt: skip
    return events


#: Logs ``count`` runs named ``<name> <i>``; argv: name, count, prompt format, outcome, secret.
WRITER = textwrap.dedent(
    """
    import sys
    from logged_runs import DOCUMENTS, typed_events
    from umi_cli import secrets
    from umi_cli.runlog.writer import RunSetting, run_logger

    name, count, prompt_format, outcome, secret = sys.argv[1:6]
    if secret:
        secrets.remember(secret)  # as umi does when it reads an API key
    setting = RunSetting(mode="alpha-umi", documents=DOCUMENTS, prompt_format=prompt_format)
    log = run_logger(setting, command="batch")
    for index in range(int(count)):
        task = f"{name} {index}" + (f" key={secret}" if secret else "")
        for event in typed_events(task, outcome=outcome):
            log(event)
    log.close()
    print(list(log.recorded))
    """
)


def start_writer(
    home: Path,
    name: str = "task",
    count: int = 1,
    *,
    prompt_format: str = "alpha-umi",
    outcome: str = "answered",
    secret: str = "",
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """Start a writer process that logs under ``home``."""
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, name, str(count), prompt_format, outcome, secret],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "UMI_HOME": str(home),
            "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(REPO_ROOT)]),
            **(env or {}),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[list[int], str]:
    """Wait for a writer; the ids it recorded and its stderr."""
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out), err


def write_runs(home: Path, name: str = "task", count: int = 1, **options: Any) -> list[int]:
    """Log ``count`` runs under ``home`` through a writer process; the ids it recorded."""
    return finish(start_writer(home, name, count, **options))[0]


#: One real agent run per task (tiny GGUF, loopback tools), logged and printed as `--json`.
#: argv: profile, spec, base URL, tasks...; the tasks share the agent's memory, as a chat.
AGENT_RUN = textwrap.dedent(
    """
    import sys
    from umi_cli.agent.options import RunOptions
    from umi_cli.compose import open_agent
    from umi_cli.engine import BackendPool, PoolSettings
    from umi_cli.runlog.writer import RunSetting, run_logger
    from umi_cli.ui.consumers import Fanout, JsonLinesWriter
    from umi_cli.ui.pump import pump

    profile, spec, url, *tasks = sys.argv[1:]
    options = RunOptions(profile=profile, tools=(spec,), base_urls={"testapi": url}, max_steps=1)
    with BackendPool(PoolSettings()) as pool, open_agent(options, pool) as agent:
        log = run_logger(lambda: RunSetting.of_agent(agent), command="chat")
        consumer = Fanout(JsonLinesWriter(sys.stdout), log)
        try:
            for task in tasks:
                pump(agent.run(task), consumer, cancel=agent.cancel)
        finally:
            consumer.close()
    """
)


def agent_runs(
    home: Path, profile: str, spec: Path, base_url: str, *tasks: str, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run ``tasks`` with a real agent under ``home``, logging them; stdout is `--json`."""
    return subprocess.run(
        [sys.executable, "-c", AGENT_RUN, profile, str(spec), base_url, *tasks],
        cwd=REPO_ROOT,
        env={**os.environ, "UMI_HOME": str(home)},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )
