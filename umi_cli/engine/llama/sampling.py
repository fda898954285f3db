"""Next-token sampling under an optional grammar, as llama.cpp's ``common_sampler`` does it.

Checking a grammar costs work per candidate token, and a chat model has ~150k of them. So the
ordinary chain (greedy, or top-p/temperature/seeded dist) first picks a token from the raw logits;
only that one token is checked against the grammar. If the grammar accepts it, it is the answer;
if not, the full candidate array is rebuilt, the grammar masks it, the chain samples again. Both
the grammar and the chain then accept the chosen token. ``grammar_first=True`` keeps the plain
chain with the grammar in front (every candidate checked at every step), for comparison.
"""

from __future__ import annotations

import ctypes
import logging
import math

import llama_cpp
import numpy as np
from llama_cpp import Llama

from umi_cli.engine.llama.grammar import GrammarError
from umi_cli.engine.types import CompletionRequest

log = logging.getLogger(__name__)

#: numpy twin of ``llama_token_data`` (id int32, logit float32, p float32).
TOKEN_DATA = np.dtype([("id", "<i4"), ("logit", "<f4"), ("p", "<f4")])
assert TOKEN_DATA.itemsize == ctypes.sizeof(llama_cpp.llama_token_data)


def _new_chain() -> llama_cpp.llama_sampler_p:
    return llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())


def _add_ordinary(chain: llama_cpp.llama_sampler_p, request: CompletionRequest) -> None:
    """Greedy at temperature 0, else top-p (when < 1), temperature and a seeded dist."""
    add = llama_cpp.llama_sampler_chain_add
    if request.temperature <= 0:
        add(chain, llama_cpp.llama_sampler_init_greedy())
        return
    if request.top_p < 1.0:
        add(chain, llama_cpp.llama_sampler_init_top_p(request.top_p, 1))
    add(chain, llama_cpp.llama_sampler_init_temp(request.temperature))
    seed = llama_cpp.LLAMA_DEFAULT_SEED if request.seed is None else request.seed
    add(chain, llama_cpp.llama_sampler_init_dist(seed & 0xFFFFFFFF))


def _grammar_sampler(llm: Llama, grammar: str) -> llama_cpp.llama_sampler_p:
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    constraint = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root")
    if not constraint:
        raise GrammarError("invalid grammar: llama.cpp rejected it (see --debug)")
    return constraint


class TokenSampler:
    """Samples the next token from the last logits of ``llm``'s context; a context manager.

    ``picks`` counts grammar-checked samples, ``resampled`` those where the chain's pick broke the
    grammar and the full masked vocabulary was sampled instead.
    """

    def __init__(
        self,
        llm: Llama,
        request: CompletionRequest,
        grammar: str | None,
        *,
        grammar_first: bool = False,
    ) -> None:
        self.llm = llm
        self.picks = 0
        self.resampled = 0
        self._grammar: llama_cpp.llama_sampler_p | None = None
        self._chain: llama_cpp.llama_sampler_p | None = None
        try:
            self._chain = _new_chain()
            if grammar is not None and grammar_first:  # the grammar masks every candidate
                llama_cpp.llama_sampler_chain_add(self._chain, _grammar_sampler(llm, grammar))
            elif grammar is not None:
                self._grammar = _grammar_sampler(llm, grammar)
            _add_ordinary(self._chain, request)
        except BaseException:
            self.close()
            raise
        if self._grammar is not None:
            n_vocab = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(llm.model))
            self._cells = np.zeros(n_vocab, dtype=TOKEN_DATA)
            self._ids = np.arange(n_vocab, dtype=np.int32)
            self._one = llama_cpp.llama_token_data(0, 1.0, 0.0)
            self._one_array = llama_cpp.llama_token_data_array(
                ctypes.pointer(self._one), 1, -1, False
            )

    def sample(self, row: int = -1) -> int:
        """The next token (already accepted by the grammar and the chain), from the logits of
        output ``row`` of the last decoded batch (-1: its last output)."""
        chain = self._chain
        assert chain is not None, "the sampler is closed"
        if self._grammar is None:  # the chain samples and accepts in one call
            return int(llama_cpp.llama_sampler_sample(chain, self.llm.ctx, row))
        self.picks += 1
        token = self._apply(chain, self._candidates(row))
        if not self._allows(token):
            self.resampled += 1
            candidates = self._candidates(row)
            llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(candidates))
            token = self._apply(chain, candidates)
        llama_cpp.llama_sampler_accept(self._grammar, token)
        llama_cpp.llama_sampler_accept(chain, token)
        return token

    def _candidates(self, row: int) -> llama_cpp.llama_token_data_array:
        """Every vocabulary token with its raw logit from output ``row`` of the last batch."""
        cells = self._cells
        logits = llama_cpp.llama_get_logits_ith(self.llm.ctx, row)
        cells["id"] = self._ids
        cells["logit"] = np.ctypeslib.as_array(logits, shape=(len(cells),))
        cells["p"] = 0.0
        data = cells.ctypes.data_as(llama_cpp.llama_token_data_p)
        return llama_cpp.llama_token_data_array(data, len(cells), -1, False)

    @staticmethod
    def _apply(chain: llama_cpp.llama_sampler_p, candidates) -> int:
        llama_cpp.llama_sampler_apply(chain, ctypes.byref(candidates))
        if candidates.selected < 0:
            raise RuntimeError("the sampler chain selected no token")
        return int(candidates.data[candidates.selected].id)

    def _allows(self, token: int) -> bool:
        """Whether the grammar accepts ``token`` next (checks this one candidate only)."""
        self._one.id, self._one.logit, self._one.p = token, 1.0, 0.0  # type: ignore[assignment]  # ctypes fields take ints
        self._one_array.size, self._one_array.selected, self._one_array.sorted = 1, -1, False
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(self._one_array))
        return not math.isinf(self._one.logit)  # rejected tokens get -inf

    def close(self) -> None:
        if self._grammar:
            if self.picks:
                log.debug("grammar: %d tokens checked, %d resampled", self.picks, self.resampled)
            llama_cpp.llama_sampler_free(self._grammar)
        if self._chain:
            llama_cpp.llama_sampler_free(self._chain)
        self._grammar = self._chain = None

    def __enter__(self) -> TokenSampler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
