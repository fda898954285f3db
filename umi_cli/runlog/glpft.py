"""Training sets from logged runs, in the α-UMi authors' GLPFT format, and ToolBench trajectories.

A GLPFT item is ``{"tools", "history", "input", "target"}`` (the files of
``shared/data/alpha-umi/golden/``): ``input`` is the role's whole prompt as the models see it at
inference, cue included and without the ``"system: "`` prefix (GLPFT adds that when training);
``target`` is the text the role produced. Per attempt:

- ``train_planner``: one item per planner turn; history before it; target the planner text.
- ``train_caller``: one per call; history up to and with the planner turn; target the raw call.
- ``train_summarizer``: one per answer; history with the planner turn; target the answer.
- ``train_backbone``: one per planner turn (FORMAT.md §2); target the thought, then
  ``"\\n" + call``, ``"\\nconclusion: " + answer`` or ``"\\nconclusion: give up."``.

The ToolBench form ``{"tools", "instruction", "conversations"}`` is what ``umi eval`` reads.
Runs recorded without their tool documents give no planner, caller or backbone items.

Only runs whose roles saw the α-UMi wire format have inputs equal to the prompts the models saw;
a chat-format run's trajectory is exported in the same structure, its ``input`` rendered by the
α-UMi templates. :class:`ExportTally` counts both kinds so that the CLI can say so.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from umi_cli.agent import format as fmt
from umi_cli.errors import UmiError
from umi_cli.runlog.model import ALPHA_UMI_FORMAT, LoggedRun, Turn
from umi_cli.runlog.query import RunFilter
from umi_cli.runlog.store import RunLog
from umi_cli.runlog.turns import Attempt, attempts, conversation

Item = dict[str, Any]

#: The GLPFT file names, in the order the authors list them.
SETS = ("train_planner", "train_caller", "train_summarizer", "train_backbone")


def select(
    log: RunLog,
    *,
    outcome: str | None = "answered",
    since: datetime | None = None,
    tool: str | None = None,
) -> Iterator[LoggedRun]:
    """The runs to export, oldest first: answered ones by default (``outcome=None``: all)."""
    return log.runs(RunFilter(outcome=outcome, tool=tool, since=since))


def item(tools: list[dict[str, Any]], history: list[Turn], prompt: str, target: str) -> Item:
    """One GLPFT item, keys in the authors' order."""
    return {"tools": tools, "history": history, "input": prompt, "target": target}


def thought_before_phrase(text: str, decision: str) -> str:
    """A planner text without its control phrase (and what follows it), stripped."""
    position = text.find(f"Next: {decision}.")
    return (text[:position] if position >= 0 else text).strip()


def backbone_target(planner: Turn, decision: str, following: Turn | None) -> str | None:
    """The single model's output for one planner turn; None when the run stops before it."""
    thought = thought_before_phrase(planner["value"], decision)
    if decision == "give up":
        return thought + "\nconclusion: give up."
    if decision == "caller" and following is not None and following["from"] == "caller":
        return thought + "\n" + following["value"]
    if decision == "conclusion" and following is not None and following["from"] == "conclusion":
        return thought + "\nconclusion: " + following["value"]
    return None


def _decision(event: dict[str, Any], turn: Turn) -> str:
    decision = event.get("decision")
    if decision in ("caller", "conclusion", "give up"):
        return str(decision)
    return fmt.parse_planner(turn["value"]).decision


