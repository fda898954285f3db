"""A model playing one α-UMi role: its decoding settings, completion call and prompt fitting.

The role classes themselves (planner, caller, summarizer, backbone) are in
:mod:`umi_cli.agent.roles`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from umi_cli.agent import chat_prompts
from umi_cli.agent import format as fmt
from umi_cli.engine.types import (
    Completion,
    CompletionRequest,
    CompletionStats,
    TokenCallback,
)

PromptFormat = Literal["alpha-umi", "chat"]
T = TypeVar("T")

ALPHA_STOPS = (fmt.EOS,)
CHAT_STOPS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>", fmt.EOS)

#: Tokens between the prompt budget and the context (the authors' 4096 - 512 - 8 = 3576).
CONTEXT_MARGIN = 8


class CompletionModel(Protocol):
    """What the roles need of ``umi_cli.engine.LoadedModel``."""

    def complete(
        self, request: CompletionRequest, on_token: TokenCallback | None = None
    ) -> Completion: ...

    def count_tokens(self, text: str) -> int: ...

    def chat_prompt(
        self, messages: list[dict[str, Any]], *, add_generation_prompt: bool = True
    ) -> str: ...


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


class Role:
    """A model playing one α-UMi role; the role name is its KV-cache slot."""

    name = "role"

    def __init__(
        self,
        model: CompletionModel,
        prompt_format: PromptFormat = "alpha-umi",
        *,
        decoding: Decoding | None = None,
        context: int = 4096,
        system_prefix: bool = False,
        prompt_style: str = "readable",
    ) -> None:
        if prompt_format not in ("alpha-umi", "chat"):
            raise ValueError(f"unknown prompt format {prompt_format!r}")
        if prompt_style not in chat_prompts.PROMPT_STYLES:
            known = ", ".join(chat_prompts.PROMPT_STYLES)
            raise ValueError(f"unknown prompt style {prompt_style!r}; known: {known}")
        self.model = model
        self.prompt_format = prompt_format
        self.decoding = decoding or Decoding()
        self.context = context
        self.system_prefix = system_prefix
        self.prompt_style = prompt_style

    @property
    def budget(self) -> int:
        """Prompt tokens kept: the context minus the generation budget minus 8 (FORMAT.md §6:
        4096 and 512 keep the last 3576)."""
        return max(64, self.context - self.decoding.max_tokens - CONTEXT_MARGIN)

    def _complete(
        self,
        prompt: str,
        *,
        grammar: str | None,
        on_token: TokenCallback | None,
        max_tokens: int | None = None,
        stop: tuple[str, ...] = (),
    ) -> Completion:
        request = CompletionRequest(
            prompt=prompt,
            stop=(ALPHA_STOPS if self.prompt_format == "alpha-umi" else CHAT_STOPS) + stop,
            max_tokens=max_tokens or self.decoding.max_tokens,
            temperature=self.decoding.temperature,
            top_p=self.decoding.top_p,
            seed=self.decoding.seed,
            grammar=grammar if self.decoding.constrain else None,
            slot=self.name,
        )
        return self.model.complete(request, on_token)

    def _fit_raw(self, prompt: str) -> tuple[str, bool]:
        """Cut a raw prompt from the left to the last ``budget`` tokens."""
        if self.model.count_tokens(prompt) <= self.budget:
            return prompt, False
        return self._cut_left(prompt, lambda rest: rest), True

    def _fit_chat(self, prompt: chat_prompts.ChatPrompt) -> tuple[str, bool]:
        """Render chat messages, cutting the history text (never the system message) to fit."""

        def render(history: str | None = None) -> str:
            return self.model.chat_prompt(prompt.messages(history)) + prompt.lead

        text = render()
        if self.model.count_tokens(text) <= self.budget:
            return text, False
        cut = self._cut_left(prompt.history, lambda rest: render("..." + rest))
        return render("..." + cut), True

    def _cut_left(self, text: str, render: Any) -> str:
        """The longest suffix of ``text`` whose rendering fits the budget (binary search)."""
        low, high = 0, len(text)
        while low < high:
            middle = (low + high) // 2
            if self.model.count_tokens(render(text[middle:])) <= self.budget:
                high = middle
            else:
                low = middle + 1
        return text[low:]

    def _render(self, raw: str | None, chat: chat_prompts.ChatPrompt | None) -> tuple[str, bool]:
        if self.prompt_format == "alpha-umi":
            assert raw is not None
            return self._fit_raw(raw)
        assert chat is not None
        return self._fit_chat(chat)
