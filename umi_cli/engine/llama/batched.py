"""Several completions decoded together on one llama.cpp context: one batch per step.

Mixture-of-Agents proposals share their prompt, and decoding a small model on a CPU is bound by
reading its weights, so N sequences in one ``llama_decode`` cost little more than one. The
requests' common prompt prefix is evaluated once, in sequence 0 (reusing what the request's slot
already holds); sequences 1..N-1 share its KV cells (``llama_memory_seq_cp``, which in the unified
KV cache tags the same cells: nothing is copied); each sequence's own prompt suffix is evaluated;
then every step decodes one token per live sequence in one batch, each sequence sampled by its own
chain (its seed, its grammar) and cut by its own stop strings.

Afterwards sequence 0 holds the shared prefix as the slot's cache and the other sequences are
empty, so the role slots (:mod:`~umi_cli.engine.llama.slots`) work as before. Requests that do
not fit the context together run in waves, each reusing the prefix the previous one left.

Figures: a completion's ``prompt_seconds`` and ``generation_seconds`` are its share of the
batch's time (each step's time divided among the sequences decoded in it), so that their sum
over the completions is the real time spent.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

import llama_cpp
from llama_cpp import Llama

from umi_cli.engine.llama.decode import (
    TokenPieces,
    common_prefix,
    request_grammar,
    usable_context,
)
from umi_cli.engine.llama.sampling import TokenSampler
from umi_cli.engine.llama.slots import SlotTable
from umi_cli.engine.many import ManyStream, PartialCompletions
from umi_cli.engine.stops import StopScanner
from umi_cli.engine.types import Completion, CompletionRequest, CompletionStats, StopReason
from umi_cli.errors import UmiError

#: Sequences a context is opened with: proposals decoded together (more run in waves).
SEQUENCES = 8


@dataclass
class _Sequence:
    """One completion of the batch: its request, sampler, stop scanner and figures."""

    index: int
    request: CompletionRequest
    prompt: list[int]
    grammar: str | None
    seq: int = 0
    position: int = 0
    row: int = -1
    token: int = -1
    reason: StopReason = "length"
    done: bool = False
    sampler: TokenSampler | None = None
    scanner: StopScanner = field(init=False)
    stats: CompletionStats = field(init=False)

    def __post_init__(self) -> None:
        self.scanner = StopScanner(tuple(self.request.stop))
        self.stats = CompletionStats(prompt_tokens=len(self.prompt))

    def completion(self) -> Completion:
        return Completion(self.scanner.result, self.reason, self.stats)


def run_many(
    llm: Llama,
    slots: SlotTable,
    pieces: TokenPieces,
    prompts: Sequence[list[int]],
    requests: Sequence[CompletionRequest],
) -> ManyStream:
    """Decode ``requests`` (prompts already tokenized) together; a many-stream.

    The batch runs in the slot of the first request. A request that cannot run (an empty
    prompt, one that does not fit the context, a bad grammar) fails alone: the others complete
    and :class:`~umi_cli.engine.many.PartialCompletions` is raised at the end.
    """
    n_ctx = usable_context(llm)
    results: list[Completion | None] = [None] * len(requests)
    errors: dict[int, str] = {}
    pending: list[_Sequence] = []
    for index, (prompt, request) in enumerate(zip(prompts, requests, strict=True)):
        try:
            pending.append(_Sequence(index, request, prompt, _checked(prompt, request, n_ctx)))
        except UmiError as exc:
            errors[index] = str(exc)
    width = max(1, int(llama_cpp.llama_n_seq_max(llm.ctx)))
    while pending:
        wave = _wave(pending, n_ctx, width)
        pending = pending[len(wave) :]
        yield from _decode_wave(llm, slots, pieces, wave)
        for sequence in wave:
            results[sequence.index] = sequence.completion()
    for index in sorted(errors):
        yield index, ""
    if errors:
        raise PartialCompletions(results, errors)
    return [completion for completion in results if completion is not None]


def _checked(prompt: list[int], request: CompletionRequest, n_ctx: int) -> str | None:
    """The request's grammar, after the checks a single completion makes."""
    if not prompt:
        raise UmiError("the prompt is empty")
    if len(prompt) + request.max_tokens > n_ctx:
        raise UmiError(
            f"prompt of {len(prompt)} tokens plus max_tokens {request.max_tokens} exceeds the "
            f"model context of {n_ctx} tokens; shorten the prompt or lower max_tokens"
        )
    return request_grammar(request)


def shared_prefix(prompts: Sequence[list[int]]) -> int:
    """Tokens every prompt starts with, leaving each at least one token of its own (whose
    logits start its completion)."""
    shared = min(len(prompt) for prompt in prompts) - 1
    first = prompts[0]
    for prompt in prompts[1:]:
        shared = min(shared, common_prefix(first, prompt))
    return max(shared, 0)


def cells_needed(prompts: Sequence[list[int]], max_tokens: Sequence[int]) -> int:
    """KV cells the prompts and their completions take together (the shared prefix once)."""
    shared = shared_prefix(prompts)
    own = sum(len(p) - shared + n for p, n in zip(prompts, max_tokens, strict=True))
    return shared + own


def _wave(pending: list[_Sequence], n_ctx: int, width: int) -> list[_Sequence]:
    """The longest run of pending sequences that fits the context together (at least one)."""
    wave = pending[:1]
    for sequence in pending[1:width]:
        trial = [*wave, sequence]
        need = cells_needed([s.prompt for s in trial], [s.request.max_tokens for s in trial])
        if need > n_ctx:
            break
        wave = trial
    return wave


