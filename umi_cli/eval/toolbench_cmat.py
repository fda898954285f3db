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
from collections.abc import Mapping
from typing import Any

from umi_cli.agent.checker import Checker, CheckOutput, request_of
from umi_cli.agent.cmat_events import CallChecked
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

    request = request_of(sample.history)
    history = list(sample.history)
    checks: list[dict[str, Any]] = []
    rejected: dict[str, str] = {}
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
        proposal = ProposedCall(0, 1, action.name, arguments, action.arguments)
        key = call_key(action.name, arguments, action.arguments)
        if key in rejected:  # the same call again: the same verdict
            verdict = CheckOutput("reject", rejected[key], judged=False)
        else:
            judged = finish(checker.judge(sample.tools, request, planned, thought.text, proposal))
            spent("checker", judged.stats)
            verdict = judged.output
        checks.append({"revision": revision, "verdict": verdict.verdict, "reason": verdict.reason})
        if verdict.verdict == "accept" or revision == revisions:
            break
        rejected[key] = verdict.reason
        check = CallChecked(0, action.name, arguments, action.arguments, "reject", verdict.reason)
        turn = check.turn()
        assert turn is not None  # a rejection always adds its check turn
        history = [*planned, turn]
    predicted["checks"] = checks
    predicted["revisions"] = max(len(checks) - 1, 0)
    # a first step that was no call is never checked: the actor's prediction stands as it is
    predicted["unchecked"] = unchecked or _first_proposal(predicted, started)
    return predicted, stats


def _first_proposal(predicted: dict[str, Any], started: float) -> dict[str, Any]:
    """What the actor proposed before any verdict, and the seconds it took to propose it."""
    keys = ("decision", "api", "arguments", "answer")
    return {key: predicted[key] for key in keys} | {
        "seconds": round(time.perf_counter() - started, 3)
    }
