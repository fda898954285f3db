"""GLPFT and ToolBench exports of logged runs: items that render back to their own input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from runlog_events import (
    DOCUMENTS,
    finished,
    retry_events,
    started,
    turn_events,
)

from umi_cli.agent import format as fmt
from umi_cli.eval.steps import load_trajectories, step_samples
from umi_cli.runlog import LoggedRun, RunLog
from umi_cli.runlog.glpft import (
    SETS,
    dump,
    glpft_sets,
    run_items,
    select,
    toolbench_item,
    write_glpft,
    write_toolbench,
)
from umi_cli.runlog.turns import conversation

CALL = 'Action: search_artist_for_deezer\nAction Input: {\n  "q": "Daft Punk"\n}'
OBSERVATION = '{"data": [{"id": 27, "name": "Daft Punk"}]}'
ANSWER = "Daft Punk's id is **27**."
MEMORY = [{"from": "user", "value": "Hi"}, {"from": "conclusion", "value": "Hello!"}]
TURNS = [
    {"from": "assistant", "value": "I should search the artist.\n Next: caller."},
    {"from": "caller", "value": CALL},
    {"from": "observation", "value": OBSERVATION},
    {"from": "assistant", "value": "The id is 27.\n\n Next: conclusion."},
    {"from": "conclusion", "value": ANSWER},
]
CANDIDATES = [fmt.retry_candidate("artist_albums_for_deezer", '{"is_id": 1}', "error 500")]
FIRST_ATTEMPT = [
    {"from": "assistant", "value": "Guess.\n Next: caller."},
    {"from": "caller", "value": 'Action: artist_albums_for_deezer\nAction Input: {"is_id": 1}'},
    {"from": "observation", "value": "error 500"},
    {"from": "assistant", "value": "It fails.\n Next: give up."},
]


def answered(task: str = "Daft Punk's id?", role: str = "planner", **kwargs: object) -> LoggedRun:
    events = [started(task), *turn_events(TURNS, role=role), finished(answer=ANSWER, steps=2)]
    options: dict = {"documents": DOCUMENTS, **kwargs}
    return LoggedRun.from_events(events, "pocket", "alpha-umi", MEMORY, **options)


def retried() -> LoggedRun:
    events = [
        started("Daft Punk's id?"),
        *turn_events(FIRST_ATTEMPT),
        *retry_events(CANDIDATES, 2),
        *turn_events(TURNS, attempt=2),
        finished(answer=ANSWER, steps=4),
    ]
    return LoggedRun.from_events(events, documents=DOCUMENTS)


def rendered(name: str, item: dict) -> str:
    """The prompt format.py renders for an item's tools and history."""
    tools, history = item["tools"], item["history"]
    if name == "train_planner":
        return fmt.planner_prompt(tools, history)
    if name == "train_caller":
        return fmt.caller_prompt(tools, history, history[-1]["value"])
    if name == "train_summarizer":
        return fmt.summarizer_prompt(history)
    return fmt.backbone_prompt(tools, history)


def test_every_item_renders_back_to_its_input() -> None:
    sets = run_items(answered())
    assert {name: len(items) for name, items in sets.items()} == {
        "train_planner": 2, "train_caller": 1, "train_summarizer": 1, "train_backbone": 2,
    }  # fmt: skip
    for name, items in sets.items():
        for item in items:
            assert list(item) == ["tools", "history", "input", "target"]
            assert item["input"] == rendered(name, item)
            assert item["tools"] == DOCUMENTS
            assert item["history"][:3] == [*MEMORY, {"from": "user", "value": "Daft Punk's id?"}]


def test_targets_and_histories() -> None:
    sets = run_items(answered())
    opening = [*MEMORY, {"from": "user", "value": "Daft Punk's id?"}]
    planner = sets["train_planner"]
    assert [item["target"] for item in planner] == [TURNS[0]["value"], TURNS[3]["value"]]
    assert [item["history"] for item in planner] == [opening, opening + TURNS[:3]]
    caller = sets["train_caller"][0]
    assert (caller["history"], caller["target"]) == (opening + TURNS[:1], CALL)
    assert caller["input"].endswith("The thought of this step is:\n" + TURNS[0]["value"] + (
        "\nBase on the thought make an api call in the following format:\nAction: the name of api "
        "that should be called in this step, should be exactly in [search_artist_for_deezer, "
        "artist_albums_for_deezer],\nAction Input: the api call request. caller: "
    ))  # fmt: skip
    summarizer = sets["train_summarizer"][0]
    assert (summarizer["history"], summarizer["target"]) == (opening + TURNS[:4], ANSWER)
    assert [item["target"] for item in sets["train_backbone"]] == [
        "I should search the artist.\n" + CALL,
        "The id is 27.\nconclusion: " + ANSWER,
    ]


