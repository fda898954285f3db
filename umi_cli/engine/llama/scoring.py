"""Scoring continuations on a llama.cpp context: how likely each option is after a prompt.

The prompt is evaluated once in the request's slot (reusing its cached prefix, as completions
do); each option's tokens are then evaluated after it and their log-probabilities summed. The
slot is left holding the prompt, so a completion of the same prompt that follows costs nothing
more. Used for decisions a small model makes better as a choice than as free text ("yes"/"no").
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import llama_cpp
import numpy as np
from llama_cpp import Llama

from umi_cli.engine.llama.decode import common_prefix, usable_context
from umi_cli.engine.llama.slots import SlotTable
from umi_cli.engine.types import CompletionStats
from umi_cli.errors import UmiError


def _log_softmax_at(llm: Llama, tokens: Sequence[int]) -> list[float]:
    """Log-probabilities of ``tokens`` under the logits of the last evaluated position."""
    logits = np.ctypeslib.as_array(
        llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),)
    ).astype(np.float64)
    top = float(logits.max())
    total = top + math.log(float(np.exp(logits - top).sum()))
    return [float(logits[token]) - total for token in tokens]


def score_options(
    llm: Llama,
    slots: SlotTable,
    prompt_tokens: list[int],
    options: Sequence[list[int]],
    slot: str,
) -> tuple[list[float], CompletionStats]:
    """The summed log-probability of each option's tokens after the prompt, and the figures
    of the evaluation (prompt tokens, cached tokens, seconds)."""
    if not prompt_tokens:
        raise UmiError("the prompt is empty")
    if any(not option for option in options):
        raise UmiError("an option to score has no tokens")
    longest = max((len(option) for option in options), default=0)
    if len(prompt_tokens) + longest > usable_context(llm):
        raise UmiError(
            f"prompt of {len(prompt_tokens)} tokens plus an option of {longest} exceeds the "
            f"model context of {usable_context(llm)} tokens; shorten the prompt"
        )
    stats = CompletionStats(prompt_tokens=len(prompt_tokens))
    started = time.perf_counter()
    slots.activate(slot)
    reused = min(common_prefix(slots.tokens(), prompt_tokens), len(prompt_tokens) - 1)
    stats.cached_tokens = reused
    llm.n_tokens = reused
    llm.eval(prompt_tokens[reused:])
    end = len(prompt_tokens)
    first = _log_softmax_at(llm, [option[0] for option in options])
    scores = []
    for option, head in zip(options, first, strict=True):
        total = head
        for index in range(1, len(option)):
            llm.n_tokens = end + index - 1
            llm.eval([option[index - 1]])
            total += _log_softmax_at(llm, [option[index]])[0]
        scores.append(total)
    llm.n_tokens = end  # the slot holds the prompt; option tokens past it are dropped on reuse
    stats.prompt_seconds = time.perf_counter() - started
    return scores, stats
