"""The in-process llama.cpp backend: one GGUF model and context, with a KV slot per role."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import llama_cpp
from llama_cpp import Llama

from umi_cli.engine.backend import BackendCaps, CompletionStream, complete
from umi_cli.engine.llama.batched import run_many
from umi_cli.engine.llama.chat import render_chat
from umi_cli.engine.llama.decode import TokenPieces, run_completion, usable_context
from umi_cli.engine.llama.scoring import score_options
from umi_cli.engine.llama.slots import SlotTable
from umi_cli.engine.many import ManyStream
from umi_cli.engine.types import Completion, CompletionRequest, CompletionStats, TokenCallback
from umi_cli.errors import UmiError


def tokenize(vocab: Any, data: bytes, *, add_bos: bool, special: bool) -> list[int]:
    """Token ids of UTF-8 ``data``, in a buffer sized by the text.

    (``Llama.tokenize`` sizes its buffer by the model's trained context, which a damaged
    header can make gigabytes large.)
    """
    size = len(data) + 2
    for _ in range(2):
        buffer = (llama_cpp.llama_token * size)()
        count = llama_cpp.llama_tokenize(vocab, data, len(data), buffer, size, add_bos, special)
        if count >= 0:
            return list(buffer[:count])
        size = -count  # the buffer was too small: -count tokens are needed
    raise UmiError("llama.cpp could not tokenize the text")


class LlamaBackend:
    """One llama.cpp model and context, shared by every role that uses the same file.

    Completions are serialised (one context): a second stream waits for the first to finish or
    be closed. Each ``request.slot`` keeps its own evaluated tokens, so a prompt that extends the
    slot's previous prompt and output only evaluates the new suffix, even when other slots ran
    in between.
    """

    caps = BackendCaps(grammar="gbnf", kv_slots=True, local_tokenizer=True, chat_template=True)

    def __init__(self, path: Path, llm: Llama) -> None:
        self.path = path
        self.llm = llm
        self.slots = SlotTable(llm)
        self._pieces = TokenPieces(llm)
        self._lock = threading.Lock()
        self._owner: int | None = None

    @property
    def name(self) -> str:
        return str(self.metadata.get("general.name") or self.path.name)

    @property
    def metadata(self) -> dict[str, Any]:
        """GGUF key/values (strings, as llama.cpp reports them)."""
        return dict(self.llm.metadata)

    @property
    def n_ctx(self) -> int:
        """Context size of the loaded context, in tokens."""
        return usable_context(self.llm)

    @property
    def eos_token_id(self) -> int:
        return int(self.llm.token_eos())

    @contextmanager
    def _context(self) -> Iterator[None]:
        """Hold the context; the same thread asking twice is a bug, not a wait."""
        if self._owner == threading.get_ident():
            raise RuntimeError(f"{self.path.name}: a completion is already running in this thread")
        with self._lock:
            self._owner = threading.get_ident()
            try:
                yield
            finally:
                self._owner = None

    def tokenize(self, text: str, *, special: bool = True, add_bos: bool = False) -> list[int]:
        """Token ids of ``text``; with ``special`` written special tokens (``</s>``) are parsed."""
        with self._context():
            return self._tokenize(text, special=special, add_bos=add_bos)

    def _tokenize(self, text: str, *, special: bool, add_bos: bool) -> list[int]:
        return tokenize(self._pieces.vocab, text.encode("utf-8"), add_bos=add_bos, special=special)

    def count_tokens(self, text: str) -> int:
        """How many tokens ``text`` takes (special tokens parsed, no BOS)."""
        return len(self.tokenize(text))

    def detokenize(self, ids: list[int]) -> str:
        """Text of token ids (special tokens omitted; invalid UTF-8 replaced)."""
        data = b"".join(self._pieces(i) for i in ids)
        return data.decode("utf-8", errors="replace")

    def token_text(self, token_id: int) -> str:
        """The vocabulary entry of a token, special tokens included (e.g. ``</s>``)."""
        with self._context():
            text: bytes = self.llm.detokenize([token_id], special=True)
        return text.decode("utf-8", errors="replace")

    def render_chat(
        self,
        messages: list[dict[str, Any]],
        *,
        add_generation_prompt: bool = True,
        tools: list[dict[str, Any]] | None = None,
    ) -> str:
        """Render ``messages`` with the GGUF's own chat template."""
        template = self.metadata.get("tokenizer.chat_template")
        if not template:
            raise UmiError(
                f"model {self.path.name} has no chat template (tokenizer.chat_template); "
                "use a raw-completion prompt format for it"
            )
        return render_chat(
            template,
            messages,
            bos_token=self._special_text("tokenizer.ggml.bos_token_id"),
            eos_token=self._special_text("tokenizer.ggml.eos_token_id"),
            add_generation_prompt=add_generation_prompt,
            tools=tools,
            model_name=self.path.name,
        )

    def _special_text(self, key: str) -> str:
        value = self.metadata.get(key)
        return self.token_text(int(value)) if value is not None else ""

    def stream(self, request: CompletionRequest) -> CompletionStream:
        """Generate for ``request`` in its slot, yielding text as it is decoded."""
        with self._context():
            prompt = self._tokenize(request.prompt, special=True, add_bos=False)
            if request.add_bos and self._adds_bos() and prompt[:1] != [self.llm.token_bos()]:
                prompt = [self.llm.token_bos(), *prompt]
            return (yield from run_completion(self.llm, self.slots, self._pieces, prompt, request))

    def stream_many(self, requests: Sequence[CompletionRequest]) -> ManyStream:
        """Decode ``requests`` together, one llama.cpp batch per step (their shared prompt
        prefix evaluated once): yields ``(index, piece)``, returns the completions in order."""
        with self._context():
            prompts = []
            for request in requests:
                prompt = self._tokenize(request.prompt, special=True, add_bos=False)
                if request.add_bos and self._adds_bos() and prompt[:1] != [self.llm.token_bos()]:
                    prompt = [self.llm.token_bos(), *prompt]
                prompts.append(prompt)
            return (yield from run_many(self.llm, self.slots, self._pieces, prompts, requests))

    def score(
        self, prompt: str, options: Sequence[str], *, slot: str
    ) -> tuple[list[float], CompletionStats]:
        """The log-probability of each option continuing ``prompt``, evaluated in ``slot``
        (which keeps the prompt cached for a completion that follows)."""
        if not prompt:
            raise UmiError("the prompt is empty")
        with self._context():
            tokens = self._tokenize(prompt, special=True, add_bos=False)
            if self._adds_bos() and tokens[:1] != [self.llm.token_bos()]:
                tokens = [self.llm.token_bos(), *tokens]
            ids = [self._tokenize(option, special=False, add_bos=False) for option in options]
            return score_options(self.llm, self.slots, tokens, ids, slot)

    def complete(
        self, request: CompletionRequest, on_token: TokenCallback | None = None
    ) -> Completion:
        """The whole completion at once; ``on_token`` receives text as it is decoded."""
        return complete(self, request, on_token)

    def _adds_bos(self) -> bool:
        flag = self.metadata.get("tokenizer.ggml.add_bos_token")
        if flag is not None:
            return str(flag).lower() == "true"
        return bool(self.llm.token_bos() >= 0)

    def forget(self, slot: str | None = None) -> None:
        """Drop the KV cache of ``slot`` (all slots when None); the next call starts afresh."""
        with self._context():
            self.slots.forget(slot)

    def close(self) -> None:
        with self._context():
            self.llm.close()
