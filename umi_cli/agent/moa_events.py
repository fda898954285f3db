"""The events of a Mixture-of-Agents run: each proposal, the end of each layer, and a call the
caller's proposers agreed on.

The aggregate itself is the ordinary event of its role (a planner thought, a tool call, a final
answer). Proposals add no conversation turn (the history holds the aggregate only) but report
their figures, so a run's totals count every proposal. Token events of a proposal carry its
``member``; the aggregator's have none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from umi_cli.agent.events import Event, RoleFigure
from umi_cli.engine.types import CompletionStats


@dataclass
class Proposal(Event):
    """One proposer's response in a layer; ``error`` set: it failed or was empty, and was
    dropped. ``seconds``: from the layer's start to this proposal's end; ``stop_reason``: how
    its completion ended (``length``: cut at the proposer's token limit)."""

    name: ClassVar[str] = "proposal"
    step: int
    role: str
    layer: int
    member: int
    model: str
    text: str
    stats: CompletionStats = field(default_factory=CompletionStats)
    seconds: float = 0.0
    attempt: int = 1
    error: str | None = None
    stop_reason: str | None = None

    @property
    def kept(self) -> bool:
        return self.error is None

    def figure(self) -> RoleFigure | None:
        return RoleFigure(f"{self.role} proposer", self.stats)


@dataclass
class LayerDone(Event):
    """The barrier after a layer of proposals: which members' responses go on, which dropped."""

    name: ClassVar[str] = "layer"
    step: int
    role: str
    layer: int
    kept: list[int]
    dropped: list[int]
    seconds: float
    attempt: int = 1


@dataclass
class CallsAgreed(Event):
    """Enough of the caller's proposals wrote the same call: it is made without aggregation."""

    name: ClassVar[str] = "agreement"
    step: int
    api: str
    members: list[int]
    proposals: int
    attempt: int = 1
