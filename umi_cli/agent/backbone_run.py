"""The single-model baseline (FORMAT.md §2): one backbone model plans, calls and answers.

The history is kept in the three-role form (planner turn + caller turn) so traces match the
ToolBench layout; :func:`umi_cli.agent.format.backbone_history` merges them for the prompt.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from umi_cli.agent import format as fmt
from umi_cli.agent.events import Event, FinalAnswer, PlannerThought
from umi_cli.agent.loop import RunLimits, TaskRun, ToolRunner
from umi_cli.agent.role_base import RoleResult
from umi_cli.agent.roles import Backbone


class BackboneRun(TaskRun):
    """A task run where the backbone model plays every role."""

    def __init__(
        self,
        *,
        backbone: Backbone,
        toolbox: ToolRunner,
        limits: RunLimits,
        cancelled: threading.Event,
    ) -> None:
        super().__init__(
            planner=None,  # type: ignore[arg-type]
            caller=None,  # type: ignore[arg-type]
            summarizer=None,  # type: ignore[arg-type]
            toolbox=toolbox,
            limits=limits,
            cancelled=cancelled,
        )
        self.backbone = backbone

    def _attempt(self, history: list[fmt.Turn], attempt: int) -> Iterator[Event] | Any:
        allowed = self._start_attempt()
        calls = 0
        while True:
            step, answer_now = yield from self._next_step(attempt, calls, allowed)
            result: RoleResult[fmt.BackboneOutput] = yield from self._stream(
                step,
                "backbone",
                lambda on_token, answer_now=answer_now: self.backbone.step(
                    self.documents, history, answer_now=answer_now, on_token=on_token
                ),
            )
            self._note(attempt, step, "backbone", result)
            output = result.output
            decision = output.decision
            if answer_now and decision == "caller":
                decision = "conclusion"
            phrase = fmt.CONTROL_SEPARATOR + f"Next: {decision}."
            yield PlannerThought(step, output.thought, decision, result.stats)
            self._append(history, "assistant", output.thought + phrase)
            if decision == "give up":
                return "gave_up", output.thought or output.text
            if decision == "conclusion":
                answer = output.answer if output.answer is not None else output.text
                self._append(history, "conclusion", answer)
                self.record.answer = answer
                yield FinalAnswer(answer, result.stats)
                return "answered", ""
            calls += 1
            assert output.call is not None
            yield from self._execute(history, step, output.call, result.stats, allowed)
