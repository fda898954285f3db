"""The Mixture-of-Agents aggregate-and-synthesize prompt, byte for byte (togethercomputer/MoA).

The references (the previous layer's responses, as a list: never one string, whose characters
the reference CLI's later rounds numbered one by one) are appended to the prompt as
``"\\n1. <text>\\n2. <text>..."``. The block joins an existing system message after ``"\\n\\n"`` or
becomes the system message. For role prompts the same happens to their system message
(:class:`ReferencedDialect`); a raw α-UMi prompt, which has none, gets the block before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from umi_cli.agent import format as fmt
from umi_cli.agent.chat_prompts import ChatPrompt
from umi_cli.agent.dialects import Dialect, History, Tools
from umi_cli.agent.prompt import RolePrompt, cut_left
from umi_cli.engine.backend import Backend

AGGREGATE_PROMPT = (
    "You have been provided with a set of responses from various open-source models to the "
    "latest user query. Your task is to synthesize these responses into a single, high-quality "
    "response. It is crucial to critically evaluate the information provided in these responses, "
    "recognizing that some of it may be biased or incorrect. Your response should not simply "
    "replicate the given answers but should offer a refined, accurate, and comprehensive reply to "
    "the instruction. Ensure your response is well-structured, coherent, and adheres to the "
    "highest standards of accuracy and reliability.\n\nResponses from models:"
)


def references_block(references: Sequence[str]) -> str:
    """The aggregate prompt with the references numbered from 1."""
    if isinstance(references, str):  # the reference CLI's bug: a string is not a list of texts
        raise TypeError("references must be a list of texts, not one string")
    return AGGREGATE_PROMPT + "".join(f"\n{i}. {text}" for i, text in enumerate(references, 1))


def with_references_system(system: str | None, references: Sequence[str]) -> str:
    """A system message carrying the references (appended after ``\\n\\n`` to one that exists)."""
    block = references_block(references)
    return block if system is None else system + "\n\n" + block


def inject_references(
    messages: Sequence[dict[str, Any]], references: Sequence[str]
) -> list[dict[str, Any]]:
    """Chat ``messages`` with the references in their system message (a new first message when
    there is none); the messages given are not changed. No references: the messages as given."""
    copied = [dict(message) for message in messages]
    if not references:
        return copied
    if copied and copied[0].get("role") == "system":
        copied[0]["content"] = with_references_system(str(copied[0]["content"]), references)
        return copied
    return [{"role": "system", "content": references_block(references)}, *copied]


@dataclass(frozen=True)
class ReferencedRawPrompt:
    """A raw completion prompt after the references block; fitting cuts the prompt, never the
    block."""

    head: str
    prompt: RolePrompt

    @property
    def opening(self) -> str:
        return self.prompt.opening

    def fit(self, model: Backend, budget: int) -> tuple[str, bool]:
        text, cut = self.prompt.fit(model, max(1, budget - model.count_tokens(self.head)))
        whole = self.head + text
        if model.count_tokens(whole) <= budget:
            return whole, cut
        return self.head + cut_left(text, lambda rest: self.head + rest, model, budget), True


def referenced(prompt: RolePrompt, references: Sequence[str]) -> RolePrompt:
    """``prompt`` with the references: in its system message (chat), or before it (raw)."""
    if not references:
        return prompt
    if isinstance(prompt, ChatPrompt):
        return replace(prompt, system=with_references_system(prompt.system, references))
    return ReferencedRawPrompt(references_block(references) + "\n\n", prompt)


@dataclass(frozen=True)
class ReferencedDialect:
    """A dialect whose role prompts carry the references (what the aggregator and later layers
    of proposers see); everything else is the inner dialect's."""

    inner: Dialect
    references: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def style(self) -> str | None:
        return getattr(self.inner, "style", None)

    @property
    def stops(self) -> tuple[str, ...]:
        return self.inner.stops

    @property
    def thought_stops(self) -> tuple[str, ...]:
        return self.inner.thought_stops

    @property
    def retries_empty_thoughts(self) -> bool:
        return self.inner.retries_empty_thoughts

    @property
    def follows_named_calls(self) -> bool:
        return self.inner.follows_named_calls

    def planner(self, tools: Tools, history: History) -> RolePrompt:
        return referenced(self.inner.planner(tools, history), self.references)

    def caller(self, tools: Tools, history: History, thought: str) -> RolePrompt:
        return referenced(self.inner.caller(tools, history, thought), self.references)

    def summarizer(self, history: History, note: str | None = None) -> RolePrompt:
        return referenced(self.inner.summarizer(history, note), self.references)

    def backbone(self, tools: Tools, history: History) -> RolePrompt:
        return referenced(self.inner.backbone(tools, history), self.references)

    def thought_budget(self, limit: int) -> int:
        return self.inner.thought_budget(limit)


def chat_messages(history: Sequence[fmt.Turn]) -> list[dict[str, Any]]:
    """A question conversation as chat messages: user turns, and answers as assistant turns."""
    messages = []
    for turn in history:
        if turn["from"] == "user":
            messages.append({"role": "user", "content": turn["value"]})
        elif turn["from"] == "conclusion":
            messages.append({"role": "assistant", "content": turn["value"]})
    return messages
