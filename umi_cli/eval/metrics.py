"""Step-level ToolBench metrics of the α-UMi paper (FORMAT.md §7), each a small pure function.

Values are fractions in [0, 1] per sample; :func:`aggregate` turns per-sample records into the
paper's percentages (Plan ACC, Act. EM, Hallu., Arg. F1, R-L).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

#: ROUGE-L tokens: runs of Unicode letters or digits, after lowercasing. Punctuation, spaces and
#: underscores separate tokens (the same rule as the `rouge_score` package's default tokenizer,
#: extended from ASCII to Unicode letters so that non-English answers are scored too).
_TOKEN = re.compile(r"[^\W_]+")


def rouge_tokens(text: str) -> list[str]:
    """The tokens ROUGE-L compares: lowercase runs of letters/digits."""
    return _TOKEN.findall(text.lower())


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two token lists (O(len(a)·len(b)))."""
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for token_a in a:
        current = [0]
        for j, token_b in enumerate(b, start=1):
            if token_a == token_b:
                current.append(previous[j - 1] + 1)
            else:
                current.append(max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1 (β = 1) of a predicted text against one reference; 0 when either is empty."""
    pred, ref = rouge_tokens(prediction), rouge_tokens(reference)
    lcs = lcs_length(pred, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(pred), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def values_equal(predicted: Any, reference: Any) -> bool:
    """Argument values match when equal, or equal as stripped text (`5` matches `"5"`)."""
    if predicted == reference:
        return True
    return _as_text(predicted) == _as_text(reference)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def argument_f1(
    predicted: Mapping[str, Any] | None,
    reference: Mapping[str, Any],
) -> float:
    """Arg. F1 of one call whose API name is already known to be right.

    Each reference key scores 1 when the prediction has it with an equal value, 0.5 when the
    prediction has it with another value; precision divides the score by the predicted key count,
    recall by the reference key count. ``{}`` against ``{}`` is 1; ``None`` (unparsable) is 0.
    """
    if predicted is None:
        return 0.0
    if not predicted and not reference:
        return 1.0
    score = sum(
        (1.0 if values_equal(predicted[key], value) else 0.5)
        for key, value in reference.items()
        if key in predicted
    )
    if score == 0:
        return 0.0
    precision, recall = score / len(predicted), score / len(reference)
    return 2 * precision * recall / (precision + recall)


def score_step(
    *,
    reference_decision: str,
    predicted_decision: str,
    tool_names: Iterable[str],
    reference_api: str | None = None,
    reference_arguments: Mapping[str, Any] | None = None,
    predicted_api: str | None = None,
    predicted_arguments: Mapping[str, Any] | None = None,
    reference_answer: str | None = None,
    predicted_answer: str | None = None,
) -> dict[str, float | None]:
    """Per-sample scores; a metric that does not apply to this sample is ``None``.

    - ``plan``: 1 when the decision (``caller`` / ``conclusion`` / ``give up``) matches.
    - ``hallucinated``: 1 when a call was predicted to an API outside ``tool_names``.
    - ``act_em`` and ``arg_f1``: only for samples whose reference is a call with a known API;
      a missing or wrong predicted API scores 0 on both.
    - ``rouge_l``: only for reference-finish samples; no predicted answer scores 0.
    """
    names = set(tool_names)
    scores: dict[str, float | None] = {
        "plan": float(predicted_decision == reference_decision),
        "hallucinated": float(predicted_api is not None and predicted_api not in names),
        "act_em": None,
        "arg_f1": None,
        "rouge_l": None,
    }
    if reference_decision == "caller" and reference_api is not None:
        name_ok = predicted_api == reference_api
        scores["act_em"] = float(name_ok)
        scores["arg_f1"] = (
            argument_f1(predicted_arguments, reference_arguments or {}) if name_ok else 0.0
        )
    if reference_decision == "conclusion" and reference_answer is not None:
        scores["rouge_l"] = rouge_l(predicted_answer or "", reference_answer)
    return scores


METRIC_KEYS = ("plan_acc", "act_em", "hallu", "arg_f1", "rouge_l")


def aggregate(score_rows: Iterable[Mapping[str, float | None]]) -> dict[str, Any]:
    """Paper percentages (0-100) over per-sample scores, plus the denominators used."""
    rows = list(score_rows)
    total = len(rows)

    def mean(key: str) -> tuple[float | None, int]:
        values = [value for row in rows if (value := row.get(key)) is not None]
        return ((100.0 * sum(values) / len(values)) if values else None), len(values)

    plan, _ = mean("plan")
    hallu, _ = mean("hallucinated")
    act_em, calls = mean("act_em")
    arg_f1, _ = mean("arg_f1")
    rouge, finishes = mean("rouge_l")
    return {
        "plan_acc": plan,
        "act_em": act_em,
        "hallu": hallu,
        "arg_f1": arg_f1,
        "rouge_l": rouge,
        "samples": total,
        "call_samples": calls,
        "finish_samples": finishes,
    }