def test_a_retry_starts_from_the_task_and_the_retry_turn() -> None:
    sets = run_items(retried())
    task = {"from": "user", "value": "Daft Punk's id?"}
    retry = {"from": "user", "value": fmt.retry_turn(CANDIDATES)}
    planner = sets["train_planner"]
    assert len(planner) == 4
    assert planner[1]["target"].endswith("Next: give up.")
    assert planner[2]["history"] == [task, retry]
    assert planner[3]["history"] == [task, retry, *TURNS[:3]]
    assert sets["train_backbone"][1]["target"] == "It fails.\nconclusion: give up."
    for name, items in sets.items():
        assert all(item["input"] == rendered(name, item) for item in items)


def test_a_retry_event_may_carry_the_former_observation() -> None:
    events = [started("t"), *retry_events(CANDIDATES, 2, "error 500"), finished()]
    retry = conversation(events)[1]["value"]
    assert retry == fmt.retry_turn(CANDIDATES, "error 500")
    assert "again, your former observation: error 500\n" in retry


def test_a_backbone_run_gives_the_same_items() -> None:
    assert run_items(answered(role="backbone")) == run_items(answered())


def test_a_run_without_documents_gives_only_summarizer_items() -> None:
    run = answered(documents=[])
    sets = run_items(run)
    assert [len(sets[name]) for name in SETS] == [0, 0, 1, 0]


def test_a_cut_off_run_gives_the_items_it_has() -> None:
    events = [started("t"), *turn_events(TURNS[:1]), finished("failed", None)]
    sets = run_items(LoggedRun.from_events(events, documents=DOCUMENTS))
    assert [len(sets[name]) for name in SETS] == [1, 0, 0, 0]  # no call: no backbone target


def test_select_filters_answered_runs_by_default(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    with RunLog(tmp_path / "logs.db") as log:
        old = log.record(answered("old", started_at=now - timedelta(days=3)))
        new = log.record(answered("new", started_at=now))
        gave_up = LoggedRun.from_events(
            [started("g"), *turn_events(FIRST_ATTEMPT), finished("gave_up", None)],
            documents=DOCUMENTS,
        )
        failed = log.record(gave_up)
        assert [run.id for run in select(log)] == [old, new]
        assert [run.id for run in select(log, outcome=None)] == [old, new, failed]
        assert [run.id for run in select(log, since=now - timedelta(days=1))] == [new]
        assert [run.id for run in select(log, tool="deezer")] == [old, new]
        assert list(select(log, tool="open_meteo")) == []
        counts = write_glpft(select(log), tmp_path / "out")
    assert counts == {
        "train_planner": 4, "train_caller": 2, "train_summarizer": 2, "train_backbone": 4,
    }  # fmt: skip
    for name in SETS:
        text = (tmp_path / "out" / f"{name}.json").read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2)  # the authors' layout
        assert len(json.loads(text)) == counts[name]


def test_the_stored_run_exports_like_the_fresh_one(tmp_path: Path) -> None:
    run = answered()
    with RunLog(tmp_path / "logs.db") as log:
        stored = log.get(log.record(run))
    assert glpft_sets([stored]) == glpft_sets([run])
    assert dump(glpft_sets([stored])["train_planner"]).isascii()


def test_toolbench_export_is_read_by_the_step_evaluation(tmp_path: Path) -> None:
    path = tmp_path / "toolbench.json"
    assert write_toolbench([answered(), retried()], path) == 2
    trajectories = load_trajectories(path)
    first = trajectories[0]
    assert first["instruction"] == "Daft Punk's id?" and first["tools"] == DOCUMENTS
    assert first["conversations"] == [*MEMORY, {"from": "user", "value": "Daft Punk's id?"}, *TURNS]
    samples = step_samples(trajectories)
    assert [sample.decision for sample in samples] == [
        "caller", "conclusion", "caller", "give up", "caller", "conclusion",
    ]  # fmt: skip
    assert samples[0].call is not None
    assert (samples[0].call.api, samples[0].call.arguments) == (
        "search_artist_for_deezer", {"q": "Daft Punk"},
    )  # fmt: skip
    assert samples[1].answer == ANSWER
    retry_turn = trajectories[1]["conversations"][5]
    assert retry_turn == {"from": "user", "value": fmt.retry_turn(CANDIDATES)}


def test_toolbench_conversation_matches_the_fold() -> None:
    run = retried()
    assert toolbench_item(run)["conversations"] == conversation(run.events, run.memory)
    assert len(conversation(run.events)) == 1 + len(FIRST_ATTEMPT) + 1 + len(TURNS)


@pytest.mark.parametrize("kind", ["check", "reflection", "proposal", "step_budget"])
def test_other_events_add_no_turn(kind: str) -> None:
    plain = answered()
    events = list(plain.events)
    events.insert(2, {"event": kind, "step": 1, "text": "ignored by the fold"})
    noisy = LoggedRun.from_events(events, "pocket", "alpha-umi", MEMORY, documents=DOCUMENTS)
    assert run_items(noisy) == run_items(plain)
