"""One ComplexFuncBench task end to end: a mode runs the request over the replay toolset.

The agent sees the 40 functions exactly as it sees any toolset and calls them through the same
toolbox and guards as in real use; the replay answers from the task's recorded responses, and
what it recorded is scored. The record keeps the whole event stream (tokens aside).
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence
from typing import Any

from umi_cli.agent.agent import Agent
from umi_cli.agent.events import RunFinished, TokenDelta
from umi_cli.agent.modes.base import Mode
from umi_cli.agent.options import RunOptions
from umi_cli.eval.complexfuncbench.data import Task
from umi_cli.eval.complexfuncbench.metrics import (
    LEADERBOARD,
    LEADERBOARD_NOTE,
    TaskScore,
    aggregate,
    score_task,
)
from umi_cli.eval.complexfuncbench.replay import ReplayToolset
from umi_cli.tools.toolbox import Toolbox
from umi_cli.tools.toolset import ToolDef


def run_task(
    task: Task, mode: Mode, tools: Sequence[ToolDef], options: RunOptions, profile: str
) -> dict[str, Any]:
    """The predictions-file record of one task."""
    replay = ReplayToolset(task, tools)
    with Toolbox([replay]) as toolbox:
        agent = Agent(mode=mode, toolbox=toolbox, options=options, profile=profile)
        events = [event for event in agent.run(task.query) if not isinstance(event, TokenDelta)]
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    score = score_task(task, replay.records)
    return {
        "id": str(task.id),
        "query": task.query,
        "outcome": finished.outcome,
        "answer": finished.answer,
        "error": finished.error,
        "scores": _scores(score),
        "steps": finished.steps,
        "tokens": finished.totals.generated_tokens,
        "prompt_tokens": finished.totals.prompt_tokens,
        "seconds": round(finished.wall_seconds, 3),
        "calls": [
            {
                "name": record.name,
                "arguments": record.arguments,
                "outcome": record.outcome,
                "label": record.label,
            }
            for record in replay.records
        ],
        "events": [event.to_dict() for event in events],
    }


def _scores(score: TaskScore) -> dict[str, Any]:
    """The score's fields and the figures derived from them."""
    return {
        **dataclasses.asdict(score),
        "success": score.success,
        "call_accuracy": score.call_accuracy,
        "precision": score.precision,
        "wasted": score.wasted,
    }


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Overall figures (percent, as the benchmark reports them) and per-task means/medians."""
    names = [field.name for field in dataclasses.fields(TaskScore)]
    summary = aggregate([TaskScore(**{n: r["scores"][n] for n in names}) for r in records])
    seconds = [record["seconds"] for record in records]
    answered = sum(record["outcome"] == "answered" for record in records)
    return {
        "tasks": summary.tasks,
        "success_rate": 100 * summary.success_rate,
        "call_accuracy": 100 * summary.call_accuracy,
        "precision": 100 * summary.precision,
        "complexeval_success_rate": 100 * summary.complexeval_success_rate,
        "complexeval_call_accuracy": 100 * summary.complexeval_call_accuracy,
        "answered": 100 * answered / len(records) if records else None,
        "reference_calls": summary.reference_calls,
        "calls": summary.calls,
        "matched": summary.matched,
        "repeated": summary.repeated,
        "wasted": summary.wasted,
        "invalid": summary.invalid,
        "mean_steps": statistics.fmean(r["steps"] for r in records) if records else None,
        "mean_tokens": statistics.fmean(r["tokens"] for r in records) if records else None,
        "median_seconds": statistics.median(seconds) if seconds else None,
        "failed": sum(1 for record in records if record["outcome"] == "failed"),
    }


def leaderboard() -> dict[str, Any]:
    """The published rows (all 1,000 tasks) with the note on how their matching differs."""
    return {
        "rows": {
            row.model: {
                "success_rate": row.success_rate_pct,
                "call_accuracy": row.call_accuracy_pct,
            }
            for row in LEADERBOARD
        },
        "note": LEADERBOARD_NOTE,
    }
