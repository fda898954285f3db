"""The single-model baseline (FORMAT.md §2): one backbone model plans, calls and answers.

The history keeps the three-role form (planner turn + caller turn) so traces match the ToolBench
layout; :func:`umi_cli.agent.format.backbone_history` merges them for the prompt. One completion
gives both the thought and the call, so its figures are reported once, on the thought.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping

from umi_cli.agent.answering import single_model_answer
from umi_cli.agent.context import AttemptEnd, RunContext
from umi_cli.agent.events import Event, PlannerThought
from umi_cli.agent.modes.base import ModeOutcome, ModeSpec
from umi_cli.agent.options import RunOptions
from umi_cli.agent.role_base import Role
from umi_cli.agent.roles import Backbone


class BackboneMode:
    """Attempts of backbone steps: a thought and a call, an answer, or giving up."""

    name = "backbone"

    def __init__(self, backbone: Backbone) -> None:
        self.backbone = backbone
        self.roles: dict[str, Role] = {"backbone": backbone}

    def run(self, task: str, ctx: RunContext) -> Generator[Event, None, ModeOutcome]:
        return (yield from ctx.attempts(self.attempt))

    def attempt(self, ctx: RunContext, attempt: int) -> Generator[Event, None, AttemptEnd]:
        calls = 0
        while True:
            step, answer_now = yield from ctx.next_step(attempt, calls)
            stepping = self.backbone.step(ctx.documents, ctx.history(), answer_now=answer_now)
            result = yield from ctx.stream(step, "backbone", stepping)
            output = result.output
            decision = output.decision
            if answer_now and decision == "caller":
                decision = "conclusion"
            yield ctx.emit(
                PlannerThought(
                    step,
                    output.thought,
                    decision,
                    result.stats,
                    attempt=attempt,
                    role="backbone",
                    truncated=result.truncated,
                )
            )
            if decision == "give up":
                return "gave_up", output.thought or output.text
            if decision == "conclusion":
                answer = output.answer if output.answer is not None else output.text
                return (yield from self.answer(ctx, step, attempt, answer, output.text))
            calls += 1
            assert output.call is not None
            yield from ctx.call_tool(step, attempt, output.call, result.stats, role=None)

    def answer(
        self, ctx: RunContext, step: int, attempt: int, answer: str, raw: str
    ) -> Generator[Event, None, AttemptEnd]:
        """The model's answer, checked (a rewrite is asked of the same model)."""
        model = self.backbone
        return (yield from single_model_answer(ctx, step, attempt, model, answer, raw, "backbone"))


def _build(roles: Mapping[str, Role], options: RunOptions) -> BackboneMode:
    backbone = roles["backbone"]
    assert isinstance(backbone, Backbone)
    return BackboneMode(backbone)


SPEC = ModeSpec(
    name="backbone",
    roles=("backbone",),
    build=_build,
    description="one model plays every role (the paper's single-model baseline)",
    fallbacks={"backbone": ("planner",)},
)
