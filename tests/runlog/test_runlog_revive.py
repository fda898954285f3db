"""Stored event dicts become the typed events again, nested figures included."""

from __future__ import annotations

import json

import pytest
from runlog_events import typed_run

from umi_cli.agent.events import (
    EVENT_TYPES,
    GaveUp,
    PlannerThought,
    RetryStarted,
    RunFinished,
    StepBudgetReached,
)
from umi_cli.engine.types import CompletionStats
from umi_cli.runlog.revive import event_from_dict, events_from_dicts, stats_from_dict


def every_kind() -> list:
    return [
        *typed_run("t"),
        GaveUp(reason="no luck", attempt=1),
        RetryStarted(attempt=2, previous_candidates=[{"name": "x", "arguments": "{}"}]),
        StepBudgetReached(step=4, max_steps=4, attempt=2),
    ]


def test_every_event_survives_its_json_form() -> None:
    events = every_kind()
    assert {e.name for e in events} <= set(EVENT_TYPES)
    for event in events:
        stored = json.loads(json.dumps(event.to_dict()))
        rebuilt = event_from_dict(stored)
        assert rebuilt == event, event.name
        assert type(rebuilt) is type(event)


def test_nested_stats_are_completion_stats() -> None:
    finished = event_from_dict(typed_run("t")[-1].to_dict())
    assert isinstance(finished, RunFinished) and isinstance(finished.totals, CompletionStats)
    assert finished.totals.tokens_per_second == pytest.approx(50.0)
    thought = event_from_dict({"event": "planner", "step": 1, "text": "x", "decision": "caller"})
    assert isinstance(thought, PlannerThought) and thought.stats == CompletionStats()


def test_what_cannot_be_rebuilt_is_none() -> None:
    assert event_from_dict({"event": "from_the_future", "x": 1}) is None
    assert event_from_dict({"event": "planner", "step": 1}) is None  # fields missing
    assert event_from_dict({}) is None
    extra = event_from_dict({"event": "gave_up", "reason": "r", "attempt": 1, "new_field": 2})
    assert extra == GaveUp(reason="r", attempt=1)
    items = [{"event": "unknown"}, GaveUp("r", 1).to_dict()]
    assert list(events_from_dicts(items)) == [GaveUp("r", 1)]


def test_stats_from_odd_values() -> None:
    assert stats_from_dict(None) == CompletionStats()
    assert stats_from_dict({"prompt_tokens": 3, "later": 1}) == CompletionStats(prompt_tokens=3)
