"""The model's own chat-template tool calling, as a mode: the baseline umi is measured against.

Each step the model sees the tools and the conversation in its chat template and either writes
``<tool_call>`` blocks (several make parallel calls in one step) or answers. Events are the same
as every mode's, so traces, batch records and evaluations read it alike.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping

from umi_cli.agent.answering import single_model_answer
from umi_cli.agent.context import AttemptEnd, RunContext
from umi_cli.agent.events import Decision, Event, PlannerThought
from umi_cli.agent.modes.base import ModeOutcome, ModeSpec
from umi_cli.agent.native import (
    NativeModel,
    call_message,
    caller_output,
    opening_messages,
    tool_entries,
    tool_message,
)
from umi_cli.agent.options import RunOptions
from umi_cli.agent.role_base import Role


class NativeMode:
    """Attempts of native turns until the model answers or the step budget ends them."""

    name = "native"

    def __init__(self, model: NativeModel) -> None:
        self.model = model
        self.roles: dict[str, Role] = {"native": model}

    def run(self, task: str, ctx: RunContext) -> Generator[Event, None, ModeOutcome]:
        return (yield from ctx.attempts(self.attempt))

    def attempt(self, ctx: RunContext, attempt: int) -> Generator[Event, None, AttemptEnd]:
        messages = opening_messages(ctx.history())
        calls = 0
        while True:
            step, budget_spent = yield from ctx.next_step(attempt, calls)
            tools = [] if budget_spent else tool_entries(ctx.tools.function_definitions())
            result = yield from ctx.stream(step, "native", self.model.turn(messages, tools))
            output = result.output
            decision: Decision = "caller" if output.calls else "conclusion"
            yield ctx.emit(
                PlannerThought(
                    step,
                    output.content,
                    decision,
                    result.stats,
                    attempt=attempt,
                    role="native",
                    truncated=result.truncated,
                )
            )
            if not output.calls:
                return (yield from self.answer(ctx, step, attempt, output.content))
            room = max(1, ctx.options.max_steps - calls)  # parallel calls count toward the budget
            made = output.calls[:room]
            messages.append(call_message(output.content, made))
            for name, arguments in made:
                calls += 1
                action = caller_output(name, arguments)
                observed = yield from ctx.call_tool(step, attempt, action, result.stats, role=None)
                messages.append(tool_message(observed.text))

    def answer(
        self, ctx: RunContext, step: int, attempt: int, answer: str
    ) -> Generator[Event, None, AttemptEnd]:
        """The model's answer, checked (a rewrite is asked of the same model)."""
        return (
            yield from single_model_answer(ctx, step, attempt, self.model, answer, answer, "native")
        )


def _build(roles: Mapping[str, Role], options: RunOptions) -> NativeMode:
    model = roles["native"]
    assert isinstance(model, NativeModel)
    return NativeMode(model)


SPEC = ModeSpec(
    name="native",
    roles=("native",),
    build=_build,
    description="the model's own chat-template tool calling (the baseline)",
    fallbacks={"native": ("caller", "planner")},
)
