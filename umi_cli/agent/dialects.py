"""Prompt dialects: how each role's prompt is written for one kind of model, as one object.

- :class:`AlphaUmiDialect`: the exact α-UMi wire format (FORMAT.md), raw completions, for the
  authors' checkpoints (and anything trained on their data).
- :class:`ChatDialect`: the same protocol in words written for small instruction-tuned models,
  through the model's own chat template (``readable``, ``example`` or ``alpha-umi`` style). Small
  chat models need repairs the α-UMi checkpoints do not: an empty thought is thought again, a
  thought that says "Call X" is a caller decision whatever phrase follows, and the caller is
  held to X.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from umi_cli.agent import chat_prompts
from umi_cli.agent import format as fmt
from umi_cli.agent.prompt import RawPrompt, RolePrompt
from umi_cli.errors import UsageError

Tools = Sequence[dict[str, Any]]
History = Sequence[fmt.Turn]

#: Where a chat model's turn ends (ChatML, Llama 3, Gemma; ``</s>`` for the rest).
CHAT_STOPS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>", fmt.EOS)
#: A chat model's thought is short: one or two sentences and the control phrase.
CHAT_THOUGHT_TOKENS = 96


class Dialect(Protocol):
    """The prompts of every role for one kind of model, and the repairs it needs."""

    @property
    def name(self) -> str: ...

    @property
    def stops(self) -> tuple[str, ...]:
        """Where every completion ends (besides EOS)."""
        ...

    @property
    def thought_stops(self) -> tuple[str, ...]:
        """Where a constrained planner's free thought ends (chat: its line, so a small model
        cannot run on into made-up calls and observations; the phrase comes from a grammar)."""
        ...

    @property
    def retries_empty_thoughts(self) -> bool:
        """An empty thought is written again after a restart phrase."""
        ...

    @property
    def follows_named_calls(self) -> bool:
        """ "Call X" in a thought decides for the caller, and holds the caller to X."""
        ...

    def planner(self, tools: Tools, history: History) -> RolePrompt: ...

    def caller(self, tools: Tools, history: History, thought: str) -> RolePrompt: ...

    def summarizer(self, history: History, note: str | None = None) -> RolePrompt:
        """The summarizer's prompt; ``note`` asks for a rewrite (the answer check's request)."""
        ...

    def backbone(self, tools: Tools, history: History) -> RolePrompt: ...

    def thought_budget(self, limit: int) -> int:
        """Tokens a thought may take, given ``limit`` (the role's budget minus the phrase)."""
        ...


@dataclass(frozen=True)
class AlphaUmiDialect:
    """FORMAT.md byte for byte; ``system_prefix`` writes ``"system: "`` first as in training."""

    system_prefix: bool = False
    name: str = "alpha-umi"
    stops: tuple[str, ...] = (fmt.EOS,)
    thought_stops: tuple[str, ...] = ()
    retries_empty_thoughts: bool = False
    follows_named_calls: bool = False

    def planner(self, tools: Tools, history: History) -> RolePrompt:
        return RawPrompt(fmt.planner_prompt(tools, history, system_prefix=self.system_prefix))

    def caller(self, tools: Tools, history: History, thought: str) -> RolePrompt:
        prompt = fmt.caller_prompt(tools, history, thought, system_prefix=self.system_prefix)
        return RawPrompt(prompt)

    def summarizer(self, history: History, note: str | None = None) -> RolePrompt:
        turns = [*history, {"from": "user", "value": note}] if note else history
        return RawPrompt(fmt.summarizer_prompt(turns, system_prefix=self.system_prefix))

    def backbone(self, tools: Tools, history: History) -> RolePrompt:
        return RawPrompt(fmt.backbone_prompt(tools, history, system_prefix=self.system_prefix))

    def thought_budget(self, limit: int) -> int:
        return limit


@dataclass(frozen=True)
class ChatDialect:
    """The role prompts of :mod:`~umi_cli.agent.chat_prompts` in one of its styles."""

    style: str = "readable"
    name: str = "chat"
    stops: tuple[str, ...] = CHAT_STOPS
    thought_stops: tuple[str, ...] = ("\n",)
    retries_empty_thoughts: bool = True
    follows_named_calls: bool = True

    def __post_init__(self) -> None:
        if self.style not in chat_prompts.PROMPT_STYLES:
            known = ", ".join(chat_prompts.PROMPT_STYLES)
            raise ValueError(f"unknown prompt style {self.style!r}; known: {known}")

    def planner(self, tools: Tools, history: History) -> RolePrompt:
        return chat_prompts.planner_prompt(tools, history, self.style)

    def caller(self, tools: Tools, history: History, thought: str) -> RolePrompt:
        return chat_prompts.caller_prompt(tools, history, thought, self.style)

    def summarizer(self, history: History, note: str | None = None) -> RolePrompt:
        return chat_prompts.summarizer_prompt(history, self.style, note=note)

    def backbone(self, tools: Tools, history: History) -> RolePrompt:
        return chat_prompts.backbone_prompt(tools, history, self.style)

    def thought_budget(self, limit: int) -> int:
        # room for "\n Next: " too (a byte-level vocabulary spends a token per character)
        return min(limit - len(fmt.CONTROL_SEPARATOR + "Next: ") - 1, CHAT_THOUGHT_TOKENS)


def dialect_for(
    prompt_format: str, *, system_prefix: bool = False, style: str = "readable"
) -> Dialect:
    """The dialect of a catalog ``format`` (``alpha-umi`` or ``chat``)."""
    if prompt_format == "alpha-umi":
        return AlphaUmiDialect(system_prefix=system_prefix)
    if prompt_format == "chat":
        return ChatDialect(style=style)
    raise UsageError(f"unknown prompt format {prompt_format!r} (alpha-umi or chat)")
