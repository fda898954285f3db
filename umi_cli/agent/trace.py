"""Trace files: a run's trajectory in the ToolBench conversation format plus per-step figures.

A trace has the keys of an item of ``toolbench_ood_dev.json`` (``tools``, ``instruction``,
``conversations`` of ``{"from", "value"}`` turns) so ``umi eval`` can score it, and adds
``outcome``, ``answer``, ``attempts``, ``steps``, ``figures`` and ``totals``. The
:class:`TraceRecorder` builds it from the events like any other consumer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from umi_cli.agent import format as fmt
from umi_cli.agent.events import Event, RunFinished, RunStarted
from umi_cli.agent.transcript import Transcript
from umi_cli.errors import UmiError
from umi_cli.inputs import parse_json
from umi_cli.text import one_line

REQUIRED_KEYS = ("tools", "instruction", "conversations")


def trajectory_problem(item: Any, keys: tuple[str, ...] = REQUIRED_KEYS) -> str | None:
    """What is wrong with a ToolBench trajectory (None when it is one), as a clause; ``keys``
    are the keys it must have (a trace has all three, evaluation data needs no instruction)."""
    if not isinstance(item, dict) or any(key not in item for key in keys):
        return f"a trajectory needs the keys {', '.join(keys)}"
    tools = item.get("tools")
    if not isinstance(tools, list) or not all(
        isinstance(tool, dict) and isinstance(tool.get("Name"), str) for tool in tools
    ):
        return "field 'tools' must be a list of α-UMi tool dicts with 'Name'"
    turns = item.get("conversations")
    if not isinstance(turns, list):
        return "field 'conversations' must be a list of {from, value} turns"
    for index, turn in enumerate(turns):
        if (
            not isinstance(turn, dict)
            or turn.get("from") not in fmt.TURN_KINDS + fmt.EXTRA_TURN_KINDS
            or not isinstance(turn.get("value"), str)
        ):
            return (
                f'conversations[{index}] must be {{"from": one of '
                f'{", ".join(fmt.TURN_KINDS + fmt.EXTRA_TURN_KINDS)}, "value": text}}'
            )
    return None


class TraceRecorder:
    """Consumes a run's events (and, in a chat, earlier runs') and builds its trace."""

    def __init__(self, documents: list[dict[str, Any]], options: dict[str, Any]) -> None:
        self.documents = documents
        self.options = options
        self._memory: list[fmt.Turn] = []
        self._transcript: Transcript | None = None
        self._started: RunStarted | None = None
        self._finished: RunFinished | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            if self._transcript is not None and self._finished is not None:
                self._memory = self._transcript.memory_after(self._finished.outcome)
            self._transcript, self._started, self._finished = Transcript(self._memory), event, None
        if self._transcript is not None:
            self._transcript.add(event)
        if isinstance(event, RunFinished):
            self._finished = event

    def reset(self) -> None:
        """Forget earlier runs (the chat's ``/reset``)."""
        self._memory, self._transcript, self._started, self._finished = [], None, None, None

    def trace(self) -> dict[str, Any] | None:
        """The last run's trace, or None when no run has finished yet."""
        transcript, started, finished = self._transcript, self._started, self._finished
        if transcript is None or started is None or finished is None:
            return None
        return {
            "tools": self.documents,
            "instruction": started.task,
            "conversations": [dict(turn) for turn in transcript.conversation],
            "outcome": finished.outcome,
            "answer": finished.answer,
            "error": finished.error,
            "attempts": finished.attempts,
            "steps": finished.steps,
            "profile": started.profile,
            "options": self.options,
            "figures": [
                {
                    "attempt": attempt,
                    "step": step,
                    "role": figure.role,
                    "truncated": figure.truncated,
                    **figure.stats.to_dict(),
                }
                for attempt, step, figure in transcript.figures
            ],
            "totals": finished.totals.to_dict(),
            "wall_seconds": finished.wall_seconds,
        }


def write_trace(path: Path | str, trace: dict[str, Any]) -> Path:
    """Write ``trace`` as indented UTF-8 JSON (parent folders are created)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(trace, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UmiError(
            f"{path}: cannot write the trace ({exc.strerror}); pick another --trace path"
        ) from None
    return path


def load_trace(path: Path | str) -> dict[str, Any]:
    """Read a trace file, checking the ToolBench shape; one-line UmiError when it is not one."""
    path = Path(path)
    try:
        data = parse_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UmiError(f"{path}: no such trace file") from None
    except (OSError, ValueError) as exc:
        raise UmiError(f"{path}: not a JSON trace file ({one_line(exc)})") from None
    problem = trajectory_problem(data)
    if problem is not None:
        raise UmiError(f"{path}: {problem}")
    return data  # checked above
