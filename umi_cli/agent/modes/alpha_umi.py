"""α-UMi: the planner thinks and decides, the caller writes one call, the summarizer answers."""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence

from umi_cli.agent.answering import grounded_answer
from umi_cli.agent.context import AttemptEnd, RunContext
from umi_cli.agent.events import Event, Observation, PlannerThought
from umi_cli.agent.format import Decision, PlannerOutput
from umi_cli.agent.modes.base import ModeOutcome, ModeSpec
from umi_cli.agent.options import RunOptions
from umi_cli.agent.role_base import Role, RoleResult
from umi_cli.agent.roles import ALL_DECISIONS, Caller, Planner, Summarizer


class AlphaUmiMode:
    """Attempts of planner → caller → observation steps, then the summarizer's answer."""

    name = "alpha-umi"

    def __init__(self, planner: Planner, caller: Caller, summarizer: Summarizer) -> None:
        self.planner = planner
        self.caller = caller
        self.summarizer = summarizer
        self.roles: dict[str, Role] = {
            "planner": planner, "caller": caller, "summarizer": summarizer,
        }  # fmt: skip

    def run(self, task: str, ctx: RunContext) -> Generator[Event, None, ModeOutcome]:
        return (yield from ctx.attempts(self.attempt))

    def attempt(self, ctx: RunContext, attempt: int) -> Generator[Event, None, AttemptEnd]:
        return (yield from planned_steps(ctx, attempt, self.plan, self.call, self.conclude))

    def plan(
        self, ctx: RunContext, step: int, attempt: int, decisions: Sequence[Decision]
    ) -> Generator[Event, None, RoleResult[PlannerOutput]]:
        planning = self.planner.plan(ctx.documents, ctx.history(), decisions=decisions)
        return (yield from ctx.stream(step, "planner", planning))

    def conclude(
        self, ctx: RunContext, step: int, attempt: int
    ) -> Generator[Event, None, AttemptEnd]:
        """The summarizer's answer, checked against the observations."""
        return (
            yield from grounded_answer(
                ctx, step, attempt, lambda note: self.summarizer.conclude(ctx.history(), note)
            )
        )

    def call(
        self, ctx: RunContext, step: int, attempt: int, thought: str
    ) -> Generator[Event, None, Observation]:
        grammar_for = ctx.toolbox.caller_grammar if ctx.options.constrain else None
        calling = self.caller.call(
            ctx.tools.documents(), ctx.history(), thought, grammar_for=grammar_for
        )
        called = yield from ctx.stream(step, "caller", calling)
        return (
            yield from ctx.call_tool(
                step, attempt, called.output, called.stats, truncated=called.truncated
            )
        )


#: A mode's planner turn: (ctx, step, attempt, allowed decisions) -> the planner's result.
PlanStep = Callable[
    [RunContext, int, int, Sequence[Decision]], Generator[Event, None, RoleResult[PlannerOutput]]
]
#: A mode's call: (ctx, step, attempt, thought) -> the observation.
CallStep = Callable[[RunContext, int, int, str], Generator[Event, None, Observation]]
#: A mode's answer: (ctx, step, attempt) -> how the attempt ends.
ConcludeStep = Callable[[RunContext, int, int], Generator[Event, None, AttemptEnd]]


def planned_steps(
    ctx: RunContext, attempt: int, plan: PlanStep, call: CallStep, conclude: ConcludeStep
) -> Generator[Event, None, AttemptEnd]:
    """One attempt of α-UMi steps: the planner thinks and decides, then a call and its
    observation, until it concludes or gives up (modes differ in how they plan, call, answer)."""
    calls = 0
    while True:
        step, budget_spent = yield from ctx.next_step(attempt, calls)
        decisions = ("conclusion",) if budget_spent else ALL_DECISIONS
        planned = yield from plan(ctx, step, attempt, decisions)
        thought = planned.output
        yield ctx.emit(
            PlannerThought(
                step,
                thought.text,
                thought.decision,
                planned.stats,
                attempt=attempt,
                truncated=planned.truncated,
                judge=thought.judge,
            )
        )
        if thought.decision == "give up":
            return "gave_up", thought.text
        if thought.decision == "conclusion":
            return (yield from conclude(ctx, step, attempt))
        calls += 1
        observation = yield from call(ctx, step, attempt, thought.text)
        if observation.reused_from is not None:
            # The planner asked again for what it already has: everything the APIs can give
            # on this path is in the history, so the summarizer answers from it now.
            return (yield from conclude(ctx, step, attempt))


def _build(roles: Mapping[str, Role], options: RunOptions) -> AlphaUmiMode:
    planner, caller, summarizer = roles["planner"], roles["caller"], roles["summarizer"]
    assert isinstance(planner, Planner) and isinstance(caller, Caller)
    assert isinstance(summarizer, Summarizer)
    return AlphaUmiMode(planner, caller, summarizer)


SPEC = ModeSpec(
    name="alpha-umi",
    roles=("planner", "caller", "summarizer"),
    build=_build,
    description="planner → caller → summarizer, each role its own model (α-UMi)",
)