def attempt_items(attempt: Attempt, tools: list[dict[str, Any]]) -> dict[str, list[Item]]:
    """The GLPFT items of one attempt, by set name; ``tools=[]`` leaves out the tool roles."""
    sets: dict[str, list[Item]] = {name: [] for name in SETS}
    turns = attempt.turns
    for index, turn in enumerate(turns):
        history = attempt.history(index)
        previous = turns[index - 1] if index > 0 else None
        after_planner = previous is not None and previous["from"] == "assistant"
        if turn["from"] == "assistant" and tools:
            sets["train_planner"].append(
                item(tools, history, fmt.planner_prompt(tools, history), turn["value"])
            )
            following = turns[index + 1] if index + 1 < len(turns) else None
            target = backbone_target(turn, _decision(attempt.events[index], turn), following)
            if target is not None:
                prompt = fmt.backbone_prompt(tools, history)
                sets["train_backbone"].append(item(tools, history, prompt, target))
        elif turn["from"] == "caller" and after_planner and tools:
            prompt = fmt.caller_prompt(tools, history, history[-1]["value"])
            sets["train_caller"].append(item(tools, history, prompt, turn["value"]))
        elif turn["from"] == "conclusion" and after_planner:
            prompt = fmt.summarizer_prompt(history)
            sets["train_summarizer"].append(item(tools, history, prompt, turn["value"]))
    return sets


def run_items(run: LoggedRun) -> dict[str, list[Item]]:
    """The GLPFT items of every attempt of ``run``, by set name."""
    sets: dict[str, list[Item]] = {name: [] for name in SETS}
    for attempt in attempts(run.events, run.memory):
        for name, items in attempt_items(attempt, list(run.documents)).items():
            sets[name].extend(items)
    return sets


def glpft_sets(runs: Iterable[LoggedRun]) -> dict[str, list[Item]]:
    """The four training sets from ``runs``, items in run order."""
    sets: dict[str, list[Item]] = {name: [] for name in SETS}
    for run in runs:
        for name, items in run_items(run).items():
            sets[name].extend(items)
    return sets


def toolbench_item(run: LoggedRun) -> Item:
    """A run as a ToolBench trajectory (the layout of ``umi run --trace``, without figures)."""
    return {
        "tools": list(run.documents),
        "instruction": run.task,
        "conversations": conversation(run.events, run.memory),
    }


def toolbench_items(runs: Iterable[LoggedRun]) -> list[Item]:
    """Every run as a ToolBench trajectory."""
    return [toolbench_item(run) for run in runs]


def dump(items: list[Item]) -> str:
    """The authors' file layout: a JSON list, 2-space indent, ASCII escapes, no final newline."""
    return json.dumps(items, indent=2)


@dataclass
class ExportTally:
    """How many runs went into an export, by the prompt format their roles saw."""

    formats: Counter[str] = field(default_factory=Counter)

    @property
    def runs(self) -> int:
        return sum(self.formats.values())

    @property
    def exact(self) -> int:
        """Runs in the α-UMi format: their inputs are the prompts the models saw."""
        return self.formats[ALPHA_UMI_FORMAT]

    @property
    def rendered(self) -> dict[str, int]:
        """Other runs, by format (``""``: not recorded): inputs rendered by the α-UMi templates."""
        return {name: n for name, n in sorted(self.formats.items()) if name != ALPHA_UMI_FORMAT}

    def counted(self, runs: Iterable[LoggedRun]) -> Iterator[LoggedRun]:
        """``runs``, each counted as it passes."""
        for run in runs:
            self.formats[run.prompt_format] += 1
            yield run


def write_sets(sets: dict[str, list[Item]], folder: Path) -> dict[str, int]:
    """Write ``<set>.json`` for each set into ``folder``; return the item counts."""
    for name, items in sets.items():
        _write(folder / f"{name}.json", dump(items))
    return {name: len(items) for name, items in sets.items()}


def write_glpft(runs: Iterable[LoggedRun], folder: Path) -> dict[str, int]:
    """Write ``train_<role>.json`` for the four sets into ``folder``; return the item counts."""
    return write_sets(glpft_sets(runs), folder)


def write_toolbench(runs: Iterable[LoggedRun], path: Path) -> int:
    """Write the runs as a ToolBench JSON list to ``path``; return how many."""
    items = toolbench_items(runs)
    _write(path, dump(items))
    return len(items)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UmiError(
            f"{path}: cannot write the export ({exc.strerror}); pick another path"
        ) from None
