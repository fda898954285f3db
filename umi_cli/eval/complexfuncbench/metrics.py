"""Scores of ComplexFuncBench runs: per task, overall, and the published leaderboard.

Per task, from the calls the replay recorded: **success** (every reference call made with
matching arguments), **call accuracy** as the benchmark defines it (reference calls matched /
reference calls), **precision** (reference calls matched / calls made, so repeated and wasted
calls count against it), and the counts. The ``complexeval_*`` figures apply ComplexEval's
run rules to the same matches: its run ends at the first well-formed call that matches nothing
(a repeat of a look-up excepted) or at any call once every reference call is made, and its
success does not need the optional location look-ups. Overall figures pool calls over tasks
(``print_results.py`` divides summed correct calls by summed reference calls).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from umi_cli.eval.complexfuncbench.data import Task
from umi_cli.eval.complexfuncbench.matcher import Matcher
from umi_cli.eval.complexfuncbench.replay import CallRecord, ReplayToolset
from umi_cli.tools.toolset import ToolDef


@dataclass(frozen=True)
class TaskScore:
    """How one task's calls scored."""

    task_id: int
    reference_calls: int
    calls: int
    matched: int
    repeated: int
    missed: int
    invalid: int
    complexeval_matched: int
    complexeval_success: bool

    @property
    def success(self) -> bool:
        return self.matched == self.reference_calls

    @property
    def call_accuracy(self) -> float:
        return self.matched / self.reference_calls if self.reference_calls else 1.0

    @property
    def precision(self) -> float:
        """Matched / calls made; 0.0 when no call was made."""
        return self.matched / self.calls if self.calls else 0.0

    @property
    def wasted(self) -> int:
        """Calls that matched no new reference call (repeats, misses, invalid calls)."""
        return self.calls - self.matched


def complexeval_outcome(task: Task, records: Sequence[CallRecord]) -> tuple[int, bool]:
    """ComplexEval's correct-call count and success for these calls (see the module doc)."""
    matcher = Matcher(task)
    done: set[str] = set()
    stopped = False
    for record in records:
        if len(done) == len(task.calls):
            stopped = True
            break
        if record.outcome == "invalid":
            continue
        if record.outcome == "match" and record.label is not None:
            done.add(record.label)
            continue
        if record.outcome == "repeat" and record.label and matcher.is_optional(record.label):
            continue
        stopped = True
        break
    required = {call.label for call in task.calls if not matcher.is_optional(call.label)}
    return len(done), not stopped and required <= done


def score_task(task: Task, records: Sequence[CallRecord]) -> TaskScore:
    """Score the calls the replay recorded for ``task``."""
    outcomes = [record.outcome for record in records]
    complexeval_matched, complexeval_success = complexeval_outcome(task, records)
    return TaskScore(
        task_id=task.id,
        reference_calls=len(task.calls),
        calls=len(records),
        matched=len({record.label for record in records if record.matched}),
        repeated=outcomes.count("repeat"),
        missed=outcomes.count("miss"),
        invalid=outcomes.count("invalid"),
        complexeval_matched=complexeval_matched,
        complexeval_success=complexeval_success,
    )


def score_calls(
    task: Task,
    calls: Iterable[tuple[str, Mapping[str, Any] | str | None]],
    tools: Sequence[ToolDef],
) -> TaskScore:
    """Replay ``(name, arguments)`` calls against ``task`` and score them."""
    replay = ReplayToolset(task, tools)
    for name, arguments in calls:
        replay.call(name, arguments)
    return score_task(task, replay.records)


@dataclass(frozen=True)
class Summary:
    """Overall figures (fractions 0-1) and totals over scored tasks."""

    tasks: int
    success_rate: float
    call_accuracy: float
    precision: float
    complexeval_success_rate: float
    complexeval_call_accuracy: float
    reference_calls: int
    calls: int
    matched: int
    repeated: int
    wasted: int
    invalid: int


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def aggregate(scores: Sequence[TaskScore]) -> Summary:
    """The overall figures: rates over tasks, accuracies and precision over pooled calls."""
    reference = sum(score.reference_calls for score in scores)
    calls = sum(score.calls for score in scores)
    matched = sum(score.matched for score in scores)
    return Summary(
        tasks=len(scores),
        success_rate=_ratio(sum(score.success for score in scores), len(scores)),
        call_accuracy=_ratio(matched, reference),
        precision=_ratio(matched, calls),
        complexeval_success_rate=_ratio(
            sum(score.complexeval_success for score in scores), len(scores)
        ),
        complexeval_call_accuracy=_ratio(
            sum(score.complexeval_matched for score in scores), reference
        ),
        reference_calls=reference,
        calls=calls,
        matched=matched,
        repeated=sum(score.repeated for score in scores),
        wasted=sum(score.wasted for score in scores),
        invalid=sum(score.invalid for score in scores),
    )


@dataclass(frozen=True)
class LeaderboardRow:
    """A published result on all 1,000 tasks, in percent."""

    model: str
    success_rate_pct: float
    call_accuracy_pct: float


#: ComplexFuncBench's published leaderboard (Zhong et al. 2025), success rate / call accuracy.
LEADERBOARD: tuple[LeaderboardRow, ...] = (
    LeaderboardRow("Claude-3.5-Sonnet", 61.00, 79.27),
    LeaderboardRow("GPT-4o", 60.50, 80.55),
    LeaderboardRow("GPT-4-Turbo", 49.50, 71.38),
    LeaderboardRow("Qwen2.5-72B", 40.10, 58.32),
    LeaderboardRow("GLM-4-9B", 9.40, 27.97),
    LeaderboardRow("Qwen2.5-7B", 5.00, 18.19),
    LeaderboardRow("Llama-3.1-8B", 0.10, 1.34),
)

LEADERBOARD_NOTE = (
    "Published figures come from ComplexEval, which accepts a call by exact match, by equal "
    "real API responses, or by an LLM judge (Claude-3.5-Sonnet); umi's matching is rule-based "
    "(normalised values, defaults) over recorded responses, so the figures compare only roughly."
)
