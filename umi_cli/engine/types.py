"""What the agent asks of the engine and what it gets back (no llama.cpp types leak out)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

#: Called with each piece of generated text as it is decoded.
TokenCallback = Callable[[str], None]

StopReason = Literal["stop", "eos", "length"]


@dataclass(frozen=True)
class CompletionRequest:
    """One raw completion.

    ``prompt`` is text; special tokens written in it (``</s>``, ``<|im_end|>``) are parsed as
    tokens. ``slot`` names the KV-cache slot (the role): the engine keeps the previous prompt of
    each slot so that a prompt that extends it only evaluates the new suffix. ``grammar`` is GBNF
    text; ``json_schema`` is an alternative constraint; at most one is given.
    """

    prompt: str
    stop: tuple[str, ...] = ()
    max_tokens: int = 512
    temperature: float = 0.5
    top_p: float = 1.0
    seed: int | None = None
    grammar: str | None = None
    json_schema: dict[str, Any] | None = None
    slot: str = "default"
    add_bos: bool = True


@dataclass
class CompletionStats:
    """Per-call figures: token counts and wall time of prompt evaluation and generation."""

    prompt_tokens: int = 0
    cached_tokens: int = 0
    generated_tokens: int = 0
    prompt_seconds: float = 0.0
    generation_seconds: float = 0.0

    def __add__(self, other: CompletionStats) -> CompletionStats:
        return CompletionStats(
            self.prompt_tokens + other.prompt_tokens,
            self.cached_tokens + other.cached_tokens,
            self.generated_tokens + other.generated_tokens,
            self.prompt_seconds + other.prompt_seconds,
            self.generation_seconds + other.generation_seconds,
        )

    @property
    def tokens_per_second(self) -> float:
        return self.generated_tokens / self.generation_seconds if self.generation_seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Completion:
    """The generated text (stop string excluded) and how generation ended."""

    text: str
    stop_reason: StopReason
    stats: CompletionStats = field(default_factory=CompletionStats)
