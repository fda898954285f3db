"""Event streams for the run-log tests, as ``umi run --json`` prints them, built from turns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from umi_cli.agent import format as fmt

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "alpha-umi"

Event = dict[str, Any]
Turn = dict[str, str]

DOCUMENTS: list[dict[str, Any]] = [
    {
        "Name": "search_artist_for_deezer",
        "function": 'This is the subfunction for tool "deezer", you can use this tool.'
        'The description of this function is: "Search artists by name"',
        "input": {"q": "string, the artist name"},
    },
    {
        "Name": "artist_albums_for_deezer",
        "function": 'This is the subfunction for tool "deezer", you can use this tool.',
        "input": {"is_id": "integer, the artist id"},
    },
]
TOOLS = [doc["Name"] for doc in DOCUMENTS]


def load(name: str) -> list[dict[str, Any]]:
    """A file of the authors' data, or a skip when it is not there."""
    path = DATA / name
    if not path.exists():
        pytest.skip(f"reference data not found at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def stats(generated: int = 10) -> dict[str, Any]:
    return {
        "prompt_tokens": 100,
        "cached_tokens": 0,
        "generated_tokens": generated,
        "prompt_seconds": 0.1,
        "generation_seconds": 0.2,
    }


def started(task: str, tools: list[str] | None = None, profile: str = "pocket") -> Event:
    return {
        "event": "run_started",
        "task": task,
        "profile": profile,
        "tools": TOOLS if tools is None else tools,
        "attempt": 1,
    }


def turn_event(turn: Turn, step: int, attempt: int = 1, role: str = "planner") -> Event:
    """The event that adds ``turn`` (an assistant, caller, observation or conclusion turn)."""
    kind, value = turn["from"], turn["value"]
    if kind == "assistant":
        decision = fmt.parse_planner(value).decision
        # A backbone's planner event carries the thought alone; the fold adds the phrase back.
        phrase = f"{fmt.CONTROL_SEPARATOR}Next: {decision}."
        text = value.removesuffix(phrase) if role == "backbone" else value
        return {
            "event": "planner", "step": step, "attempt": attempt, "member": None, "role": role,
            "text": text, "decision": decision, "stats": stats(), "truncated": False,
        }  # fmt: skip
    if kind == "caller":
        call = fmt.parse_caller(value)
        return {
            "event": "call", "step": step, "attempt": attempt, "member": None, "api": call.name,
            "arguments": call.arguments_dict() or {}, "raw": value, "stats": stats(),
            "truncated": False,
        }  # fmt: skip
    if kind == "observation":
        return {
            "event": "observation", "step": step, "attempt": attempt, "api": "x", "ok": True,
            "status": 200, "text": value, "size": len(value), "seconds": 0.01,
            "reused_from": None,
        }  # fmt: skip
    if kind == "conclusion":
        return {
            "event": "answer", "step": step, "attempt": attempt, "text": value,
            "stats": stats(), "truncated": False,
        }  # fmt: skip
    raise ValueError(f"no event adds a {kind!r} turn")


def turn_events(turns: list[Turn], attempt: int = 1, role: str = "planner") -> list[Event]:
    """Events for ``turns``; each planner turn starts a step."""
    events, step = [], 0
    for turn in turns:
        step += turn["from"] == "assistant"
        events.append(turn_event(turn, max(step, 1), attempt, role))
    return events


def retry_events(
    candidates: list[dict[str, Any]], attempt: int, former_observation: str | None = None
) -> list[Event]:
    retry: Event = {"event": "retry", "attempt": attempt, "previous_candidates": candidates}
    if former_observation is not None:
        retry["former_observation"] = former_observation
    return [{"event": "gave_up", "reason": "no luck", "attempt": attempt - 1}, retry]


def finished(outcome: str = "answered", answer: str | None = "done", steps: int = 1) -> Event:
    return {
        "event": "run_finished",
        "outcome": outcome,
        "answer": answer,
        "steps": steps,
        "attempts": 1,
        "totals": stats(42),
        "wall_seconds": 1.5,
        "error": None if outcome != "failed" else "cancelled",
    }


FORMER = "\nagain, your former observation: "


def retry_fields(text: str) -> tuple[list[dict[str, Any]], str | None] | None:
    """The candidates and former observation of a retry turn that ``retry_turn`` rewrites."""
    head, tail = "candidates:\n", "\nRemember you are"
    try:
        listed = text[text.index(head) + len(head) : text.index(tail)]
    except ValueError:
        return None
    former = None
    if FORMER in listed:
        listed, former = listed.split(FORMER, 1)
        former = former.removesuffix("\n")
    candidates = json.loads(listed)
    return (candidates, former) if fmt.retry_turn(candidates, former) == text else None


def golden_run(
    history: list[Turn], last: list[Turn], role: str = "planner"
) -> tuple[list[Turn], list[Event]]:
    """Memory and events that give ``history`` and then the ``last`` turns, as a run would.

    The task is the last user turn; a second user turn that ``retry_turn`` reproduces becomes a
    retry event; otherwise every turn before the last user turn is chat memory. With ``role``
    ``"backbone"`` the planner events carry the thought alone, as the single-model mode emits.
    """
    users = [index for index, turn in enumerate(history) if turn["from"] == "user"]
    task_at = users[-1]
    memory: list[Turn] = []
    events: list[Event] = [started(history[0]["value"])]
    retry = retry_fields(history[1]["value"]) if task_at == 1 else None
    if retry is not None:
        events += retry_events(retry[0], 2, retry[1])
    elif task_at > 0:
        memory = history[:task_at]
        events = [started(history[task_at]["value"])]
    turns = history[task_at + 1 :] + last
    events += turn_events(turns, attempt=2 if retry else 1, role=role)
    return memory, [*events, finished()]


def typed_run(task: str, answer: str = "Daft Punk has id 27.") -> list[Any]:
    """The typed events (``umi_cli.agent.events``) of an answered one-call run, tokens included."""
    from umi_cli.agent.events import (
        FinalAnswer,
        Observation,
        PlannerThought,
        RunFinished,
        RunStarted,
        TokenDelta,
        ToolCall,
    )
    from umi_cli.engine.types import CompletionStats

    figures = CompletionStats(100, 20, 10, 0.1, 0.2)
    raw = 'Action: search_artist_for_deezer\nAction Input: {"q": "Daft Punk"}'
    return [
        RunStarted(task=task, profile="pocket", tools=list(TOOLS)),
        TokenDelta(step=1, role="planner", text="Find"),
        PlannerThought(step=1, text="Find the artist.\n Next: caller.", decision="caller",
                       stats=figures),
        ToolCall(step=1, api="search_artist_for_deezer", arguments={"q": "Daft Punk"}, raw=raw,
                 stats=figures),
        Observation(step=1, api="search_artist_for_deezer", ok=True, status=200,
                    text='{"id": 27}', size=10, seconds=0.01),
        PlannerThought(step=2, text="I know it.\n Next: conclusion.", decision="conclusion",
                       stats=figures),
        TokenDelta(step=2, role="summarizer", text="Daft"),
        FinalAnswer(text=answer, stats=figures, step=2),
        RunFinished(outcome="answered", answer=answer, steps=2, attempts=1,
                    totals=CompletionStats(400, 80, 40, 0.4, 0.8), wall_seconds=2.5),
    ]  # fmt: skip
