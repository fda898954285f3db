"""The Backend seam: one model that completes prompts, wherever it runs.

A backend streams a completion as a generator of text pieces that *returns* the
:class:`~umi_cli.engine.types.Completion` with its figures::

    stream = backend.stream(request)
    for piece in stream: ...          # text as it is decoded
    completion = finish(stream)       # or: text = yield from backend.stream(request)

Closing the generator early (a cancelled run) stops decoding at once. What a backend can do is
data (:class:`BackendCaps`), so roles never ask which kind of backend they hold. The in-process
llama.cpp model (``umi_cli.engine.llama``) is the first implementation; OpenAI-compatible servers
(``umi_cli.engine.remote``) the second.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from umi_cli.engine.types import Completion, CompletionRequest, TokenCallback

GrammarKind = Literal["gbnf", "json_schema", "none"]
T = TypeVar("T")

#: A completion in progress: yields text pieces, returns the finished completion.
CompletionStream = Generator[str, None, Completion]


@dataclass(frozen=True)
class BackendCaps:
    """What a backend can do.

    ``grammar``: the constraint language it takes. ``kv_slots``: it keeps one prompt cache per
    slot (a role), so a prompt extending that slot's last one only evaluates the new suffix.
    ``local_tokenizer``: counting tokens is cheap (no round trip). ``chat_template``: it can
    render chat messages. ``parallel``: sequences worth issuing at once. ``served_by``: where
    completions run, for messages (``in-process llama.cpp``, ``vllm at http://...``).
    """

    grammar: GrammarKind = "gbnf"
    kv_slots: bool = True
    local_tokenizer: bool = True
    chat_template: bool = True
    parallel: int = 1
    served_by: str = "in-process llama.cpp"


@runtime_checkable
class Backend(Protocol):
    """One model, opened once per process by the :class:`~umi_cli.engine.pool.BackendPool`."""

    @property
    def name(self) -> str: ...

    @property
    def caps(self) -> BackendCaps: ...

    @property
    def n_ctx(self) -> int: ...

    def stream(self, request: CompletionRequest) -> CompletionStream: ...

    def count_tokens(self, text: str) -> int: ...

    def render_chat(
        self,
        messages: list[dict[str, Any]],
        *,
        add_generation_prompt: bool = True,
        tools: list[dict[str, Any]] | None = None,
    ) -> str: ...

    def forget(self, slot: str | None = None) -> None: ...

    def close(self) -> None: ...


def finish(stream: Generator[Any, None, T], on_piece: TokenCallback | None = None) -> T:
    """Run ``stream`` to its end (handing each piece to ``on_piece``) and return its value."""
    while True:
        try:
            piece = next(stream)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]  # StopIteration.value is Any
        if on_piece is not None:
            on_piece(piece)


def complete(
    backend: Backend, request: CompletionRequest, on_token: TokenCallback | None = None
) -> Completion:
    """One whole completion (for commands that do not stream through the agent)."""
    return finish(backend.stream(request), on_token)
