"""One completion on a llama.cpp context: prefix reuse, sampling, stop strings, figures.

The decode loop is a generator: it yields each piece of text as it becomes safe to show and
returns the :class:`Completion`; closing it early stops decoding (the sampler is freed).
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Generator

import llama_cpp
from llama_cpp import Llama

from umi_cli.engine.llama.grammar import check_grammar, json_schema_grammar
from umi_cli.engine.llama.sampling import TokenSampler
from umi_cli.engine.llama.slots import SlotTable
from umi_cli.engine.stops import StopScanner
from umi_cli.engine.types import Completion, CompletionRequest, CompletionStats, StopReason
from umi_cli.errors import UmiError


def request_grammar(request: CompletionRequest) -> str | None:
    """The GBNF constraint of a request (validated), or None."""
    if request.grammar is not None and request.json_schema is not None:
        raise UmiError("a completion takes a grammar or a JSON schema, not both")
    if request.json_schema is not None:
        return json_schema_grammar(request.json_schema)
    if request.grammar is not None:
        check_grammar(request.grammar)
        return request.grammar
    return None


class TokenPieces:
    """Raw bytes of each token (special tokens render as nothing), cached."""

    def __init__(self, llm: Llama) -> None:
        self.vocab = llama_cpp.llama_model_get_vocab(llm.model)
        self._cache: dict[int, bytes] = {}
        self._buffer = ctypes.create_string_buffer(256)  # grows for longer pieces

    def __call__(self, token: int) -> bytes:
        piece = self._cache.get(token)
        if piece is None:
            size = len(self._buffer)
            n = llama_cpp.llama_token_to_piece(self.vocab, token, self._buffer, size, 0, False)
            if n < 0:  # longer than the buffer: -n is the size needed
                self._buffer = ctypes.create_string_buffer(-n)
                n = llama_cpp.llama_token_to_piece(self.vocab, token, self._buffer, -n, 0, False)
            piece = self._buffer.raw[: max(n, 0)]
            self._cache[token] = piece
        return piece

    def is_end(self, token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(self.vocab, token))


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def usable_context(llm: Llama) -> int:
    """Tokens a context holds: llama.cpp may round the context it opens up (to 256), but
    llama-cpp-python's token buffer keeps the size that was asked for."""
    return min(int(llm.n_ctx()), len(llm.input_ids))


def run_completion(
    llm: Llama,
    slots: SlotTable,
    pieces: TokenPieces,
    prompt_tokens: list[int],
    request: CompletionRequest,
    *,
    grammar_first: bool = False,
) -> Generator[str, None, Completion]:
    """Evaluate the uncached part of the prompt in the request's slot, then generate.

    ``grammar_first`` masks the whole vocabulary with the grammar at every step (slow; kept for
    benchmarks) instead of checking only the token the ordinary chain picks.
    """
    n_ctx = usable_context(llm)
    if not prompt_tokens:
        raise UmiError("the prompt is empty")
    if len(prompt_tokens) + request.max_tokens > n_ctx:
        raise UmiError(
            f"prompt of {len(prompt_tokens)} tokens plus max_tokens {request.max_tokens} "
            f"exceeds the model context of {n_ctx} tokens; shorten the prompt or lower max_tokens"
        )
    grammar = request_grammar(request)
    stats = CompletionStats(prompt_tokens=len(prompt_tokens))
    slots.activate(request.slot)
    reused = min(common_prefix(slots.tokens(), prompt_tokens), len(prompt_tokens) - 1)
    stats.cached_tokens = reused

    started = time.perf_counter()
    llm.n_tokens = reused  # eval() drops KV cells past this point first
    llm.eval(prompt_tokens[reused:])
    stats.prompt_seconds = time.perf_counter() - started

    started = time.perf_counter()
    try:
        with TokenSampler(llm, request, grammar, grammar_first=grammar_first) as sampler:
            text, reason = yield from _generate(llm, pieces, request, sampler, stats)
    finally:
        stats.generation_seconds = time.perf_counter() - started
    return Completion(text=text, stop_reason=reason, stats=stats)


def _generate(
    llm: Llama,
    pieces: TokenPieces,
    request: CompletionRequest,
    sampler: TokenSampler,
    stats: CompletionStats,
) -> Generator[str, None, tuple[str, StopReason]]:
    scanner = StopScanner(tuple(request.stop))
    reason: StopReason = "length"
    while stats.generated_tokens < request.max_tokens:
        token = sampler.sample()
        stats.generated_tokens += 1
        if pieces.is_end(token):
            reason = "eos"
            break
        fresh = scanner.feed(pieces(token))
        if fresh:
            yield fresh
        if scanner.stopped:
            reason = "stop"
            break
        if stats.generated_tokens < request.max_tokens:
            llm.eval([token])
    tail = scanner.finish()
    if tail:
        yield tail
    return scanner.result, reason
