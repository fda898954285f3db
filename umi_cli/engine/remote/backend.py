"""A model served by an OpenAI-compatible server, behind the same Backend seam as in-process.

``stream`` sends one raw completion (the chat roles prefill the assistant turn, which chat
APIs do not allow) and yields its text as it arrives; stop strings are sent to the server and
also checked here, so the text and the stop are those the in-process engine gives. Closing the
stream early closes the connection, and the server stops generating.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from umi_cli.engine.backend import BackendCaps, CompletionStream
from umi_cli.engine.remote.client import EndpointClient
from umi_cli.engine.remote.errors import RemoteError, cut_off, malformed
from umi_cli.engine.remote.flavors import Flavor
from umi_cli.engine.remote.slots import ANY_SLOT, SlotMap
from umi_cli.engine.remote.templates import ChatRenderer
from umi_cli.engine.remote.tokens import TokenCounter
from umi_cli.engine.remote.wire import Chunk, WireError, chunks, completion_body
from umi_cli.engine.stops import StopScanner
from umi_cli.engine.types import Completion, CompletionRequest, CompletionStats, StopReason
from umi_cli.errors import UmiError
from umi_cli.models.refs import EndpointRef
from umi_cli.secrets import redact
from umi_cli.text import one_line

log = logging.getLogger(__name__)


class RemoteBackend:
    """One served model; thread-safe, ``caps.parallel`` completions at once."""

    def __init__(
        self,
        ref: EndpointRef,
        flavor: Flavor,
        client: EndpointClient,
        *,
        n_ctx: int,
        parallel: int,
        counter: TokenCounter,
        renderer: ChatRenderer,
        slots: SlotMap | None = None,
        served: dict[str, Any] | None = None,
    ) -> None:
        self.ref = ref
        self.flavor = flavor
        self.client = client
        self.counter = counter
        self.renderer = renderer
        self.slots = slots
        #: What the server said about itself when it was opened (models, props).
        self.served = served or {}
        self._n_ctx = n_ctx
        self.caps = BackendCaps(
            grammar=flavor.grammar,
            kv_slots=flavor.kv_slots,
            local_tokenizer=counter.how == "local",
            chat_template=renderer.how != "none",
            parallel=parallel,
            served_by=f"{flavor.name} at {ref.base_url}",
        )
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.ref.model_id

    @property
    def n_ctx(self) -> int:
        return self._n_ctx

    def count_tokens(self, text: str) -> int:
        return self.counter.count(text)

    def render_chat(
        self,
        messages: list[dict[str, Any]],
        *,
        add_generation_prompt: bool = True,
        tools: list[dict[str, Any]] | None = None,
    ) -> str:
        return self.renderer.render(
            messages, add_generation_prompt=add_generation_prompt, tools=tools
        )

    def constraint(self, request: CompletionRequest) -> dict[str, Any]:
        """The body fields that constrain ``request``, in the strongest language the server
        takes: GBNF, else a JSON Schema, else none (said once per kind)."""
        if request.grammar is not None and request.json_schema is not None:
            raise UmiError("a completion takes a grammar or a JSON schema, not both")
        flavor = self.flavor
        if request.json_schema is not None:
            if flavor.schema_field is not None:
                return {flavor.schema_field: request.json_schema}
            if flavor.grammar_field is not None:
                from umi_cli.engine.llama.grammar import json_schema_grammar

                return {flavor.grammar_field: json_schema_grammar(request.json_schema)}
            self._warn_once("json_schema", "JSON Schema")
        elif request.grammar is not None:
            if flavor.grammar_field is not None:
                return {flavor.grammar_field: request.grammar}
            self._warn_once("gbnf", "GBNF grammar")
        return {}

    def _warn_once(self, key: str, what: str) -> None:
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        log.warning(
            "model '%s': a %s server takes no %s; its completions run unconstrained",
            self.ref.model_id, self.flavor.name, what,
        )  # fmt: skip

    def stream(self, request: CompletionRequest) -> CompletionStream:
        constraint = self.constraint(request)
        slot = self.slots.lease(request.slot, request.prompt) if self.slots else ANY_SLOT
        kept = request.prompt  # what the server slot holds if the completion stops early
        try:
            completion = yield from self._stream(request, constraint, slot)
            kept = request.prompt + completion.text
            return completion
        finally:
            if self.slots is not None:
                self.slots.release(slot, kept)

    def _stream(
        self, request: CompletionRequest, constraint: dict[str, Any], slot: int
    ) -> CompletionStream:
        body = completion_body(
            self.flavor, self.ref, request, constraint=constraint,
            slot=slot if slot != ANY_SLOT else None, n_ctx=self._n_ctx,
        )  # fmt: skip
        url = self.client.url(self.flavor.completions_path)
        scanner = StopScanner(tuple(request.stop))
        started = time.perf_counter()
        first: float | None = None
        pieces = 0
        last = Chunk()
        with self.client.stream_lines(self.flavor.completions_path, body) as lines:
            try:
                for chunk in chunks(self.flavor, lines):
                    if chunk.text:
                        first = first or time.perf_counter()
                        pieces += 1
                        fresh = scanner.feed(chunk.text.encode("utf-8"))
                        if fresh:
                            yield fresh
                    if chunk.finish is not None or chunk.usage is not None:
                        last = _merge(last, chunk)
                    if scanner.stopped:
                        break  # the server missed a stop string: leaving closes the stream
            except WireError as exc:
                if exc.server:
                    said = one_line(redact(str(exc)))
                    raise RemoteError(
                        f"model '{self.ref.model_id}': {url} failed mid-completion ({said}); see "
                        "the server's log"
                    ) from None
                raise malformed(self.ref, url, str(exc)) from None
        if last.finish is None and not scanner.stopped:
            raise cut_off(self.ref, url, "no finish_reason")
        tail = scanner.finish()
        if tail:
            yield tail
        ended = time.perf_counter()
        stats = self._stats(request, last, pieces, started, first, ended)
        return Completion(scanner.result, self._reason(request, last, scanner), stats)

    @staticmethod
    def _reason(request: CompletionRequest, last: Chunk, scanner: StopScanner) -> StopReason:
        if scanner.stopped:
            return "stop"
        if last.finish == "length":
            return "length"
        if last.stop_word is not None:
            return "stop" if last.stop_word else "eos"
        return "stop" if request.stop else "eos"  # the server does not say which

    def _stats(
        self,
        request: CompletionRequest,
        last: Chunk,
        pieces: int,
        started: float,
        first: float | None,
        ended: float,
    ) -> CompletionStats:
        usage = last.usage
        first = first or ended
        prompt_tokens = usage.prompt_tokens if usage else None
        if prompt_tokens is None:
            bos = self.counter.bos_tokens() if request.add_bos else 0
            prompt_tokens = self.counter.count(request.prompt) + bos
        return CompletionStats(
            prompt_tokens=prompt_tokens,
            cached_tokens=(usage.cached_tokens if usage else None) or 0,
            generated_tokens=(usage.generated_tokens if usage else None) or pieces,
            prompt_seconds=_first(usage.prompt_seconds if usage else None, first - started),
            generation_seconds=_first(usage.generation_seconds if usage else None, ended - first),
        )

    def forget(self, slot: str | None = None) -> None:
        """Stop steering ``slot``'s prompts to the server slot that held them."""
        if self.slots is not None:
            self.slots.forget(slot)

    def close(self) -> None:
        self.client.close()
        if self.counter.local is not None:
            self.counter.local.close()


def _merge(last: Chunk, chunk: Chunk) -> Chunk:
    """The finish reason and figures seen so far (usage may come in a chunk of its own)."""
    return Chunk(
        finish=chunk.finish or last.finish,
        stop_word=chunk.stop_word if chunk.stop_word is not None else last.stop_word,
        usage=chunk.usage or last.usage,
    )


def _first(value: float | None, fallback: float) -> float:
    return value if value is not None else max(fallback, 0.0)
