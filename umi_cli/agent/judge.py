"""The planner's judge: two decisions a small model makes better as a yes/no choice.

A 0.5B planner asked to write ``Next: conclusion.`` after its thought almost never does (4 of 38
finished ToolBench steps): its free text prefers one more call. Asked one focused question and
scored instead of sampled, the same model separates the cases far better. The judge asks:

- **answered** (once something was observed): "Do the observations above contain the answer to
  the request?" At or above :attr:`JudgeSettings.answered` the planner concludes; below it, the
  conclusion is not among its choices.
- **relevant** (before the first call): "Can one of the APIs above do what the request asks?"
  Below :attr:`JudgeSettings.relevant` the planner gives up at once.

Each answer is the probability of "yes" against "no" (both casings) as the next token of the
model's own reply, read from llama.cpp's logits in a slot per question (:data:`SLOTS`), so the
growing prompt of a run is evaluated once. The thresholds are the planner model's, calibrated on
the ToolBench development set (``bench/calibrate_judge.py``) and kept in its catalog entry
(``judge:``); a model without them decides from its own text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from umi_cli.agent import format as fmt
from umi_cli.agent.chat_prompts import ChatPrompt, api_lines, latest_task, readable_history
from umi_cli.engine.backend import Backend
from umi_cli.engine.types import CompletionStats

ANSWERED_SYSTEM = "You check whether API results answer a user's request."
ANSWERED_QUESTION = (
    "\nDo the observations above contain the answer to the user's request? Answer yes or no."
)
RELEVANT_SYSTEM = "You check whether a user's request can be served by these APIs:\n{apis}"
RELEVANT_QUESTION = "\nCan one of the APIs above do what the user asks? Answer yes or no."

Question = Literal["answered", "relevant"]
YES = ("Yes", "yes")
NO = ("No", "no")
#: The judge's KV slot per question: a run's prompts of one question share a growing prefix.
SLOTS = {"answered": "judge-answered", "relevant": "judge-relevant"}
#: The thought written when the judge decides (the summarizer and the history read it).
ANSWERED_THOUGHT = "The observations contain the answer to the request."
IRRELEVANT_THOUGHT = "None of the available APIs can do what the request asks."


class Scorer(Protocol):
    """A backend that can score continuations (the in-process llama.cpp engine)."""

    def score(
        self, prompt: str, options: Sequence[str], *, slot: str
    ) -> tuple[list[float], CompletionStats]: ...


@dataclass(frozen=True)
class JudgeSettings:
    """Thresholds on P(yes): conclude at or above ``answered``; give up before any call below
    ``relevant``. A question without a threshold is not asked."""

    answered: float | None = None
    relevant: float | None = None


@dataclass(frozen=True)
class Verdict:
    """One judged question: which, P(yes), and the figures of the scoring."""

    question: Question
    p_yes: float
    stats: CompletionStats


def question_for(history: Sequence[fmt.Turn]) -> Question | None:
    """The question that fits this step of the current task: ``answered`` once something was
    observed, ``relevant`` at its first step, none in between."""
    _earlier, current = latest_task(history)
    if any(turn["from"] == "observation" for turn in current):
        return "answered"
    if not any(turn["from"] in ("assistant", "caller") for turn in current):
        return "relevant"
    return None


def p_yes(scores: Sequence[float]) -> float:
    """P(yes) / (P(yes) + P(no)) from the log-probabilities of :data:`YES` then :data:`NO`."""
    yes = _logsumexp(scores[: len(YES)])
    no = _logsumexp(scores[len(YES) :])
    top = max(yes, no)
    return math.exp(yes - top) / (math.exp(yes - top) + math.exp(no - top))


def _logsumexp(values: Sequence[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def can_judge(backend: Backend) -> bool:
    """Whether ``backend`` scores continuations and renders chat prompts."""
    return callable(getattr(backend, "score", None)) and backend.caps.chat_template


class Judge:
    """Asks the planner's model the judge's questions about one step."""

    def __init__(
        self, backend: Backend, settings: JudgeSettings | None = None, *, budget: int = 2048
    ) -> None:
        self.backend = backend
        self.settings = settings or JudgeSettings()
        self.budget = budget

    def threshold(self, question: Question) -> float | None:
        """The question's threshold (None: it is not asked)."""
        return self.settings.answered if question == "answered" else self.settings.relevant

    def ask(
        self, question: Question, tools: Sequence[dict[str, Any]], history: Sequence[fmt.Turn]
    ) -> Verdict:
        """The verdict on ``question`` for this step."""
        return self.answered(history) if question == "answered" else self.relevant(tools, history)

    def decides(self, verdict: Verdict) -> tuple[str, fmt.Decision] | None:
        """The thought and decision a verdict makes (conclude at or above the ``answered``
        threshold, give up below the ``relevant`` one), or None: the planner decides."""
        threshold = self.threshold(verdict.question)
        assert threshold is not None  # a question is asked only with its threshold
        if verdict.question == "relevant" and verdict.p_yes < threshold:
            return IRRELEVANT_THOUGHT, "give up"
        if verdict.question == "answered" and verdict.p_yes >= threshold:
            return ANSWERED_THOUGHT, "conclusion"
        return None

    def answered(self, history: Sequence[fmt.Turn]) -> Verdict:
        """P(the current task's observations answer its request)."""
        _earlier, current = latest_task(history)
        shown = [t for t in current if t["from"] in ("user", "caller", "observation")]
        prompt = ChatPrompt(ANSWERED_SYSTEM, readable_history(shown), ANSWERED_QUESTION)
        return self._ask("answered", prompt)

    def relevant(self, tools: Sequence[dict[str, Any]], history: Sequence[fmt.Turn]) -> Verdict:
        """P(one of ``tools`` can serve the current request)."""
        _earlier, current = latest_task(history)
        shown = [t for t in current if t["from"] == "user"][:1]
        system = RELEVANT_SYSTEM.replace("{apis}", api_lines(tools))
        return self._ask("relevant", ChatPrompt(system, readable_history(shown), RELEVANT_QUESTION))

    def _ask(self, question: Question, prompt: ChatPrompt) -> Verdict:
        text, _cut = prompt.fit(self.backend, self.budget)
        scorer: Scorer = self.backend  # type: ignore[assignment]  # can_judge checked it
        scores, stats = scorer.score(text, [*YES, *NO], slot=SLOTS[question])
        return Verdict(question, p_yes(scores), stats)
