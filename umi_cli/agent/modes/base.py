"""What a mode is: its name, the roles it needs, and a ``run`` that yields events."""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from umi_cli.agent.context import RunContext
from umi_cli.agent.events import Event
from umi_cli.agent.options import RunOptions
from umi_cli.agent.role_base import Role

#: How a run of a mode ends (a failure is an exception; the agent turns it into an outcome).
ModeOutcome = Literal["answered", "gave_up"]


class Mode(Protocol):
    """A way of solving a task with the roles of a profile (``roles``: by role name)."""

    @property
    def name(self) -> str: ...

    @property
    def roles(self) -> Mapping[str, Role]: ...

    def run(self, task: str, ctx: RunContext) -> Generator[Event, None, ModeOutcome]: ...


@dataclass(frozen=True)
class Member:
    """A model a mode asks for besides the profile's roles (MoA's proposers and aggregators).

    The composition root opens it as a ``role`` (the role class it plays) on ``model`` (a
    catalog model id; None: the model the profile gives ``role``), with ``decoding`` (fields of
    :class:`~umi_cli.agent.role_base.Decoding`) over that model's defaults, and puts it in the
    roles mapping under ``key``.
    """

    key: str
    role: str
    model: str | None = None
    decoding: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModeSpec:
    """A mode as the registry knows it.

    ``roles`` must be played by models of the profile; ``fallbacks`` lets a role be played by
    the model of another (the backbone baseline runs on the profile's planner model when the
    profile names no backbone).
    """

    name: str
    roles: tuple[str, ...]
    build: Callable[[Mapping[str, Role], RunOptions], Mode]
    description: str = ""
    fallbacks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: The members the mode asks for with these options (see :class:`Member`), if any.
    members: Callable[[RunOptions], Sequence[Member]] | None = None
