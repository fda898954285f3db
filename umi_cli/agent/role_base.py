"""A model playing one role: its backend, prompt dialect, decoding settings and prompt budget.

The role classes themselves (planner, caller, summarizer, backbone) are in
:mod:`umi_cli.agent.roles`. Every role call is a generator of text pieces that returns a
:class:`RoleResult`, so a mode can stream it and a cancelled run can close it mid-decode.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from umi_cli.agent.dialects import Dialect
from umi_cli.agent.prompt import RolePrompt
from umi_cli.engine.backend import Backend, CompletionStream
from umi_cli.engine.types import CompletionRequest, CompletionStats

T = TypeVar("T")

#: Tokens between the prompt budget and the context (the authors' 4096 - 512 - 8 = 3576).
CONTEXT_MARGIN = 8


@dataclass(frozen=True)
class Decoding:
    """Sampling and limits for one role."""

    max_tokens: int = 512
    temperature: float = 0.5
    top_p: float = 1.0
    seed: int | None = None
    constrain: bool = True


@dataclass
class RoleResult(Generic[T]):
    """A role's parsed output, raw text, figures and the prompt it saw."""

    output: T
    raw: str
    stats: CompletionStats = field(default_factory=CompletionStats)
    prompt: str = ""
    truncated: bool = False


#: A role call in progress: text pieces, then the result.
RoleCall = Generator[str, None, RoleResult[T]]


class Role:
    """A model playing one role; the role name is its KV-cache slot."""

    name = "role"

    def __init__(
        self,
        backend: Backend,
        dialect: Dialect,
        *,
        decoding: Decoding | None = None,
        context: int = 4096,
    ) -> None:
        self.backend = backend
        self.dialect = dialect
        self.decoding = decoding or Decoding()
        self.context = context

    @property
    def budget(self) -> int:
        """Prompt tokens kept: the context minus the generation budget minus 8 (FORMAT.md §6:
        4096 and 512 keep the last 3576)."""
        return max(64, self.context - self.decoding.max_tokens - CONTEXT_MARGIN)

    def fit(self, prompt: RolePrompt) -> tuple[str, bool]:
        """The prompt text cut to the budget, and whether it was cut."""
        return prompt.fit(self.backend, self.budget)

    def complete(
        self,
        prompt: str,
        *,
        grammar: str | None,
        max_tokens: int | None = None,
        stop: tuple[str, ...] = (),
    ) -> CompletionStream:
        """One completion in this role's slot, with the dialect's stops plus ``stop``."""
        return self.backend.stream(
            self.request(prompt, grammar=grammar, max_tokens=max_tokens, stop=stop)
        )

    def request(
        self,
        prompt: str,
        *,
        grammar: str | None,
        max_tokens: int | None = None,
        stop: tuple[str, ...] = (),
    ) -> CompletionRequest:
        """The request :meth:`complete` sends (modes that batch several build them here)."""
        return CompletionRequest(
            prompt=prompt,
            stop=self.dialect.stops + stop,
            max_tokens=max_tokens or self.decoding.max_tokens,
            temperature=self.decoding.temperature,
            top_p=self.decoding.top_p,
            seed=self.decoding.seed,
            grammar=grammar if self.decoding.constrain else None,
            slot=self.name,
        )
