"""Step-level ToolBench evaluation (FORMAT.md §7): predict one step sample, score it.

``alpha-umi`` mode: the planner sees the reference history before its turn; on ``caller`` the
caller runs on that history plus the *predicted* planner turn, on ``conclusion`` (when the
reference is a finish too, the only case a metric reads) the summarizer does. ``backbone`` mode
(the paper's single-model baseline): one backbone completion yields decision, call and answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from umi_cli.agent.moa.settings import MoaSettings
from umi_cli.agent.role_base import Role
from umi_cli.agent.roles import Backbone, Caller, Planner, Summarizer
from umi_cli.engine import finish
from umi_cli.engine.types import CompletionStats
from umi_cli.errors import UmiError
from umi_cli.eval.metrics import aggregate, score_step
from umi_cli.eval.steps import StepSample, prediction
from umi_cli.eval.toolbench_cmat import predict_cmat
from umi_cli.eval.toolbench_moa import forced_prediction, moa_predictor, moa_summary_predictor

Roles = Mapping[str, Role]
Prediction = tuple[dict[str, Any], dict[str, CompletionStats]]


def predict_alpha_umi(roles: Roles, sample: StepSample) -> Prediction:
    """The three-role prediction for one sample, and the stats of each role that ran."""
    planner, caller, summarizer = roles["planner"], roles["caller"], roles["summarizer"]
    assert isinstance(planner, Planner) and isinstance(caller, Caller)
    assert isinstance(summarizer, Summarizer)
    stats: dict[str, CompletionStats] = {}
    plan = finish(planner.plan(sample.tools, sample.history))
    stats["planner"] = plan.stats
    predicted = prediction(plan.output.decision, plan.output.text, judge=plan.output.judge)
    history = [*sample.history, {"from": "assistant", "value": plan.output.text}]
    if plan.output.decision == "caller":
        call = finish(caller.call(sample.tools, history, plan.output.text))
        stats["caller"] = call.stats
        predicted.update(
            api=call.output.name,
            arguments=call.output.arguments_dict(),
            call=call.output.text,
        )
    elif plan.output.decision == "conclusion" and sample.decision == "conclusion":
        answer = finish(summarizer.conclude(history))
        stats["summarizer"] = answer.stats
        predicted["answer"] = answer.output
    return predicted, stats


def predict_backbone(roles: Roles, sample: StepSample) -> Prediction:
    """The single-model (backbone) prediction for one sample."""
    backbone = roles["backbone"]
    assert isinstance(backbone, Backbone)
    step = finish(backbone.step(sample.tools, sample.history))
    out = step.output
    predicted = prediction(out.decision, out.thought, answer=out.answer)
    if out.call:
        predicted.update(api=out.call.name, arguments=out.call.arguments_dict(), call=out.call.text)
    return predicted, {"backbone": step.stats}


#: How each mode predicts one step sample.
PREDICTORS: dict[str, Callable[[Roles, StepSample], Prediction]] = {
    "alpha-umi": predict_alpha_umi,
    "backbone": predict_backbone,
    "cmat": predict_cmat,  # the planner + caller with the checker and its revisions
    "moa": moa_predictor(),  # the defaults; evaluate_sample(moa=...) takes the run's settings
}


def predict_summary(roles: Roles, sample: StepSample) -> Prediction:
    """The teacher-forced answer: the summarizer after the reference planner turn."""
    summarizer = roles["summarizer"]
    assert isinstance(summarizer, Summarizer)
    answer = finish(summarizer.conclude(sample.forced_history))
    return forced_prediction(sample, answer.output), {"summarizer": answer.stats}


def predict_backbone_summary(roles: Roles, sample: StepSample) -> Prediction:
    """The single model's teacher-forced answer (its ``conclusion:`` after the reference turn)."""
    backbone = roles["backbone"]
    assert isinstance(backbone, Backbone)
    step = finish(backbone.step(sample.tools, sample.forced_history, answer_now=True))
    return forced_prediction(sample, step.output.answer or ""), {"backbone": step.stats}


#: How each mode answers a conclusion sample teacher-forced (``--teacher-forced``): R-L of the
#: answer alone, without the planner's decisions in the way.
SUMMARIZERS: dict[str, Callable[[Roles, StepSample], Prediction]] = {
    "alpha-umi": predict_summary,
    "backbone": predict_backbone_summary,
    "cmat": predict_summary,  # the checker judges calls, not answers
    "moa": moa_summary_predictor(),
}


