"""The live view of a final answer's check against what the APIs returned."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from umi_cli.agent.answering import AnswerChecked

#: What each outcome of the check says, and its colour.
_SAID = {
    "kept": ("answer grounded", "green"),
    "rewritten": ("answer not grounded: asked again", "yellow"),
    "trimmed": ("answer trimmed to its grounded sentences", "yellow"),
    "not_found": ("nothing to answer from", "yellow"),
}


@dataclass
class AnswerCheckView:
    """One line: the verdict, the facts checked, the ones no observation holds."""

    event: AnswerChecked

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        event = self.event
        said, style = _SAID[event.action]
        if event.action == "not_found" and event.facts:
            said = "answer still not grounded: dropped"
        line = Text("check ", style="dim")
        line.append(said, style=style)
        if event.facts:
            line.append(f" · {event.facts - len(event.ungrounded)}/{event.facts} facts found",
                        style="dim")  # fmt: skip
        if event.ungrounded:
            missing = ", ".join(json.dumps(fact, ensure_ascii=False) for fact in event.ungrounded)
            line.append(f" · not in the observations: {missing}", style="yellow")
        if event.sources:
            line.append(f" · {event.sources:,} chars checked", style="dim")
        yield line
