"""MoA inside the roles of the tool agent, and for a plain question.

- planner: the proposers write the step's thought; the aggregator, with their thoughts as
  references, writes the thought and its decision the way the planner does (the same decision
  grammar holds it);
- caller: the proposers write the call under the caller grammar; with the ``agree`` rule a call
  that most of them wrote (two at least) is made as it is, otherwise the aggregator writes it
  from theirs (``aggregate``: always; ``single``: the profile's caller alone);
- summarizer, and a question without tools: the proposers answer; the aggregator writes the
  answer from theirs.

Each function yields events (token events of members and the aggregator, proposals, layers) and
returns what the role returns; the mode emits them, an evaluation just drains them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Generator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from umi_cli.agent import format as fmt
from umi_cli.agent.dialects import Dialect
from umi_cli.agent.events import Event, TokenDelta
from umi_cli.agent.moa.layers import Proposer, mixture
from umi_cli.agent.moa.prompt import ReferencedDialect, chat_messages, inject_references
from umi_cli.agent.moa.settings import MoaSettings
from umi_cli.agent.moa.team import RoleTeam
from umi_cli.agent.moa_events import CallsAgreed, Proposal
from umi_cli.agent.role_base import CONTEXT_MARGIN, Role, RoleResult
from umi_cli.agent.roles import ALL_DECISIONS, Caller, GrammarSource, Planner
from umi_cli.engine.backend import Backend, CompletionStream
from umi_cli.engine.types import Completion, CompletionRequest
from umi_cli.errors import UmiError

T = TypeVar("T")
R = TypeVar("R", bound=Role)


def streamed(step: int, role: str, call: Generator[str, None, T]) -> Generator[Event, None, T]:
    """A role call's (or a completion's) pieces as token events of the aggregator."""
    try:
        while True:
            try:
                piece = next(call)
            except StopIteration as done:
                return done.value
            if piece:
                yield TokenDelta(step=step, role=role, text=piece)
    finally:
        call.close()


def _as(role: Role, kind: type[R]) -> R:
    if not isinstance(role, kind):
        raise TypeError(f"a {kind.__name__} was expected, got {type(role).__name__}")
    return role


def plan(
    team: RoleTeam,
    settings: MoaSettings,
    step: int,
    tools: Sequence[dict[str, Any]],
    history: Sequence[fmt.Turn],
    *,
    decisions: Sequence[fmt.Decision] = ALL_DECISIONS,
    attempt: int = 1,
) -> Generator[Event, None, RoleResult[fmt.PlannerOutput]]:
    """The planner turn of a mixture: the proposers' thoughts, then the aggregator's plan."""

    def build(proposer: Proposer, references: tuple[str, ...]) -> CompletionRequest:
        planner = _as(proposer.role, Planner)
        return planner.thought_request(_fitted(planner, references, tools, history))

    def lead(proposer: Proposer) -> str:  # the words the planner's reply starts with
        return proposer.role.dialect.planner(tools, history).opening.lstrip()

    kept = yield from mixture(
        step, "planner", team.proposers, build, settings.layers, lead=lead, attempt=attempt
    )
    aggregator = _as(team.aggregating(_references(kept)), Planner)
    return (
        yield from streamed(step, "planner", aggregator.plan(tools, history, decisions=decisions))
    )


def _fitted(
    planner: Planner,
    references: tuple[str, ...],
    tools: Sequence[dict[str, Any]],
    history: Sequence[fmt.Turn],
) -> str:
    return planner.fit(_dialect(planner, references).planner(tools, history))[0]


def _dialect(role: Role, references: tuple[str, ...]) -> Dialect:
    """The role's dialect, with the previous layer's responses when there are some."""
    return ReferencedDialect(role.dialect, references) if references else role.dialect


def call(
    team: RoleTeam,
    settings: MoaSettings,
    step: int,
    tools: Sequence[dict[str, Any]],
    history: Sequence[fmt.Turn],
    thought: str,
    *,
    grammar_for: GrammarSource | None = None,
    attempt: int = 1,
) -> Generator[Event, None, tuple[RoleResult[fmt.CallerOutput], bool]]:
    """The caller turn of a mixture, and whether the call came from the proposers' agreement
    (its figures are then the proposal's, already counted)."""
    if settings.caller_rule == "single" or not team.proposers:
        caller = _as(team.base if settings.caller_rule == "single" else team.aggregator, Caller)
        calling = caller.call(tools, history, thought, grammar_for=grammar_for)
        return (yield from streamed(step, "caller", calling)), False

    def build(proposer: Proposer, references: tuple[str, ...]) -> CompletionRequest:
        caller = _as(proposer.role, Caller)
        prompt = caller.fit(_dialect(caller, references).caller(tools, history, thought))[0]
        return caller.request(prompt, grammar=caller.grammar(tools, thought, grammar_for))

    kept = yield from mixture(
        step, "caller", team.proposers, build, settings.layers, attempt=attempt
    )
    if settings.caller_rule == "agree":
        agreed = agreement(kept, [str(tool["Name"]) for tool in tools])
        if agreed:
            first = agreed[0]
            output = fmt.parse_caller(first.text)
            yield CallsAgreed(
                step, str(output.name), [p.member for p in agreed], len(kept), attempt
            )
            return RoleResult(output, first.text, first.stats), True
    aggregator = _as(team.aggregating(_references(kept)), Caller)
    calling = aggregator.call(tools, history, thought, grammar_for=grammar_for)
    return (yield from streamed(step, "caller", calling)), False


def agreement(proposals: Sequence[Proposal], names: Sequence[str]) -> list[Proposal]:
    """The proposals that wrote the most common call, when they are a majority of at least
    two; else none. A call counts when it is whole (not cut at the token limit) and names one
    of ``names``; calls are the same when their API and arguments (as JSON) are."""
    keys: dict[int, tuple[str, str]] = {}
    for index, proposal in enumerate(proposals):
        output = fmt.parse_caller(proposal.text)
        arguments = output.arguments_dict()
        whole = proposal.stop_reason != "length"
        if whole and output.name in names and arguments is not None:
            keys[index] = (output.name, json.dumps(arguments, sort_keys=True))
    if not keys:
        return []
    key, count = Counter(keys.values()).most_common(1)[0]
    if count < max(2, len(proposals) // 2 + 1):
        return []
    return [proposals[index] for index, found in keys.items() if found == key]


def summary_references(
    team: RoleTeam,
    settings: MoaSettings,
    step: int,
    history: Sequence[fmt.Turn],
    *,
    attempt: int = 1,
) -> Generator[Event, None, tuple[str, ...]]:
    """The summarizer's proposals (the aggregator then answers from them)."""

    def build(proposer: Proposer, references: tuple[str, ...]) -> CompletionRequest:
        role = proposer.role
        prompt = role.fit(_dialect(role, references).summarizer(history))[0]
        return role.request(prompt, grammar=None)

    kept = yield from mixture(
        step, "summarizer", team.proposers, build, settings.layers, attempt=attempt
    )
    return _references(kept)


def answer(
    team: RoleTeam, settings: MoaSettings, step: int, history: Sequence[fmt.Turn]
) -> Generator[Event, None, Completion]:
    """A question without tools: the proposers answer the conversation, the aggregator answers
    from theirs (alone: the plain model answer)."""
    messages = chat_messages(history)

    def build(proposer: Proposer, references: tuple[str, ...]) -> CompletionRequest:
        return question_request(proposer.role, inject_references(messages, references), "answer")

    kept = yield from mixture(step, "answer", team.proposers, build, settings.layers)
    aggregator = team.aggregator
    request = question_request(
        aggregator, inject_references(messages, _references(kept)), "answer-aggregator"
    )
    stream: CompletionStream = aggregator.backend.stream(request)
    return (yield from streamed(step, "answer", stream))


def question_request(role: Role, messages: list[dict[str, Any]], slot: str) -> CompletionRequest:
    """The completion of a chat turn for ``messages`` on the role's model and decoding."""
    prompt = fit_messages(role.backend, messages, role.context - role.decoding.max_tokens)
    return replace(role.request(prompt, grammar=None), slot=slot)


def fit_messages(backend: Backend, messages: list[dict[str, Any]], budget: int) -> str:
    """The rendered conversation, its oldest turns dropped until it fits ``budget`` tokens (the
    system message and the latest turn always stay)."""
    room = budget - CONTEXT_MARGIN
    system = messages[:1] if messages and messages[0]["role"] == "system" else []
    turns = messages[len(system) :]
    while True:
        prompt = backend.render_chat([*system, *turns])
        if backend.count_tokens(prompt) <= room:
            return prompt
        if len(turns) <= 1:
            raise UmiError(
                f"the question takes {backend.count_tokens(prompt)} tokens, more than the "
                f"{room} the context of {backend.name} leaves; shorten it (or lower the max tokens)"
            )
        turns = turns[2:] if len(turns) > 2 else turns[1:]


def _references(kept: Sequence[Proposal]) -> tuple[str, ...]:
    return tuple(proposal.text.strip() for proposal in kept)
