"""Layers of proposals: every proposer answers at once, then a barrier.

The proposers of a layer that share a backend are decoded together (one batch per step on an
in-process model, concurrent requests on a server: :func:`umi_cli.engine.many.stream_many`);
proposers on different backends run side by side on threads. Each piece streams as a token event
of its member; each response is a :class:`~umi_cli.agent.moa_events.Proposal` event; a failed or
empty one is shown and dropped, and a layer with nothing left stops the run. Layers after the
first see the previous layer's responses as references (all of them, as a list).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

from umi_cli.agent.events import Event, TokenDelta
from umi_cli.agent.moa_events import LayerDone, Proposal
from umi_cli.agent.role_base import Role
from umi_cli.engine.backend import Backend
from umi_cli.engine.many import (
    Job,
    JobOutcome,
    PartialCompletions,
    interleave,
    stream_many,
)
from umi_cli.engine.types import Completion, CompletionRequest, CompletionStats
from umi_cli.errors import UmiError


@dataclass(frozen=True)
class Proposer:
    """A member of a layer: its index and the role it plays (model, dialect, decoding)."""

    member: int
    role: Role

    @property
    def model(self) -> str:
        return self.role.backend.name


#: The request of a proposer, given the previous layer's responses (empty in the first layer).
RequestBuilder = Callable[[Proposer, tuple[str, ...]], CompletionRequest]
#: The words a proposer's reply starts with (already in its prompt), written before its text.
Lead = Callable[[Proposer], str]


def mixture(
    step: int,
    role: str,
    proposers: Sequence[Proposer],
    build: RequestBuilder,
    layers: int,
    *,
    lead: Lead | None = None,
    attempt: int = 1,
) -> Generator[Event, None, list[Proposal]]:
    """The proposer layers of a mixture of ``layers`` layers (the last, the aggregator's, is
    the caller's to run): the kept proposals of the last proposer layer (none for 1 layer)."""
    kept: list[Proposal] = []
    for layer in range(1, layers):
        references = tuple(proposal.text.strip() for proposal in kept)
        kept = yield from propose(
            step, role, layer, proposers, build, references, lead=lead, attempt=attempt
        )
    return kept


def propose(
    step: int,
    role: str,
    layer: int,
    proposers: Sequence[Proposer],
    build: RequestBuilder,
    references: tuple[str, ...] = (),
    *,
    lead: Lead | None = None,
    attempt: int = 1,
) -> Generator[Event, None, list[Proposal]]:
    """One layer: every proposer's response (its ``lead`` written before it); yields
    token, proposal and layer events, returns the kept proposals in member order."""
    requests: dict[int, CompletionRequest] = {}
    unbuilt: dict[int, str] = {}  # proposers whose prompt could not be made (too long...)
    groups: dict[int, list[int]] = {}  # backend -> positions of its proposers
    for position, proposer in enumerate(proposers):
        try:
            requests[position] = build(proposer, references)
        except UmiError as exc:
            unbuilt[position] = str(exc)
            continue
        groups.setdefault(id(proposer.role.backend), []).append(position)
    placed = list(groups.values())
    jobs = [
        _job(proposers[group[0]].role.backend, [requests[i] for i in group]) for group in placed
    ]
    started = time.perf_counter()
    leads = [lead(proposer) if lead is not None else "" for proposer in proposers]
    texts = list(leads)
    ended = [0.0] * len(proposers)
    for proposer, opening in zip(proposers, leads, strict=True):
        if opening:
            yield TokenDelta(step=step, role=role, text=opening, member=proposer.member)
    runner = _inline(jobs[0]) if len(jobs) == 1 else interleave(jobs)
    try:
        while True:
            try:
                job, index, piece = next(runner)
            except StopIteration as done:
                outcomes: list[JobOutcome] = done.value
                break
            position = placed[job][index]
            if not piece:  # that completion has ended
                ended[position] = time.perf_counter() - started
                continue
            texts[position] += piece
            yield TokenDelta(step=step, role=role, text=piece, member=proposers[position].member)
    finally:
        runner.close()
    proposals: list[Proposal | None] = [None] * len(proposers)
    for position, error in unbuilt.items():
        proposals[position] = Proposal(
            step=step,
            role=role,
            layer=layer,
            member=proposers[position].member,
            model=proposers[position].model,
            text=leads[position],
            attempt=attempt,
            error=error,
        )
    for group, outcome in zip(placed, outcomes, strict=True):
        completions, errors = _results(outcome, len(group))
        for index, position in enumerate(group):
            proposer = proposers[position]
            completion = completions[index]
            failure = errors.get(index)
            if completion is not None and not completion.text.strip():
                failure = "empty response"
            proposals[position] = Proposal(
                step=step,
                role=role,
                layer=layer,
                member=proposer.member,
                model=proposer.model,
                text=leads[position] + completion.text if completion else texts[position],
                stats=completion.stats if completion is not None else CompletionStats(),
                seconds=ended[position] or time.perf_counter() - started,
                attempt=attempt,
                error=failure,
                stop_reason=completion.stop_reason if completion is not None else None,
            )
    made = [proposal for proposal in proposals if proposal is not None]
    yield from made
    kept = [proposal for proposal in made if proposal.kept]
    yield LayerDone(
        step=step,
        role=role,
        layer=layer,
        kept=[p.member for p in kept],
        dropped=[p.member for p in made if not p.kept],
        seconds=time.perf_counter() - started,
        attempt=attempt,
    )
    if not kept:
        reasons = sorted({str(p.error) for p in made})
        raise UmiError(
            f"moa: no {role} proposal of layer {layer} is left ({len(made)} failed or were empty: "
            f"{'; '.join(reasons)})"
        )
    return kept


def _job(backend: Backend, requests: list[CompletionRequest]) -> Job:
    return lambda: stream_many(backend, requests)


def _inline(job: Job) -> Generator[tuple[int, int, str], None, list[JobOutcome]]:
    """One job on this thread, in the shape :func:`~umi_cli.engine.many.interleave` gives."""
    stream = job()
    try:
        while True:
            try:
                index, piece = next(stream)
            except StopIteration as done:
                return [done.value]
            except UmiError as exc:
                return [exc]
            yield 0, index, piece
    finally:
        stream.close()


def _results(outcome: JobOutcome, size: int) -> tuple[list[Completion | None], dict[int, str]]:
    """A group's completions and the errors of those that failed."""
    if isinstance(outcome, PartialCompletions):
        return outcome.completions, outcome.errors
    if isinstance(outcome, UmiError):  # the whole group failed
        return [None] * size, {index: str(outcome) for index in range(size)}
    if isinstance(outcome, BaseException):
        raise outcome  # our bug, or a cancellation: not a proposal that failed
    return list(outcome), {}
