"""The authors' training items, replayed as logged runs, export to themselves byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from runlog_events import golden_run, load

from umi_cli.agent.format import CONTROL_SEPARATOR
from umi_cli.runlog import LoggedRun, RunLog
from umi_cli.runlog.glpft import run_items

#: Backbone items whose input the authors cut short (FORMAT.md §2: trailing turns dropped).
BACKBONE_CUT_INPUTS = [6, 31, 36, 41, 60, 74]


def as_run(item: dict[str, Any], last: list[dict[str, str]], role: str = "planner") -> LoggedRun:
    memory, events = golden_run(item["history"], last, role)
    return LoggedRun.from_events(events, "pocket", "alpha-umi", memory, documents=item["tools"])


def backbone_can_say(item: dict[str, Any]) -> bool:
    """Whether every planner text of the item has the layout the backbone mode writes."""
    texts = [turn["value"] for turn in item["history"] if turn["from"] == "assistant"]
    return all(f"{CONTROL_SEPARATOR}Next: " in text for text in [*texts, item["target"]])


def key(tools: list[dict[str, Any]], history: list[dict[str, str]]) -> str:
    return json.dumps([tools, history])


@pytest.mark.parametrize("role", ["planner", "backbone"])
def test_planner_items_export_to_themselves(tmp_path: Path, role: str) -> None:
    items = load("golden/train_planner.json")
    assert len(items) == 79
    if role == "backbone":  # its phrase is always "\n Next: ..."; 6 items have " Next: caller."
        items = [item for item in items if backbone_can_say(item)]
        assert len(items) == 73
    with RunLog(tmp_path / "logs.db") as log:  # through the store: JSON round trip included
        ids = [
            log.record(as_run(item, [{"from": "assistant", "value": item["target"]}], role))
            for item in items
        ]
        exported = [run_items(log.get(run_id))["train_planner"][-1] for run_id in ids]
    assert [
        i for i, (got, gold) in enumerate(zip(exported, items, strict=True)) if got != gold
    ] == []


@pytest.mark.parametrize(("name", "kind"), [("caller", "caller"), ("summarizer", "conclusion")])
def test_caller_and_summarizer_items_export_to_themselves(name: str, kind: str) -> None:
    items = load(f"golden/train_{name}.json")
    exported = [
        run_items(as_run(item, [{"from": kind, "value": item["target"]}]))[f"train_{name}"][-1]
        for item in items
    ]
    assert [
        i for i, (got, gold) in enumerate(zip(exported, items, strict=True)) if got != gold
    ] == []
    assert len(items) == {"caller": 59, "summarizer": 14}[name]


def test_backbone_items_export_to_themselves() -> None:
    planner = load("golden/train_planner.json")
    backbone = load("backbone/train_backbone.json")
    following = {
        key(item["tools"], item["history"]): {"from": kind, "value": item["target"]}
        for name, kind in (("caller", "caller"), ("summarizer", "conclusion"))
        for item in load(f"golden/train_{name}.json")
    }
    exported = []
    for item in planner:
        turn = {"from": "assistant", "value": item["target"]}
        after = following.get(key(item["tools"], [*item["history"], turn]))
        run = as_run(item, [turn, after] if after else [turn])
        exported.append(run_items(run)["train_backbone"][-1])
    assert [got["target"] for got in exported] == [gold["target"] for gold in backbone]
    assert [got["history"] for got in exported] == [gold["history"] for gold in backbone]
    cut = [i for i, (got, gold) in enumerate(zip(exported, backbone, strict=True)) if got != gold]
    assert cut == BACKBONE_CUT_INPUTS
    for index in cut:  # the authors' input is our input for a prefix of the same history
        assert len(backbone[index]["input"]) < len(exported[index]["input"])
