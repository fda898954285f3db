"""The step-level metrics on hand-made cases, with exact values worked out by hand."""

from __future__ import annotations

import pytest

from umi_cli.eval.metrics import (
    aggregate,
    argument_f1,
    lcs_length,
    rouge_l,
    rouge_tokens,
    score_step,
)


def test_rouge_tokens_lowercase_split_on_punctuation_and_underscore() -> None:
    assert rouge_tokens("The Weather_in PARIS, 18°C!") == [
        "the",
        "weather",
        "in",
        "paris",
        "18",
        "c",
    ]
    assert rouge_tokens("Zürich 東京") == ["zürich", "東京"]


def test_lcs_length() -> None:
    assert lcs_length(list("abcbdab"), list("bdcaba")) == 4
    assert lcs_length([], ["a"]) == 0


def test_rouge_l_exact_values() -> None:
    # pred "the cat sat down" (4), ref "the cat was sitting down" (5): LCS "the cat down" = 3
    # P = 3/4, R = 3/5, F = 2PR/(P+R) = 2*0.45/1.35 = 2/3
    assert rouge_l("The cat sat down.", "the cat was sitting down") == pytest.approx(2 / 3)
    assert rouge_l("same words here", "Same, words; here!") == 1.0
    assert rouge_l("nothing shared", "completely different") == 0.0
    assert rouge_l("", "reference") == 0.0
    assert rouge_l("prediction", "") == 0.0
    # order matters: LCS of (a b c) and (c b a) is 1 -> P = R = 1/3
    assert rouge_l("a b c", "c b a") == pytest.approx(1 / 3)


def test_argument_f1_all_equal_and_empty() -> None:
    assert argument_f1({"city": "Paris", "days": 3}, {"city": "Paris", "days": 3}) == 1.0
    assert argument_f1({}, {}) == 1.0
    assert argument_f1({}, {"city": "Paris"}) == 0.0
    assert argument_f1({"city": "Paris"}, {}) == 0.0


def test_argument_f1_partial_credit() -> None:
    # ref keys {a, b}; pred {a (equal), b (other value), c (extra)}: score 1 + 0.5 = 1.5
    # P = 1.5/3 = 0.5, R = 1.5/2 = 0.75, F = 2*0.375/1.25 = 0.6
    assert argument_f1({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5}) == pytest.approx(0.6)
    # one of two reference keys, equal: P = 1, R = 0.5, F = 2/3
    assert argument_f1({"a": "x"}, {"a": "x", "b": "y"}) == pytest.approx(2 / 3)
    # a present key with another value only: P = R = 0.5 -> 0.5
    assert argument_f1({"a": "x"}, {"a": "z"}) == 0.5


def test_argument_f1_value_equality_and_unparsable() -> None:
    assert argument_f1({"n": "5"}, {"n": 5}) == 1.0  # same as text
    assert argument_f1({"flag": True}, {"flag": "true"}) == 1.0
    assert argument_f1({"q": " Paris "}, {"q": "Paris"}) == 1.0
    assert argument_f1({"q": "paris"}, {"q": "Paris"}) == 0.5  # case is significant
    assert argument_f1(None, {}) == 0.0


def test_score_step_call_sample() -> None:
    scores = score_step(
        reference_decision="caller",
        predicted_decision="caller",
        tool_names=["a_for_t", "b_for_t"],
        reference_api="a_for_t",
        reference_arguments={"x": 1},
        predicted_api="a_for_t",
        predicted_arguments={"x": 2},
    )
    assert scores == {
        "plan": 1.0,
        "hallucinated": 0.0,
        "act_em": 1.0,
        "arg_f1": 0.5,
        "rouge_l": None,
    }


def test_score_step_wrong_or_hallucinated_name_scores_zero_arguments() -> None:
    scores = score_step(
        reference_decision="caller",
        predicted_decision="caller",
        tool_names=["a_for_t"],
        reference_api="a_for_t",
        reference_arguments={"x": 1},
        predicted_api="made_up",
        predicted_arguments={"x": 1},
    )
    assert scores["act_em"] == 0.0 and scores["arg_f1"] == 0.0
    assert scores["hallucinated"] == 1.0


def test_score_step_finish_sample_without_predicted_answer() -> None:
    scores = score_step(
        reference_decision="conclusion",
        predicted_decision="caller",
        tool_names=["a_for_t"],
        predicted_api="a_for_t",
        predicted_arguments={},
        reference_answer="It is sunny.",
    )
    assert scores == {
        "plan": 0.0,
        "hallucinated": 0.0,
        "act_em": None,
        "arg_f1": None,
        "rouge_l": 0.0,
    }


def test_aggregate_percentages_and_denominators() -> None:
    rows = [
        {"plan": 1.0, "hallucinated": 0.0, "act_em": 1.0, "arg_f1": 0.5, "rouge_l": None},
        {"plan": 0.0, "hallucinated": 1.0, "act_em": 0.0, "arg_f1": 0.0, "rouge_l": None},
        {"plan": 1.0, "hallucinated": 0.0, "act_em": None, "arg_f1": None, "rouge_l": 0.25},
        {"plan": 1.0, "hallucinated": 0.0, "act_em": None, "arg_f1": None, "rouge_l": None},
    ]
    metrics = aggregate(rows)
    assert metrics == {
        "plan_acc": 75.0,
        "act_em": 50.0,
        "hallu": 25.0,
        "arg_f1": 25.0,
        "rouge_l": 25.0,
        "samples": 4,
        "call_samples": 2,
        "finish_samples": 1,
    }


def test_aggregate_without_call_samples_reports_none() -> None:
    metrics = aggregate([{"plan": 1.0, "hallucinated": 0.0}])
    assert metrics["act_em"] is None and metrics["rouge_l"] is None
    assert metrics["plan_acc"] == 100.0
