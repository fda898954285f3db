"""Scoring options after a prompt on the tiny model: log-probabilities that add up, slots kept."""

from __future__ import annotations

import math

import pytest

from umi_cli.engine import complete
from umi_cli.engine.types import CompletionRequest
from umi_cli.errors import UmiError

PROMPT = "The answer is"


def test_single_token_options_are_a_distribution(model) -> None:
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    scores, stats = model.score(PROMPT, letters, slot="judge")
    assert all(score < 0 for score in scores)
    assert sum(math.exp(score) for score in scores) < 1.0  # the rest of the vocabulary has some
    done = complete(model, CompletionRequest(prompt=PROMPT, max_tokens=1, slot="other"))
    assert stats.prompt_tokens == done.stats.prompt_tokens  # BOS counted alike


def test_a_longer_option_is_the_sum_of_its_steps(model) -> None:
    (both,), _ = model.score(PROMPT, [" ok"], slot="judge")
    (first,), _ = model.score(PROMPT, [" "], slot="judge")
    (second,), _ = model.score(PROMPT + " ", ["ok"], slot="judge")
    (third,), _ = model.score(PROMPT + " o", ["k"], slot="judge")
    # " ok" is three byte-level tokens for the tiny vocabulary: ' ', 'o', 'k'
    (o,), _ = model.score(PROMPT + " ", ["o"], slot="judge")
    assert both == pytest.approx(first + o + third, abs=1e-4)
    assert second == pytest.approx(o + third, abs=1e-4)


def test_the_greedy_choice_has_the_highest_score(model) -> None:
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    scores, _ = model.score(PROMPT, letters, slot="judge")
    grammar = "root ::= [a-z]\n"
    done = complete(
        model,
        CompletionRequest(prompt=PROMPT, max_tokens=1, temperature=0.0, grammar=grammar),
    )
    assert done.text == letters[scores.index(max(scores))]


def test_the_slot_keeps_the_prompt_for_a_completion_that_follows(model) -> None:
    model.score(PROMPT, ["ab", "c"], slot="judge")
    done = complete(model, CompletionRequest(prompt=PROMPT, max_tokens=2, slot="judge"))
    assert done.stats.cached_tokens == done.stats.prompt_tokens - 1  # all but the last token
    again, _ = model.score(PROMPT, ["c"], slot="judge")
    first, _ = model.score(PROMPT, ["c"], slot="other")
    assert again == pytest.approx(first, abs=1e-4)


def test_an_empty_option_or_prompt_is_refused(model) -> None:
    with pytest.raises(UmiError, match="no tokens"):
        model.score(PROMPT, [""], slot="judge")
    with pytest.raises(UmiError, match="empty"):
        model.score("", ["a"], slot="judge")
