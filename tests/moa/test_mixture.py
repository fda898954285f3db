"""Layers of proposals on tiny models: failed and empty proposals dropped, later layers given
every earlier response as a list, separate token limits, caller agreement, chat memory."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from umi_cli.agent.dialects import ChatDialect
from umi_cli.agent.events import Event, FinalAnswer, TokenDelta
from umi_cli.agent.moa import steps
from umi_cli.agent.moa.layers import Proposer
from umi_cli.agent.moa.prompt import AGGREGATE_PROMPT
from umi_cli.agent.moa.settings import MoaSettings
from umi_cli.agent.moa.team import RoleTeam
from umi_cli.agent.moa_events import LayerDone, Proposal
from umi_cli.agent.role_base import Decoding, Role
from umi_cli.agent.roles import Summarizer
from umi_cli.engine.backend import Backend
from umi_cli.engine.llama import LlamaBackend, open_file
from umi_cli.engine.recording import RecordingBackend
from umi_cli.errors import UmiError

HISTORY = [{"from": "user", "value": "Name a colour."}]


@pytest.fixture(scope="module")
def opened(moa_ggufs: dict[str, Path]) -> Generator[dict[str, LlamaBackend], None, None]:
    models = {
        "chatty": open_file(moa_ggufs["chatty"], 2048),
        "other": open_file(moa_ggufs["other"], 2048),
        "empty": open_file(moa_ggufs["empty"], 2048),
        "cramped": open_file(moa_ggufs["chatty"], 96),  # a long question does not fit
    }
    yield models
    for model in models.values():
        model.close()


def summarizer(backend: Backend, *, max_tokens: int = 16, seed: int | None = 0) -> Summarizer:
    decoding = Decoding(max_tokens=max_tokens, temperature=0.7, seed=seed)
    context = 96 if backend.n_ctx == 96 else 2048
    return Summarizer(backend, ChatDialect(), decoding=decoding, context=context)


def team(proposers: list[Role], aggregator: Role) -> RoleTeam:
    return RoleTeam(
        aggregator, tuple(Proposer(i, role) for i, role in enumerate(proposers)), aggregator
    )


def drain(events: Generator[Event, None, Any]) -> tuple[list[Event], Any]:
    seen: list[Event] = []
    while True:
        try:
            seen.append(next(events))
        except StopIteration as done:
            return seen, done.value


def test_failed_and_empty_proposals_are_shown_and_dropped(opened) -> None:
    recorder = RecordingBackend(opened["chatty"])
    proposers = [
        summarizer(opened["chatty"]),
        summarizer(opened["empty"]),
        summarizer(opened["cramped"]),
        summarizer(opened["other"]),
    ]
    question = [{"from": "user", "value": "Name a colour, one that you like. " * 3}]
    events, answer = drain(
        steps.answer(
            team(proposers, summarizer(recorder, max_tokens=24)), MoaSettings(), 1, question
        )
    )
    proposals = [e for e in events if isinstance(e, Proposal)]
    assert [p.member for p in proposals] == [0, 1, 2, 3]
    assert [p.kept for p in proposals] == [True, False, False, True]
    assert proposals[1].error == "empty response"
    assert "more than the 72 the context of umi-tiny-test leaves" in str(proposals[2].error)
    layer = next(e for e in events if isinstance(e, LayerDone))
    assert (layer.kept, layer.dropped) == ([0, 3], [1, 2])
    streamed = {e.member for e in events if isinstance(e, TokenDelta)}
    assert {0, 3, None} <= streamed  # each proposer's row, then the aggregator's stream
    (aggregated,) = recorder.calls
    kept = [p.text.strip() for p in proposals if p.kept]
    assert f"{AGGREGATE_PROMPT}\n1. {kept[0]}\n2. {kept[1]}<|im_end|>" in aggregated.request.prompt
    assert answer.text and answer.stats.generated_tokens == 24


def test_a_layer_with_nothing_left_stops_the_run(opened) -> None:
    proposers = [summarizer(opened["empty"], seed=s) for s in range(3)]
    with pytest.raises(UmiError, match=r"no answer proposal of layer 1 is left .*empty response"):
        drain(
            steps.answer(team(proposers, summarizer(opened["chatty"])), MoaSettings(), 1, HISTORY)
        )


def test_three_layers_hand_on_lists_of_whole_responses(opened) -> None:
    chatty, other = RecordingBackend(opened["chatty"]), RecordingBackend(opened["other"])
    proposers = [summarizer(chatty, max_tokens=12), summarizer(other, max_tokens=12)]
    aggregator = summarizer(RecordingBackend(opened["chatty"]), max_tokens=16)
    events, _answer = drain(
        steps.answer(team(proposers, aggregator), MoaSettings(layers=3), 1, HISTORY)
    )
    proposals = [e for e in events if isinstance(e, Proposal)]
    assert [(p.layer, p.member) for p in proposals] == [(1, 0), (1, 1), (2, 0), (2, 1)]
    first = [p.text.strip() for p in proposals[:2]]
    second = [p.text.strip() for p in proposals[2:]]
    assert all(len(text) > 1 for text in first)
    block = f"{AGGREGATE_PROMPT}\n1. {first[0]}\n2. {first[1]}<|im_end|>"
    layer_two = [chatty.calls[1].request.prompt, other.calls[1].request.prompt]
    assert all(block in prompt for prompt in layer_two)  # every response, whole, numbered
    assert all("\n3. " not in prompt for prompt in layer_two)  # two references, not characters
    assert AGGREGATE_PROMPT not in chatty.calls[0].request.prompt  # layer 1 saw none
    final = aggregator.backend.calls[0].request.prompt  # type: ignore[attr-defined]
    assert f"{AGGREGATE_PROMPT}\n1. {second[0]}\n2. {second[1]}<|im_end|>" in final


def test_proposer_and_aggregator_token_limits_are_separate(opened) -> None:
    chatty = RecordingBackend(opened["chatty"])
    proposers = [summarizer(chatty, max_tokens=20, seed=s) for s in range(2)]
    aggregator = summarizer(RecordingBackend(opened["chatty"]), max_tokens=40)
    events, answer = drain(steps.answer(team(proposers, aggregator), MoaSettings(), 1, HISTORY))
    proposals = [e for e in events if isinstance(e, Proposal)]
    assert [p.stats.generated_tokens for p in proposals] == [20, 20]
    assert [p.stop_reason for p in proposals] == ["length", "length"]
    assert [call.request.max_tokens for call in chatty.calls] == [20, 20]
    assert aggregator.backend.calls[0].request.max_tokens == 40  # type: ignore[attr-defined]
    assert answer.stats.generated_tokens == 40


def proposal(member: int, text: str, stop_reason: str = "stop") -> Proposal:
    return Proposal(1, "caller", 1, member, "m", text, stop_reason=stop_reason)


def test_a_call_most_proposals_agree_on_is_taken() -> None:
    call = 'Action: current\nAction Input: {"city": "oslo"}'
    same = 'Action: current\nAction Input: {"city":"oslo"}'  # the same arguments as JSON
    other = 'Action: current\nAction Input: {"city": "paris"}'
    names = ["current", "down"]
    assert [p.member for p in steps.agreement([proposal(0, call), proposal(1, other),
                                               proposal(2, same)], names)] == [0, 2]  # fmt: skip
    assert steps.agreement([proposal(0, call), proposal(1, other)], names) == []  # a tie
    assert steps.agreement([proposal(0, call)], names) == []  # one is no agreement
    cut = [proposal(0, call, "length"), proposal(1, call, "length"), proposal(2, other)]
    assert steps.agreement(cut, names) == []  # calls cut at the token limit do not count
    unknown = 'Action: nowhere\nAction Input: {"city": "oslo"}'
    assert steps.agreement([proposal(0, unknown), proposal(1, unknown)], names) == []


def test_in_a_chat_the_answer_becomes_every_proposers_assistant_turn(moa_catalog) -> None:
    from umi_cli.agent.options import RunOptions
    from umi_cli.compose import open_agent
    from umi_cli.engine import BackendPool

    options = RunOptions(
        profile="chat", mode="moa", tools=(), moa={"proposals": 2, "proposer_max_tokens": 16}
    )
    with BackendPool(wrap=RecordingBackend) as pool:
        agent = open_agent(options, pool)
        first = [e for e in agent.run("Name a colour.") if isinstance(e, FinalAnswer)]
        (recorder,) = pool.backends
        calls = len(recorder.calls)  # type: ignore[attr-defined]
        list(agent.run("And a fruit?"))
        later = recorder.calls[calls:]  # type: ignore[attr-defined]
    turn = f"<|im_start|>assistant\n{first[0].text}<|im_end|>\n<|im_start|>user\nAnd a fruit?"
    assert len(later) == 3  # two proposers and the aggregator
    assert all(turn in call.request.prompt for call in later)