def _decode_wave(
    llm: Llama, slots: SlotTable, pieces: TokenPieces, wave: list[_Sequence]
) -> Generator[tuple[int, str], None, None]:
    memory = llama_cpp.llama_get_memory(llm.ctx)
    shared = shared_prefix([s.prompt for s in wave])
    prefix = wave[0].prompt[:shared]
    started = time.perf_counter()
    slots.activate(wave[0].request.slot)
    reused = min(common_prefix(slots.tokens(), prefix), shared)
    batch = llama_cpp.llama_batch_init(max(int(llm.n_batch), len(wave)), 0, 1)
    try:
        with contextlib.ExitStack() as samplers:
            llm.n_tokens = reused
            llama_cpp.llama_memory_seq_rm(memory, 0, reused, -1)
            if reused < shared:
                llm.eval(prefix[reused:])
            for seq, sequence in enumerate(wave):
                sequence.seq = seq
                if seq:
                    llama_cpp.llama_memory_seq_cp(memory, 0, seq, -1, -1)
                sequence.sampler = samplers.enter_context(
                    TokenSampler(llm, sequence.request, sequence.grammar)
                )
            _prefill(llm, batch, wave, shared)
            seconds = time.perf_counter() - started
            for sequence in wave:
                sequence.stats.cached_tokens = reused if sequence.seq == 0 else shared
                sequence.stats.prompt_seconds = seconds / len(wave)
            yield from _generate(llm, pieces, batch, wave, memory)
    finally:
        llama_cpp.llama_batch_free(batch)
        for seq in range(1, len(wave)):
            llama_cpp.llama_memory_seq_rm(memory, seq, -1, -1)
        llm.n_tokens = min(int(llm.n_tokens), shared)  # the slot keeps the shared prefix
        llama_cpp.llama_memory_seq_rm(memory, 0, llm.n_tokens, -1)


def _prefill(llm: Llama, batch: llama_cpp.llama_batch, wave: list[_Sequence], shared: int) -> None:
    """Evaluate each sequence's own prompt tokens; the last ones together, with logits."""
    body = [
        (token, shared + offset, s.seq)
        for s in wave
        for offset, token in enumerate(s.prompt[shared:-1])
    ]
    size = int(llm.n_batch)
    for start in range(0, len(body), size):
        _fill(batch, body[start : start + size], logits=False)
        _decode(llm, batch)
    _fill(batch, [(s.prompt[-1], len(s.prompt) - 1, s.seq) for s in wave], logits=True)
    _decode(llm, batch)
    for row, sequence in enumerate(wave):
        sequence.row, sequence.position = row, len(sequence.prompt)


def _generate(
    llm: Llama,
    pieces: TokenPieces,
    batch: llama_cpp.llama_batch,
    wave: list[_Sequence],
    memory: llama_cpp.llama_memory_t,
) -> Generator[tuple[int, str], None, None]:
    live = list(wave)
    while live:
        started = time.perf_counter()
        for sequence in live:
            yield from _step(sequence, pieces)
            if sequence.done and sequence.seq:
                llama_cpp.llama_memory_seq_rm(memory, sequence.seq, -1, -1)  # free its cells
        going = [s for s in live if not s.done]
        if going:
            entries = [(s.token, s.position, s.seq) for s in going]
            _fill(batch, entries, logits=True)
            _decode(llm, batch)
            for row, sequence in enumerate(going):
                sequence.row, sequence.position = row, sequence.position + 1
        share = (time.perf_counter() - started) / len(live)
        for sequence in live:
            sequence.stats.generation_seconds += share
        live = going


def _step(sequence: _Sequence, pieces: TokenPieces) -> Generator[tuple[int, str], None, None]:
    """Sample the sequence's next token; yield the text it makes safe, and its end."""
    assert sequence.sampler is not None
    token = sequence.sampler.sample(sequence.row)
    sequence.token = token
    sequence.stats.generated_tokens += 1
    if pieces.is_end(token):
        sequence.reason, sequence.done = "eos", True
    else:
        fresh = sequence.scanner.feed(pieces(token))
        if fresh:
            yield sequence.index, fresh
        if sequence.scanner.stopped:
            sequence.reason, sequence.done = "stop", True
        elif sequence.stats.generated_tokens >= sequence.request.max_tokens:
            sequence.reason, sequence.done = "length", True
    if sequence.done:
        tail = sequence.scanner.finish()
        if tail:
            yield sequence.index, tail
        yield sequence.index, ""


def _fill(
    batch: llama_cpp.llama_batch, entries: Sequence[tuple[int, int, int]], *, logits: bool
) -> None:
    """Put ``(token, position, sequence)`` entries in ``batch``."""
    batch.n_tokens = len(entries)
    for i, (token, position, seq) in enumerate(entries):
        batch.token[i] = token
        batch.pos[i] = position  # type: ignore[call-overload]  # an int32 array, typed otherwise
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = seq
        batch.logits[i] = logits


def _decode(llm: Llama, batch: llama_cpp.llama_batch) -> None:
    code = llama_cpp.llama_decode(llm.ctx, batch)
    if code != 0:
        raise UmiError(
            f"llama.cpp could not decode {batch.n_tokens} tokens of several sequences together "
            f"(code {code}): the context is too small for them; lower the number of proposals "
            "or their max tokens"
        )
