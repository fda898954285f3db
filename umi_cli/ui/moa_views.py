"""Rich views of a Mixture-of-Agents run: the proposers of a layer streaming at once, one row
each; the layer barrier; a call the proposers agreed on.

:class:`ProposalBoard` is the live region while a layer runs (``Live`` re-asks it every refresh,
so the rows are one renderable); at the barrier it settles into printed lines (each proposal's
tokens and time, or why it was dropped), and the aggregator then streams as any role does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.text import Text

from umi_cli.agent.events import Event, TokenDelta
from umi_cli.agent.moa_events import CallsAgreed, LayerDone, Proposal
from umi_cli.ui.views import ROLE_STYLES, human_seconds

#: Room a row leaves for its label and figures before the text.
_LABEL_WIDTH = 34


@dataclass
class ProposalRow:
    """One proposer of the running layer: what it has written so far, and its proposal."""

    member: int
    started: float = field(default_factory=time.perf_counter)
    text: str = ""
    pieces: int = 0
    proposal: Proposal | None = None

    def line(self, width: int, style: str) -> Text:
        """``#1 ✓ 37 tok · 1.2 s  text…`` (the text's tail while it streams, its head after)."""
        done = self.proposal
        if done is None:
            mark, figures = ("… ", "dim"), f"{self.pieces} tok · "
            figures += human_seconds(time.perf_counter() - self.started)
        elif done.kept:
            mark = ("✓ ", "green")
            figures = f"{done.stats.generated_tokens} tok · {human_seconds(done.seconds)}"
        else:
            mark, figures = ("✗ ", "red"), f"dropped: {done.error}"
        flat = " ".join((done.text if done is not None else self.text).split())
        room = max(width - _LABEL_WIDTH, 10)
        if len(flat) > room:
            flat = flat[: room - 1] + "…" if done is not None else "…" + flat[-(room - 1) :]
        return Text.assemble(
            (f"  #{self.member} ", style), mark, (f"{figures:<24}", "dim"), " ", flat
        )


@dataclass
class ProposalBoard:
    """The proposers of the layer running now (a renderable), fed by MoA events."""

    step: int = 0
    role: str = ""
    layer: int = 1
    rows: dict[int, ProposalRow] = field(default_factory=dict)

    @staticmethod
    def takes(event: Event) -> bool:
        """Whether the event is a proposer's (the aggregator's tokens are not)."""
        if isinstance(event, TokenDelta):
            return event.member is not None
        return isinstance(event, Proposal | LayerDone)

    def take(self, event: Event) -> list[RenderableType]:
        """Update the rows; return what to print now (the settled layer, at its barrier)."""
        if isinstance(event, TokenDelta) and event.member is not None:
            if (event.step, event.role) != (self.step, self.role):
                self.rows.clear()
                self.step, self.role = event.step, event.role
            row = self.rows.setdefault(event.member, ProposalRow(event.member))
            row.text += event.text
            row.pieces += 1
        elif isinstance(event, Proposal):
            self.step, self.role, self.layer = event.step, event.role, event.layer
            self.rows.setdefault(event.member, ProposalRow(event.member)).proposal = event
        elif isinstance(event, LayerDone):
            settled: list[RenderableType] = [LayerView(event, dict(self.rows))]
            self.rows.clear()
            self.layer = event.layer + 1
            return settled
        return []

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        style = ROLE_STYLES.get(self.role, "white")
        count = len(self.rows)
        yield Text.assemble(
            (f"step {self.step} · {self.role} · layer {self.layer} ", style),
            (f"{count} proposers at once…", "dim"),
        )
        for member in sorted(self.rows):
            yield self.rows[member].line(options.max_width, style)


@dataclass
class LayerView:
    """A finished layer: each proposal's line, then the barrier."""

    event: LayerDone
    rows: dict[int, ProposalRow]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        event = self.event
        style = ROLE_STYLES.get(event.role, "white")
        yield Text.assemble(
            (f"step {event.step} · {event.role} · layer {event.layer} proposals", f"bold {style}")
        )
        for member in sorted(self.rows):
            yield self.rows[member].line(options.max_width, style)
        total = len(event.kept) + len(event.dropped)
        dropped = f", {len(event.dropped)} dropped" if event.dropped else ""
        yield Text(
            f"  ── layer {event.layer}: {len(event.kept)} of {total} kept{dropped} · "
            f"{human_seconds(event.seconds)} ──",
            style="dim",
        )


@dataclass
class AgreementView:
    event: CallsAgreed

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        event = self.event
        members = ", ".join(f"#{m}" for m in event.members)
        yield Group(
            Text.assemble(
                (f"step {event.step} · caller  ", "bold cyan"),
                (f"{len(event.members)} of {event.proposals} proposals agree ", "cyan"),
                (f"({members}): {event.api}", "dim"),
            )
        )


#: Event class -> the view the live renderer prints for it.
MOA_VIEWS: dict[type[Event], type] = {CallsAgreed: AgreementView}
