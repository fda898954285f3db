"""CMAT (Liang et al. 2024): the actor proposes, the checker verifies before the call is sent,
failures become lessons, and lessons are long-term memory for later tasks.

The actor is the α-UMi planner + caller. Each proposal goes to the checker (a
:class:`~umi_cli.agent.checker.CallChecker` guard, its own model in the profile's ``checker``
role, the planner's model by default). A rejected call is not sent: the reason goes into the
history as a ``check`` turn and the actor plans the step again, at most ``check_revisions``
times; then the call is sent anyway (``after_rejections="send"``) or the attempt gives up
(``"give-up"``). Lessons recalled for the task's APIs travel in their documentation; lessons are
written after failed calls, empty results, give-ups, a spent step budget and answers.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass

from umi_cli.agent import reflection as facts_of
from umi_cli.agent.checker import CallChecker, Checker
from umi_cli.agent.cmat_events import CallChecked, CheckVerdictName, RevisionStarted
from umi_cli.agent.cmat_memory import TaskMemory
from umi_cli.agent.context import AttemptEnd, RunContext
from umi_cli.agent.events import Event, Observation, PlannerThought
from umi_cli.agent.format import CallerOutput, Decision
from umi_cli.agent.guards import ProposedCall, call_key
from umi_cli.agent.modes.alpha_umi import AlphaUmiMode
from umi_cli.agent.modes.base import ModeOutcome, ModeSpec
from umi_cli.agent.options import RunOptions
from umi_cli.agent.reflection import Reflector
from umi_cli.agent.role_base import Role, RoleResult
from umi_cli.agent.roles import ALL_DECISIONS, Caller, Planner, Summarizer
from umi_cli.engine.types import CompletionStats
from umi_cli.memory import LongTermMemory


@dataclass(frozen=True)
class CheckPolicy:
    """How many revisions a rejected proposal gets, and what follows the last rejection."""

    revisions: int = 2
    after_rejections: str = "send"  # or "give-up"


@dataclass
class Proposal:
    """The actor's proposal for a step: the caller's output and the thought it follows."""

    called: RoleResult[CallerOutput]
    thought: str

    def as_call(self, step: int, attempt: int) -> ProposedCall:
        action = self.called.output
        return ProposedCall(step, attempt, action.name, action.arguments_dict(), action.arguments)


class CmatMode:
    """Attempts of actor → checker (→ revisions) → tool steps, with long-term memory."""

    name = "cmat"

    def __init__(
        self,
        planner: Planner,
        caller: Caller,
        summarizer: Summarizer,
        checker: Checker,
        reflector: Reflector,
        *,
        policy: CheckPolicy | None = None,
        memory: LongTermMemory | None = None,
        model_lessons: bool = True,
    ) -> None:
        self.planner, self.caller, self.summarizer = planner, caller, summarizer
        self.checker, self.reflector = checker, reflector
        self.guard = CallChecker(checker)
        self.policy = policy or CheckPolicy()
        self.memory = memory
        self.model_lessons = model_lessons
        self.answering = AlphaUmiMode(planner, caller, summarizer)
        self.roles: dict[str, Role] = {
            "planner": planner, "caller": caller, "summarizer": summarizer,
            "checker": checker, "reflector": reflector,
        }  # fmt: skip

    def run(self, task: str, ctx: RunContext) -> Generator[Event, None, ModeOutcome]:
        offered = {tool.name: tool.service for tool in ctx.toolbox.tools()}
        memory = TaskMemory(
            self.memory, self.reflector, offered=offered, model_lessons=self.model_lessons
        )
        yield from memory.recall(ctx)
        ctx.documents = memory.documents(ctx.documents)
        outcome = yield from ctx.attempts(lambda c, number: self.attempt(c, number, memory))
        if outcome == "answered" and not memory.wrote("budget"):
            succeeded = [o for o in memory.observations if _useful(o)]
            if succeeded:
                facts = facts_of.answered(succeeded[-1].api, task)
                yield from memory.reflect(ctx, facts, ctx.step, ctx.transcript.attempts)
        memory.credit(outcome)
        return outcome

    def attempt(
        self, ctx: RunContext, attempt: int, memory: TaskMemory
    ) -> Generator[Event, None, AttemptEnd]:
        calls: list[Observation] = []
        while True:
            step, budget_spent = yield from ctx.next_step(attempt, len(calls))
            decisions: tuple[Decision, ...] = ("conclusion",) if budget_spent else ALL_DECISIONS
            proposal = yield from self.propose(ctx, step, attempt, decisions, memory)
            if isinstance(proposal, tuple):  # the actor (or the checker) ended the attempt
                ending, reason = proposal
                if budget_spent and len(calls) >= ctx.options.max_steps:
                    facts = facts_of.budget_spent(_apis(calls), ctx.options.max_steps)
                    yield from memory.reflect(ctx, facts, step, attempt)
                elif ending == "gave_up" and calls:
                    failed = sum(1 for o in calls if not o.ok)
                    facts = facts_of.gave_up(_apis(calls), len(calls), failed)
                    yield from memory.reflect(ctx, facts, step, attempt)
                return ending, reason
            called = proposal.called
            observation = yield from ctx.call_tool(
                step, attempt, called.output, called.stats, truncated=called.truncated
            )
            calls.append(observation)
            arguments = called.output.arguments_dict()
            yield from memory.observed(ctx, step, attempt, arguments, observation)
            if observation.reused_from is not None:  # as α-UMi: nothing new to learn here
                return (yield from self.answering.conclude(ctx, step, attempt))

    def propose(
        self,
        ctx: RunContext,
        step: int,
        attempt: int,
        decisions: tuple[Decision, ...],
        memory: TaskMemory,
    ) -> Generator[Event, None, Proposal | AttemptEnd]:
        """The actor's call for this step once the checker lets it through (or the revisions
        are spent and it is sent anyway); an :data:`AttemptEnd` when the step ends the attempt."""
        rejected: dict[str, str] = {}  # proposals of this step the checker rejected
        revision = 0
        while True:
            planning = self.planner.plan(ctx.documents, ctx.history(), decisions=decisions)
            planned = yield from ctx.stream(step, "planner", planning)
            thought = planned.output
            yield ctx.emit(
                PlannerThought(step, thought.text, thought.decision, planned.stats,
                               attempt=attempt, truncated=planned.truncated, judge=thought.judge)
            )  # fmt: skip
            if thought.decision == "give up":
                return "gave_up", thought.text
            if thought.decision == "conclusion":
                return (yield from self.answering.conclude(ctx, step, attempt))
            grammar_for = ctx.toolbox.caller_grammar if ctx.options.constrain else None
            calling = self.caller.call(
                memory.documents(ctx.tools.documents()), ctx.history(), thought.text,
                grammar_for=grammar_for,
            )  # fmt: skip
            called = yield from ctx.stream(step, "caller", calling)
            proposal = Proposal(called, thought.text)
            call = proposal.as_call(step, attempt)
            key = call_key(call.api, call.arguments, call.raw_arguments)
            last = revision >= self.policy.revisions
            verdict: CheckVerdictName = "reject"
            stats, truncated, repeated = CompletionStats(), False, key in rejected
            if repeated:  # the same call again: the same verdict, no need to ask
                reason = rejected[key]
            elif (down := memory.outage(call.api)) is not None:  # memory: the API is down
                reason = f"long-term memory says {call.api} is down: {down.text}"
            else:
                judged = self.guard.check(call, ctx)
                verdict = "reject" if judged.kind == "reject" else "accept"
                reason, stats, truncated = judged.text, judged.stats, judged.truncated
            overruled = verdict == "reject" and last and self.policy.after_rejections == "send"
            yield ctx.emit(
                CallChecked(
                    step, call.api, call.arguments, call.raw_arguments, verdict, reason,
                    revision=revision, stats=stats, attempt=attempt, repeated=repeated,
                    overruled=overruled, truncated=truncated,
                )
            )  # fmt: skip
            if verdict == "accept" or overruled:
                return proposal
            if last:
                facts = facts_of.rejected_call(call.api, call.arguments, reason)
                yield from memory.reflect(ctx, facts, step, attempt)
                limit = self.policy.revisions
                return "gave_up", f"the checker rejected the call {limit + 1} times: {reason}"
            rejected[key] = reason
            revision += 1
            yield ctx.emit(
                RevisionStarted(step, revision, self.policy.revisions, reason, attempt=attempt)
            )


def _useful(observation: Observation) -> bool:
    return (
        observation.ok
        and observation.reused_from is None
        and not facts_of.is_empty_result(observation.text)
    )


def _apis(observations: list[Observation]) -> list[str]:
    return list(dict.fromkeys(o.api for o in observations))


def _build(roles: Mapping[str, Role], options: RunOptions) -> CmatMode:
    planner, caller, summarizer = roles["planner"], roles["caller"], roles["summarizer"]
    checker = roles["checker"]
    assert isinstance(planner, Planner) and isinstance(caller, Caller)
    assert isinstance(summarizer, Summarizer) and isinstance(checker, Checker)
    reflector = Reflector(
        planner.backend, planner.dialect, decoding=planner.decoding, context=planner.context
    )
    return CmatMode(
        planner, caller, summarizer, checker, reflector,
        policy=CheckPolicy(options.check_revisions, options.after_rejections),
        memory=LongTermMemory() if options.memory else None,
        model_lessons=options.reflection == "model",
    )  # fmt: skip


SPEC = ModeSpec(
    name="cmat",
    roles=("planner", "caller", "summarizer", "checker"),
    build=_build,
    description="actor (planner + caller), a checker before each call, lessons as long-term "
    "memory (CMAT)",
    fallbacks={
        "planner": ("backbone",),
        "caller": ("planner", "backbone"),
        "summarizer": ("planner", "backbone"),
        "checker": ("planner", "backbone"),
    },
)
