"""Scores of a task's calls, ComplexEval's run rules, aggregation and the leaderboard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from umi_cli.eval.complexfuncbench.data import Task, parse_functions, parse_tasks
from umi_cli.eval.complexfuncbench.metrics import (
    LEADERBOARD,
    LEADERBOARD_NOTE,
    TaskScore,
    aggregate,
    score_calls,
)
from umi_cli.eval.complexfuncbench.tools import tool_defs
from umi_cli.tools.toolset import ToolDef

FIXTURE = Path(__file__).with_name("complexfuncbench_fixture.json")
LOCATION = ("Search_Car_Location", {"query": "Hotel Alpha"})
RENTAL = (
    "Search_Car_Rentals",
    {
        "pick_up_latitude": 32.873055,
        "pick_up_longitude": -117.215935,
        "pick_up_date": "2024-10-14",
        "pick_up_time": "08:00",
        "drop_off_date": "2024-10-15",
    },
)
WRONG_RENTAL = ("Search_Car_Rentals", dict(RENTAL[1], pick_up_date="2024-10-16"))
DETAILS = ("Vehicle_Details", {"vehicle_id": "684697826", "search_key": "eyJkcml2ZXJzQWdlIjozMH0="})

Call = tuple[str, dict[str, Any]]


def setting() -> tuple[Task, list[ToolDef]]:
    raw = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return parse_tasks(raw["data"])[0], tool_defs(parse_functions(raw["spec"]))


def score(calls: list[Call]) -> TaskScore:
    task, tools = setting()
    return score_calls(task, calls, tools)


def test_all_reference_calls_in_order_succeed() -> None:
    result = score([LOCATION, RENTAL, DETAILS])
    assert result.success and result.complexeval_success
    assert result.call_accuracy == 1.0 and result.precision == 1.0
    assert (result.calls, result.matched, result.wasted, result.repeated) == (3, 3, 0, 0)
    assert result.complexeval_matched == 3


def test_one_wrong_call_fails() -> None:
    result = score([LOCATION, WRONG_RENTAL, DETAILS])
    assert not result.success and not result.complexeval_success
    assert result.matched == 1 and result.missed == 2
    assert result.call_accuracy == pytest.approx(1 / 3)
    assert result.precision == pytest.approx(1 / 3)


def test_recovery_after_a_wrong_call_counts_for_us_not_for_complexeval() -> None:
    result = score([LOCATION, WRONG_RENTAL, RENTAL, DETAILS])
    assert result.success and result.call_accuracy == 1.0
    assert result.precision == pytest.approx(3 / 4) and result.wasted == 1
    assert not result.complexeval_success and result.complexeval_matched == 1


def test_invalid_calls_do_not_end_a_complexeval_run() -> None:
    invalid = ("Search_Car_Rentals", {"pick_up_date": "2024-10-14"})
    result = score([LOCATION, invalid, RENTAL, DETAILS])
    assert result.invalid == 1 and result.success and result.complexeval_success
    assert result.precision == pytest.approx(3 / 4)


def test_repeats_cost_precision_and_a_call_after_the_last_fails_complexeval() -> None:
    result = score([LOCATION, LOCATION, RENTAL, DETAILS, DETAILS])
    assert result.repeated == 2 and result.matched == 3 and result.success
    assert result.precision == pytest.approx(3 / 5)
    assert not result.complexeval_success and result.complexeval_matched == 3


def test_lookups_are_optional_for_complexeval_only() -> None:
    result = score([RENTAL, DETAILS])
    assert not result.success and result.complexeval_success
    assert result.call_accuracy == pytest.approx(2 / 3) and result.precision == 1.0


def test_no_calls() -> None:
    result = score([])
    assert not result.success and result.precision == 0.0 and result.call_accuracy == 0.0


def test_aggregate_pools_calls_over_tasks() -> None:
    summary = aggregate([score([LOCATION, RENTAL, DETAILS]), score([LOCATION, WRONG_RENTAL])])
    assert summary.tasks == 2
    assert summary.success_rate == 0.5
    assert summary.call_accuracy == pytest.approx(4 / 6)
    assert summary.precision == pytest.approx(4 / 5)
    assert summary.complexeval_success_rate == 0.5
    assert summary.complexeval_call_accuracy == pytest.approx(4 / 6)
    assert (summary.reference_calls, summary.calls, summary.matched) == (6, 5, 4)
    assert summary.wasted == 1 and summary.repeated == 0
    empty = aggregate([])
    assert empty.tasks == 0 and empty.success_rate == 0.0


def test_published_leaderboard() -> None:
    rows = {row.model: (row.success_rate_pct, row.call_accuracy_pct) for row in LEADERBOARD}
    assert rows == {
        "Claude-3.5-Sonnet": (61.00, 79.27),
        "GPT-4o": (60.50, 80.55),
        "GPT-4-Turbo": (49.50, 71.38),
        "Qwen2.5-72B": (40.10, 58.32),
        "GLM-4-9B": (9.40, 27.97),
        "Qwen2.5-7B": (5.0, 18.19),
        "Llama-3.1-8B": (0.10, 1.34),
    }
    assert "LLM judge" in LEADERBOARD_NOTE and "rule-based" in LEADERBOARD_NOTE
