"""The ``cmat`` predictor of step-level ToolBench evaluation: the checker in the step.

The planner and caller predict as in ``alpha-umi``; the checker then judges the predicted call
against the sample (its request, reference history and tool documents). A rejected call goes
back as a ``check`` turn and the step is predicted again, at most ``revisions`` times; the last
proposal is the prediction (as ``--after-rejections send`` does in a run). The record keeps
every verdict and, under ``unchecked``, the actor's first proposal with the seconds it took:
that is the ``alpha-umi`` prediction (the same roles on the same history), so one run scores
the step with and without the checker (:func:`umi_cli.eval.toolbench.evaluate_sample`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from umi_cli.agent.checker import Checker, CheckOutput, request_of
from umi_cli.agent.cmat_events import CallChecked
from umi_cli.agent.format import Turn
from umi_cli.agent.guards import ProposedCall, call_key
from umi_cli.agent.role_base import Role
from umi_cli.agent.roles import Caller, Planner, Summarizer
from umi_cli.engine import finish
from umi_cli.engine.types import CompletionStats
from umi_cli.eval.steps import StepSample, prediction

#: Revisions of a rejected call (the run's ``--check-revisions`` default).
REVISIONS = 2


def predict_cmat(
    roles: Mapping[str, Role], sample: StepSample, *, revisions: int = REVISIONS
) -> tuple[dict[str, Any], dict[str, CompletionStats]]:
    """The checked prediction for one sample, and the summed stats of each role that ran."""
    planner, caller, summarizer = roles["planner"], roles["caller"], roles["summarizer"]
    checker = roles["checker"]
    assert isinstance(planner, Planner) and isinstance(caller, Caller)
    assert isinstance(summarizer, Summarizer) and isinstance(checker, Checker)
    stats: dict[str, CompletionStats] = {}
    started = time.perf_counter()
    unchecked: dict[str, Any] | None = None

    def spent(role: str, figures: CompletionStats) -> None:
        stats[role] = stats.get(role, CompletionStats()) + figures

    history = list(sample.history)
    checking = StepChecks(checker, sample.tools, request_of(sample.history))
    checks: list[dict[str, Any]] = []
    predicted: dict[str, Any] = {}
    for revision in range(revisions + 1):
        plan = finish(planner.plan(sample.tools, history))
        spent("planner", plan.stats)
        thought = plan.output
        predicted = prediction(thought.decision, thought.text)
        planned = [*history, {"from": "assistant", "value": thought.text}]
        if thought.decision != "caller":
            if thought.decision == "conclusion" and sample.decision == "conclusion":
                answer = finish(summarizer.conclude(planned))
                spent("summarizer", answer.stats)
                predicted["answer"] = answer.output
            break
        called = finish(caller.call(sample.tools, planned, thought.text))
        spent("caller", called.stats)
        action = called.output
        arguments = action.arguments_dict()
        predicted.update(api=action.name, arguments=arguments, call=action.text)
        if unchecked is None:
            unchecked = _first_proposal(predicted, started)
        verdict, figures = checking.judge(
            planned, thought.text, action.name, arguments, action.arguments
        )
        spent("checker", figures)
        checks.append({"revision": revision, "verdict": verdict.verdict, "reason": verdict.reason})
        if verdict.verdict == "accept" or revision == revisions:
            break
        history = [*planned, check_turn(action.name, arguments, action.arguments, verdict.reason)]
    predicted["checks"] = checks
    predicted["revisions"] = max(len(checks) - 1, 0)
    # a first step that was no call is never checked: the actor's prediction stands as it is
    predicted["unchecked"] = unchecked or _first_proposal(predicted, started)
    return predicted, stats


@dataclass
class StepChecks:
    """The checker over one step's proposals, as in a run: a call rejected earlier in the step
    gets the same verdict again without asking the model."""

    checker: Checker
    tools: Sequence[dict[str, Any]]
    request: str
    rejected: dict[str, str] = field(default_factory=dict)

    def judge(
        self,
        planned: Sequence[Turn],
        thought: str,
        api: str,
        arguments: dict[str, Any] | None,
        raw_arguments: str,
    ) -> tuple[CheckOutput, CompletionStats]:
        """The verdict on one proposed call, and what asking for it cost."""
        key = call_key(api, arguments, raw_arguments)
        if key in self.rejected:  # the same call again: the same verdict
            return CheckOutput("reject", self.rejected[key], judged=False), CompletionStats()
        proposal = ProposedCall(0, 1, api, arguments, raw_arguments)
        judged = finish(self.checker.judge(self.tools, self.request, planned, thought, proposal))
        if judged.output.verdict == "reject":
            self.rejected[key] = judged.output.reason
        return judged.output, judged.stats


def check_turn(api: str, arguments: dict[str, Any] | None, raw_arguments: str, reason: str) -> Turn:
    """The ``check`` turn a rejection adds to the actor's history."""
    turn = CallChecked(0, api, arguments, raw_arguments, "reject", reason).turn()
    assert turn is not None  # a rejection always adds its check turn
    return turn


def _first_proposal(predicted: dict[str, Any], started: float) -> dict[str, Any]:
    """What the actor proposed before any verdict, and the seconds it took to propose it."""
    keys = ("decision", "api", "arguments", "answer")
    return {key: predicted[key] for key in keys} | {
        "seconds": round(time.perf_counter() - started, 3)
    }
