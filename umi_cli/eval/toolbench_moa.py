"""The moa mode's step-level ToolBench prediction (FORMAT.md §7).

The planner's proposals are aggregated under the decision grammar; on ``caller`` the caller
runs by its MoA rule (agreement, else the aggregator) on the history plus the predicted planner
turn; on ``conclusion`` (when the reference is a finish too) the summarizer's proposals are
aggregated into the answer. Figures: each role's aggregate under its name, the proposals under
``<role> proposer`` (summed over the sample).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import Any, TypeVar

from umi_cli.agent.events import Event
from umi_cli.agent.moa import steps
from umi_cli.agent.moa.settings import MoaSettings
from umi_cli.agent.moa.team import MoaTeam
from umi_cli.agent.moa_events import Proposal
from umi_cli.agent.role_base import Role
from umi_cli.agent.roles import Summarizer
from umi_cli.engine import finish
from umi_cli.engine.types import CompletionStats
from umi_cli.eval.steps import StepSample, prediction

T = TypeVar("T")
Roles = Mapping[str, Role]
Prediction = tuple[dict[str, Any], dict[str, CompletionStats]]


def moa_predictor(settings: MoaSettings | None = None) -> Callable[[Roles, StepSample], Prediction]:
    """The moa prediction with ``settings`` (layers, caller rule; the members are the roles')."""
    chosen = settings or MoaSettings()

    def predict(roles: Roles, sample: StepSample) -> Prediction:
        return predict_moa(roles, sample, chosen)

    return predict


def predict_moa(roles: Roles, sample: StepSample, settings: MoaSettings) -> Prediction:
    """The mixture's prediction for one sample, and the figures of what ran."""
    team = MoaTeam.from_roles(roles, settings)
    stats: dict[str, CompletionStats] = {}
    plan = drain_proposals(
        steps.plan(team["planner"], settings, 1, sample.tools, sample.history), stats
    )
    stats["planner"] = plan.stats
    predicted = prediction(plan.output.decision, plan.output.text)
    history = [*sample.history, {"from": "assistant", "value": plan.output.text}]
    if plan.output.decision == "caller":
        calling = steps.call(team["caller"], settings, 1, sample.tools, history, plan.output.text)
        called, agreed = drain_proposals(calling, stats)
        if not agreed:  # an agreed call's figures are its proposal's, counted already
            stats["caller"] = called.stats
        predicted.update(
            api=called.output.name,
            arguments=called.output.arguments_dict(),
            call=called.output.text,
        )
    elif plan.output.decision == "conclusion" and sample.decision == "conclusion":
        predicted["answer"] = _aggregated_answer(team, settings, history, stats)
    return predicted, stats


def moa_summary_predictor(
    settings: MoaSettings | None = None,
) -> Callable[[Roles, StepSample], Prediction]:
    """The teacher-forced answer of the mixture: the summarizer's proposals aggregated after the
    reference planner turn (the planner does not run)."""
    chosen = settings or MoaSettings()

    def predict(roles: Roles, sample: StepSample) -> Prediction:
        team = MoaTeam.from_roles(roles, chosen)
        stats: dict[str, CompletionStats] = {}
        answer = _aggregated_answer(team, chosen, sample.forced_history, stats)
        return forced_prediction(sample, answer), stats

    return predict


def forced_prediction(sample: StepSample, answer: str) -> dict[str, Any]:
    """The prediction record of a teacher-forced conclusion (the reference planner turn)."""
    return prediction("conclusion", sample.planner_text, answer=answer)


def _aggregated_answer(
    team: MoaTeam, settings: MoaSettings, history: list[dict[str, str]],
    stats: dict[str, CompletionStats],
) -> str:  # fmt: skip
    """The summarizer's proposals, then the aggregate answer written with them in view."""
    summarizing = team["summarizer"]
    references = drain_proposals(steps.summary_references(summarizing, settings, 1, history), stats)
    aggregator = summarizing.aggregating(references)
    assert isinstance(aggregator, Summarizer)
    answer = finish(aggregator.conclude(history))
    stats["summarizer"] = answer.stats
    return answer.output


def drain_proposals(events: Generator[Event, None, T], stats: dict[str, CompletionStats]) -> T:
    """Run a mixture step to its end, adding its proposals' figures to ``stats``."""
    while True:
        try:
            event = next(events)
        except StopIteration as done:
            return done.value
        if isinstance(event, Proposal):
            key = f"{event.role} proposer"
            stats[key] = stats.get(key, CompletionStats()) + event.stats
