"""RunOptions: the one record of how a run (or an evaluation) is set up.

It validates by field name (:class:`OptionError` says which field); the CLI maps each field to
its flag, so the same check serves ``run``, ``chat``, ``batch``, ``eval`` and the benchmarks.
``None`` sampling values take the model's catalog defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from umi_cli.agent.chat_prompts import PROMPT_STYLES
from umi_cli.errors import UsageError

DEFAULT_PROFILE = "pocket"
#: What the cmat mode does with a call its checker still rejects after the last revision.
AFTER_REJECTIONS = ("send", "give-up")
#: Who writes the cmat mode's lessons: the actor's model, or the fact sentence itself.
REFLECTIONS = ("model", "facts")


class OptionError(UsageError):
    """A value out of range; ``field`` names the option, the message says what is allowed."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name} {message}")
        self.field = field_name
        self.problem = message


@dataclass(frozen=True)
class RunOptions:
    """Profile, mode and tools; the loop's limits; sampling; where models run."""

    profile: str = DEFAULT_PROFILE
    mode: str | None = None  # None: the profile's mode, else the one its roles imply
    tools: tuple[str, ...] | None = None  # names or spec paths; None: every installed tool
    base_urls: dict[str, str] = field(default_factory=dict)
    max_steps: int = 4
    observation_chars: int = 1024
    retries: int = 0
    constrain: bool = True
    prompt_style: str = "readable"
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    max_tokens: int | None = None
    context: int | None = None
    n_gpu_layers: int | None = None
    # The cmat mode: long-term memory, the checker's revision bound and what follows it.
    memory: bool = True
    check_revisions: int = 2
    after_rejections: str = "send"
    reflection: str = "model"
    #: Final answers are checked against the observations (rewritten, trimmed or refused).
    check_answers: bool = True
    #: The planner's conclusion (and an early give-up) are decided by a scored yes/no question
    #: where its model has calibrated ``judge:`` thresholds and can score
    #: (:mod:`umi_cli.agent.judge`).
    judge: bool = True
    #: The moa mode's settings given for this run (field -> value, over the profile's; see
    #: :class:`~umi_cli.agent.moa.settings.MoaSettings`).
    moa: dict[str, Any] = field(default_factory=dict)

    def check(self) -> RunOptions:
        """Raise :class:`OptionError` for the first value out of range; return self."""
        if self.max_steps < 1:
            raise OptionError("max_steps", f"must be at least 1, got {self.max_steps}")
        if self.retries < 0:
            raise OptionError("retries", f"must be 0 or more, got {self.retries}")
        if self.temperature is not None and self.temperature < 0:
            raise OptionError("temperature", f"must be 0 or more, got {self.temperature}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise OptionError("top_p", f"must be in (0, 1], got {self.top_p}")
        if self.max_tokens is not None and self.max_tokens < 16:
            raise OptionError("max_tokens", f"must be at least 16, got {self.max_tokens}")
        if self.observation_chars < 16:
            raise OptionError(
                "observation_chars", f"must be at least 16, got {self.observation_chars}"
            )
        if self.prompt_style not in PROMPT_STYLES:
            raise OptionError(
                "prompt_style",
                f"{self.prompt_style}: unknown; choose from {', '.join(PROMPT_STYLES)}",
            )
        if not 0 <= self.check_revisions <= 10:
            raise OptionError(
                "check_revisions", f"must be between 0 and 10, got {self.check_revisions}"
            )
        if self.after_rejections not in AFTER_REJECTIONS:
            raise OptionError(
                "after_rejections",
                f"{self.after_rejections}: unknown; choose from {', '.join(AFTER_REJECTIONS)}",
            )
        if self.reflection not in REFLECTIONS:
            raise OptionError(
                "reflection", f"{self.reflection}: unknown; choose from {', '.join(REFLECTIONS)}"
            )
        if self.moa:
            from umi_cli.agent.moa.settings import MoaSettings  # it imports OptionError from here

            MoaSettings.from_mapping(self.moa)
        return self

    def with_(self, **changes: Any) -> RunOptions:
        """A copy with some fields changed (``options.with_(tools=("deezer",))``)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The options as JSON-able data (traces record them)."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["tools"] = list(self.tools) if self.tools is not None else None
        return data