def evaluate_sample(
    roles: Roles,
    sample: StepSample,
    mode: str,
    *,
    teacher_forced: bool = False,
    moa: MoaSettings | None = None,
) -> dict[str, Any]:
    """One predictions-file record: reference, prediction, scores, per-role figures.

    ``teacher_forced``: a conclusion sample answered after the reference planner turn
    (:data:`SUMMARIZERS`). ``moa``: the run's MoA settings (layers, caller rule) for the moa
    mode, else its defaults. A role failing with a UmiError (a prompt that cannot fit, say) makes
    a failed prediction (decision ``"error"``, the message under ``"error"``), which scores 0
    where it applies.
    """
    started = time.perf_counter()
    predict = (SUMMARIZERS if teacher_forced else PREDICTORS)[mode]
    if mode == "moa" and moa is not None:
        predict = (moa_summary_predictor if teacher_forced else moa_predictor)(moa)
    error = None
    try:
        predicted, stats = predict(roles, sample)
    except UmiError as exc:  # e.g. a prompt that does not fit: a failed prediction, not a crash
        error = str(exc)
        predicted, stats = prediction("error", None), {}
    scores = _scores(sample, predicted)
    record = {
        "id": sample.id,
        "reference": {
            "decision": sample.decision,
            "api": sample.call.api if sample.call else None,
            "arguments": sample.call.arguments if sample.call else None,
            "answer": sample.answer,
        },
        "predicted": predicted,
        "scores": scores,
        "stats": {role: s.to_dict() for role, s in stats.items()},
        "seconds": round(time.perf_counter() - started, 3),
    }
    if error is not None:
        record["error"] = error
    unchecked = predicted.get("unchecked")
    if unchecked is not None:  # cmat: the actor's first proposal, before the checker
        record["unchecked_scores"] = _scores(sample, unchecked)
    return record


def _scores(sample: StepSample, predicted: Mapping[str, Any]) -> dict[str, float | None]:
    return score_step(
        reference_decision=sample.decision,
        predicted_decision=predicted["decision"],
        tool_names=sample.tool_names,
        reference_api=sample.call.api if sample.call else None,
        reference_arguments=sample.call.arguments if sample.call else None,
        predicted_api=predicted["api"],
        predicted_arguments=predicted["arguments"],
        reference_answer=sample.answer,
        predicted_answer=predicted["answer"],
    )


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Metrics (paper percentages) plus timing over predictions-file records."""
    metrics = aggregate(record["scores"] for record in records)
    seconds = sum(record.get("seconds", 0.0) for record in records)
    metrics["seconds_per_sample"] = seconds / len(records) if records else None
    generated = sum(
        role.get("generated_tokens", 0)
        for record in records
        for role in record.get("stats", {}).values()
    )
    metrics["generated_tokens"] = generated
    metrics["errors"] = sum(1 for record in records if record.get("error"))
    if records and all("unchecked_scores" in record for record in records):
        metrics["unchecked"] = _unchecked_metrics(records)
    return metrics


def _unchecked_metrics(records: list[dict[str, Any]]) -> dict[str, Any]:
    """cmat: the metrics of the actor's first proposals, as if no checker had run."""
    metrics = aggregate(record["unchecked_scores"] for record in records)
    seconds = sum(record["predicted"]["unchecked"]["seconds"] for record in records)
    metrics["seconds_per_sample"] = seconds / len(records)
    changed = sum(
        1
        for record in records
        if any(
            record["predicted"]["unchecked"][key] != record["predicted"].get(key)
            for key in ("decision", "api", "arguments")
        )
    )
    metrics["changed_by_checker"] = changed
    return metrics


#: The paper's out-of-domain ToolBench rows (FORMAT.md §7), for comparison tables.
PAPER_ROWS: dict[str, dict[str, float]] = {
    "α-UMi 7B (paper)": {
        "plan_acc": 89.72,
        "act_em": 60.47,
        "hallu": 0.45,
        "arg_f1": 53.60,
        "rouge_l": 46.26,
    },
    "GPT-4 (paper)": {
        "plan_acc": 77.80,
        "act_em": 55.26,
        "hallu": 5.12,
        "arg_f1": 47.45,
        "rouge_l": 30.61,
    },
    "ChatGPT (paper)": {
        "plan_acc": 81.62,
        "act_em": 54.67,
        "hallu": 8.19,
        "arg_f1": 40.08,
        "rouge_l": 22.85,
    },
}
