"""A role's prompt before it meets a model, and fitting it into the context (FORMAT.md §6).

Two shapes: :class:`RawPrompt` (the α-UMi completion text) and
:class:`~umi_cli.agent.chat_prompts.ChatPrompt` (messages rendered with the model's own chat
template). Both fit themselves: the text is cut from the left until it takes at most ``budget``
tokens (a chat prompt cuts only its history, never the instructions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from umi_cli.engine.backend import Backend


class RolePrompt(Protocol):
    """A prompt that can fit itself to a model; ``opening`` is text the reply starts with."""

    @property
    def opening(self) -> str: ...

    def fit(self, model: Backend, budget: int) -> tuple[str, bool]: ...


def cut_left(text: str, render: Callable[[str], str], model: Backend, budget: int) -> str:
    """The longest suffix of ``text`` whose rendering fits ``budget`` tokens (binary search)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high) // 2
        if model.count_tokens(render(text[middle:])) <= budget:
            high = middle
        else:
            low = middle + 1
    return text[low:]


@dataclass(frozen=True)
class RawPrompt:
    """A raw completion prompt (the α-UMi templates): cut from the left to fit."""

    text: str

    @property
    def opening(self) -> str:
        return ""

    def fit(self, model: Backend, budget: int) -> tuple[str, bool]:
        if model.count_tokens(self.text) <= budget:
            return self.text, False
        return cut_left(self.text, lambda rest: rest, model, budget), True
