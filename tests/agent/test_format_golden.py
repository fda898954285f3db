"""The α-UMi wire format, checked byte for byte against the authors' training inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from umi_cli.agent import format as fmt

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "alpha-umi"


def load(name: str) -> list[dict]:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"reference data not found at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def render(role: str, item: dict) -> str:
    tools, history = item["tools"], item["history"]
    if role == "planner":
        return fmt.planner_prompt(tools, history)
    if role == "caller":
        thought = [turn for turn in history if turn["from"] == "assistant"][-1]["value"]
        return fmt.caller_prompt(tools, history, thought)
    return fmt.summarizer_prompt(history)


@pytest.mark.parametrize("role", ["planner", "caller", "summarizer"])
def test_golden_inputs_render_byte_for_byte(role: str) -> None:
    items = load(f"golden/train_{role}.json")
    mismatched = [i for i, item in enumerate(items) if render(role, item) != item["input"]]
    assert mismatched == []
    assert len(items) == {"planner": 79, "caller": 59, "summarizer": 14}[role]


def test_backbone_reproduces_73_of_79_and_the_rest_only_drop_trailing_turns() -> None:
    items = load("backbone/train_backbone.json")
    exact = [
        item
        for item in items
        if fmt.backbone_prompt(item["tools"], item["history"]) == item["input"]
    ]
    assert (len(exact), len(items)) == (73, 79)
    for item in items:
        if item in exact:
            continue
        history = item["history"]
        prefixes = [
            k
            for k in range(1, len(history))
            if fmt.backbone_prompt(item["tools"], history[:k]) == item["input"]
        ]
        assert prefixes, "a non-reproducing backbone input is not a prefix of its history"


def test_system_prefix_is_optional() -> None:
    item = load("golden/train_planner.json")[0]
    prompt = fmt.planner_prompt(item["tools"], item["history"], system_prefix=True)
    assert prompt == "system: " + item["input"]


def test_retry_turn_matches_the_training_text() -> None:
    item = load("golden/train_planner.json")[1]
    turn = item["history"][1]["value"]
    start = turn.index("candidates:\n") + len("candidates:\n")
    candidates = json.loads(turn[start : turn.index("\nRemember you are")])
    assert fmt.retry_turn(candidates) == turn


def test_planner_targets_parse_to_themselves() -> None:
    for item in load("golden/train_planner.json"):
        parsed = fmt.parse_planner(item["target"] + "</s>")
        assert parsed.text == item["target"].strip()
        assert item["target"].endswith("Next: " + parsed.decision + ".")


def test_planner_decision_order_and_default() -> None:
    both = fmt.parse_planner("Maybe Next: caller. or Next: give up. trailing")
    assert (both.decision, both.text) == ("give up", "Maybe Next: caller. or Next: give up.")
    assert fmt.parse_planner("x Next: conclusion. Next: caller.").decision == "conclusion"
    default = fmt.parse_planner("  just thinking  ")
    assert (default.decision, default.text) == ("caller", "just thinking Next: caller.")


def test_caller_targets_parse() -> None:
    for item in load("golden/train_caller.json"):
        parsed = fmt.parse_caller(item["target"])
        assert parsed.name in [tool["Name"] for tool in item["tools"]] or parsed.name == "Finish"
        assert parsed.arguments_dict() is not None or parsed.arguments


def test_caller_takes_the_last_action_and_defaults_to_empty_arguments() -> None:
    text = (
        'Action: a_for_x\nAction Input: {"q": 1}\nAction: b_for_x\nAction Input: {"q": 2}</s>junk'
    )
    parsed = fmt.parse_caller(text)
    assert (parsed.name, parsed.arguments_dict()) == ("b_for_x", {"q": 2})
    assert fmt.parse_caller("Action: c_for_x\nAction Input:  ").arguments == "{}"


def test_backbone_outputs_parse() -> None:
    call = fmt.parse_backbone('I will look.\nAction: a_for_x\nAction Input: {"q": 1}</s>')
    assert (call.decision, call.thought, call.call.name) == ("caller", "I will look.", "a_for_x")
    assert fmt.parse_backbone("No luck. conclusion: give up.").decision == "give up"
    done = fmt.parse_backbone("Found it. conclusion: It is sunny.")
    assert (done.decision, done.answer, done.thought) == ("conclusion", "It is sunny.", "Found it.")
