"""Mixture-of-Agents (Wang et al. 2024) inside the roles of the tool agent, or for a question.

With tools, each step is α-UMi's planner → caller → observation, but the planner's thought and
decision, the call and the final answer come from a mixture (:mod:`umi_cli.agent.moa.steps`):
N proposals per layer, decoded together, then the aggregator. Without tools (``umi ask``,
``umi chat --no-tools``) the mixture answers the conversation itself, and each answer becomes
every proposer's assistant turn for the next question. Proposers are catalog models or, by
default, each role's own model sampled N times with different seeds (Self-MoA).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import TypeVar

from umi_cli.agent.answering import found_something, grounded_answer
from umi_cli.agent.context import AttemptEnd, Cancelled, RunContext
from umi_cli.agent.events import Event, FinalAnswer, Observation, TokenDelta
from umi_cli.agent.format import Decision, PlannerOutput
from umi_cli.agent.moa import steps
from umi_cli.agent.moa.settings import MoaSettings
from umi_cli.agent.moa.team import MOA_ROLES, MoaTeam, seed_of, settings_of
from umi_cli.agent.modes.alpha_umi import planned_steps
from umi_cli.agent.modes.base import Member, ModeOutcome, ModeSpec
from umi_cli.agent.options import RunOptions
from umi_cli.agent.role_base import Role, RoleResult
from umi_cli.agent.roles import Summarizer

T = TypeVar("T")


class MoaMode:
    """Attempts of mixture steps with tools; one mixture answer without them."""

    name = "moa"
    #: A run without tools is a question the mixture answers (``umi ask``).
    answers_without_tools = True

    def __init__(self, team: MoaTeam, roles: Mapping[str, Role]) -> None:
        self.team = team
        self.settings = team.settings
        #: Every role and member (the pool keeps their models open while the mode lives).
        self.roles: dict[str, Role] = dict(roles)

    def run(self, task: str, ctx: RunContext) -> Generator[Event, None, ModeOutcome]:
        if not ctx.toolbox.names():
            return (yield from self.answer(ctx))
        return (yield from ctx.attempts(self.attempt))

    def answer(self, ctx: RunContext) -> Generator[Event, None, ModeOutcome]:
        ctx.step += 1
        team = self.team["summarizer"]
        done = yield from _through(ctx, steps.answer(team, self.settings, ctx.step, ctx.history()))
        role = "aggregator" if team.proposers and self.settings.layers > 1 else "answer"
        yield ctx.emit(FinalAnswer(done.text.strip(), done.stats, step=ctx.step, role=role))
        return "answered"

    def attempt(self, ctx: RunContext, attempt: int) -> Generator[Event, None, AttemptEnd]:
        return (yield from planned_steps(ctx, attempt, self.plan, self.call, self.conclude))

    def plan(
        self, ctx: RunContext, step: int, attempt: int, decisions: Sequence[Decision]
    ) -> Generator[Event, None, RoleResult[PlannerOutput]]:
        """The planner's proposals, then the aggregator's thought under the decision grammar."""
        planning = steps.plan(
            self.team["planner"], self.settings, step, ctx.documents, ctx.history(),
            decisions=decisions, attempt=attempt,
        )  # fmt: skip
        return (yield from _through(ctx, planning))

    def call(
        self, ctx: RunContext, step: int, attempt: int, thought: str
    ) -> Generator[Event, None, Observation]:
        grammar_for = ctx.toolbox.caller_grammar if ctx.options.constrain else None
        calling = steps.call(
            self.team["caller"],
            self.settings,
            step,
            ctx.tools.documents(),
            ctx.history(),
            thought,
            grammar_for=grammar_for,
            attempt=attempt,
        )
        called, agreed = yield from _through(ctx, calling)
        return (
            yield from ctx.call_tool(
                step,
                attempt,
                called.output,
                called.stats,
                truncated=called.truncated,
                role=None if agreed else "caller",
            )
        )

    def conclude(
        self, ctx: RunContext, step: int, attempt: int
    ) -> Generator[Event, None, AttemptEnd]:
        """The summarizer's proposals, then the aggregator's answer, checked against the
        observations like every mode's."""
        team = self.team["summarizer"]
        remembered = any(turn["from"] == "conclusion" for turn in ctx.history())
        found = found_something(ctx.transcript.attempt_observations) or remembered
        references: Sequence[str] = ()
        if found or not ctx.options.check_answers:  # else the check gives up before writing
            references = yield from _through(
                ctx,
                steps.summary_references(team, self.settings, step, ctx.history(), attempt=attempt),
            )
        aggregator = team.aggregating(references)
        assert isinstance(aggregator, Summarizer)

        def write(note: str | None) -> Generator[str, None, RoleResult[str]]:
            return aggregator.conclude(ctx.history(), note)

        return (yield from grounded_answer(ctx, step, attempt, write))


def _through(ctx: RunContext, events: Generator[Event, None, T]) -> Generator[Event, None, T]:
    """Yield a mixture's events (recording all but tokens); cancelling closes it."""
    ctx.check_cancel()
    try:
        while True:
            try:
                event = next(events)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]  # StopIteration.value is Any
            yield event if isinstance(event, TokenDelta) else ctx.emit(event)
            if ctx.cancelled.is_set():
                raise Cancelled
    finally:
        events.close()


def members_of(options: RunOptions, roles: Sequence[str] = MOA_ROLES) -> list[Member]:
    """The proposers and the aggregator of each of ``roles``."""
    settings = settings_of(options)
    members: list[Member] = []
    proposing = settings.proposer_models() if settings.layers > 1 else []
    for role in roles:
        for index, model in enumerate(proposing):
            decoding = {
                "temperature": settings.proposer_temperature,
                "max_tokens": settings.proposer_max_tokens,
                "seed": seed_of(options, index),
            }
            members.append(Member(f"{role}.proposer.{index}", role, model, decoding))
        limit = settings.aggregator_max_tokens
        decoding = {"max_tokens": limit} if limit is not None else {}
        members.append(Member(f"{role}.aggregator", role, settings.aggregator, decoding))
    return members


def _build(roles: Mapping[str, Role], options: RunOptions) -> MoaMode:
    settings: MoaSettings = settings_of(options)
    return MoaMode(MoaTeam.from_roles(roles, settings), roles)


SPEC = ModeSpec(
    name="moa",
    roles=MOA_ROLES,
    build=_build,
    description="Mixture-of-Agents: N proposals per role (one model sampled N times by "
    "default), aggregated",
    fallbacks={
        "planner": ("backbone",),
        "caller": ("planner", "backbone"),
        "summarizer": ("planner", "backbone"),
    },
    members=members_of,
)
