"""ToolBench trajectories (α-UMi test format, or `umi run --trace` files) as step samples.

A trajectory is ``{"tools": [...], "instruction": str, "conversations": [{"from", "value"}]}``.
Each planner (``assistant``) turn is one sample (FORMAT.md §7): its history is every turn before
it, its reference decision is read from the control phrase (§4, parsed by ``umi_cli.agent.format``
exactly as predictions are), the reference call is the ``caller`` turn right after it, the
reference answer the ``conclusion`` turn right after it. A planner turn without a control phrase
counts as ``caller`` (the authors' default); when no caller turn follows it, it has no reference
call and so takes part in Plan ACC and Hallu. but not in Act. EM or Arg. F1.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from umi_cli.agent.format import parse_caller, parse_planner
from umi_cli.agent.trace import trajectory_problem
from umi_cli.errors import UsageError
from umi_cli.inputs import parse_json


@dataclass(frozen=True)
class ReferenceCall:
    """A reference ``Action``/``Action Input`` pair; ``arguments`` is None when unparsable."""

    api: str
    arguments: dict[str, Any] | None


@dataclass(frozen=True)
class StepSample:
    """One planner turn of a reference trajectory, with what the roles should produce."""

    id: str
    tools: list[dict[str, Any]]
    history: list[dict[str, str]]
    planner_text: str
    decision: str
    call: ReferenceCall | None = None
    answer: str | None = None

    @property
    def tool_names(self) -> list[str]:
        return [tool["Name"] for tool in self.tools]

    @property
    def forced_history(self) -> list[dict[str, str]]:
        """The history with the reference planner turn (what a teacher-forced answer sees)."""
        return [*self.history, {"from": "assistant", "value": self.planner_text}]


def load_trajectories(path: Path) -> list[dict[str, Any]]:
    """Read a JSON list of trajectories (or one trajectory object, e.g. a trace file)."""
    try:
        data = parse_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; give a ToolBench JSON file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a JSON file ({exc}); give a ToolBench JSON file") from None
    items = [data] if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise UsageError(f"{path}: expected a JSON list of trajectories")
    for index, item in enumerate(items):
        _check_trajectory(path, index, item)
    return items


def _check_trajectory(path: Path, index: int, item: Any) -> None:
    problem = trajectory_problem(item, ("tools", "conversations"))
    if problem is not None:
        raise UsageError(f"{path}: item {index}: {problem}")


def step_samples(trajectories: list[dict[str, Any]]) -> list[StepSample]:
    """Every planner turn of every trajectory, in file order; ids are ``"<item>:<turn>"``."""
    samples = []
    for item_index, item in enumerate(trajectories):
        turns = [{"from": t["from"], "value": t["value"]} for t in item["conversations"]]
        for turn_index, turn in enumerate(turns):
            if turn["from"] != "assistant":
                continue
            following = turns[turn_index + 1] if turn_index + 1 < len(turns) else None
            decision = parse_planner(turn["value"]).decision
            call = answer = None
            if decision == "caller" and following and following["from"] == "caller":
                parsed = parse_caller(following["value"])
                call = ReferenceCall(api=parsed.name, arguments=parsed.arguments_dict())
            if decision == "conclusion" and following and following["from"] == "conclusion":
                answer = following["value"]
            samples.append(
                StepSample(
                    id=f"{item_index}:{turn_index}",
                    tools=item["tools"],
                    history=turns[:turn_index],
                    planner_text=turn["value"],
                    decision=decision,
                    call=call,
                    answer=answer,
                )
            )
    return samples


def select(samples: list[StepSample], limit: int | None, seed: int | None) -> list[StepSample]:
    """The first ``limit`` samples, or with ``seed`` a reproducible random subset of that size."""
    chosen = list(samples)
    if seed is not None:
        random.Random(seed).shuffle(chosen)
    return chosen if limit is None else chosen[:limit]


def prediction(decision: str, planner: str | None, **known: Any) -> dict[str, Any]:
    """A step's prediction record: the decision, the planner text, and what else was predicted
    (``api``, ``arguments``, ``call``, ``answer``; None where nothing was)."""
    empty = {"api": None, "arguments": None, "call": None, "answer": None}
    return {"decision": decision, "planner": planner, **empty, **known}
