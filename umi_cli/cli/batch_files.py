"""The files of `umi batch`: the task list it reads and the results file it appends to."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from umi_cli.errors import UsageError
from umi_cli.inputs import parse_json

#: The fields of one results line, in order.
RESULT_FIELDS = (
    "id",
    "outcome",
    "answer",
    "steps",
    "calls",
    "tokens",
    "prompt_tokens",
    "seconds",
    "error",
)


@dataclass(frozen=True)
class BatchTask:
    """One line of the task file."""

    id: str | int
    query: str
    tools: list[str] | None
    line: int

    @property
    def key(self) -> str:
        return str(self.id)


def read_tasks(path: Path) -> list[BatchTask]:
    """Every task of a JSON Lines file; any bad line is a UsageError naming ``file:line``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such task file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the task file: {exc}") from None
    tasks: list[BatchTask] = []
    first_line: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        task = _parse_task(raw, f"{path}:{number}", number)
        if task.key in first_line:
            raise UsageError(
                f"{path}:{number}: id {task.key!r} repeats line {first_line[task.key]} "
                "(ids must be unique)"
            )
        first_line[task.key] = number
        tasks.append(task)
    if not tasks:
        raise UsageError(f"{path}: no tasks (write one JSON object per line with id and query)")
    return tasks


def _parse_task(raw: str, where: str, number: int) -> BatchTask:
    try:
        data = parse_json(raw)
    except ValueError as exc:
        raise UsageError(f"{where}: not valid JSON ({exc.args[0]})") from None
    except RecursionError:
        raise UsageError(f"{where}: not valid JSON (nested too deeply)") from None
    if not isinstance(data, dict):
        raise UsageError(f'{where}: expected an object like {{"id": "t1", "query": "..."}}')
    task_id = data.get("id")
    if isinstance(task_id, bool) or not isinstance(task_id, str | int) or task_id == "":
        raise UsageError(f"{where}: id: give each task a string or integer id")
    query = data.get("query")
    if not isinstance(query, str) or not query.strip():
        raise UsageError(f"{where}: query: give the task text as a non-empty string")
    tools = data.get("tools")
    if tools is not None and (
        not isinstance(tools, list) or not all(isinstance(t, str) and t for t in tools)
    ):
        raise UsageError(f"{where}: tools: give a list of tool names or spec paths")
    unknown = sorted(set(data) - {"id", "query", "tools"})
    if unknown:
        raise UsageError(f"{where}: unknown field {unknown[0]!r} (fields: id, query, tools)")
    return BatchTask(id=task_id, query=query.strip(), tools=tools or None, line=number)


def check_output(output: Path, tasks_file: Path) -> None:
    """Refuse an ``-o`` that is the task file itself or a folder (exit 2; nothing touched)."""
    if output.is_dir():
        raise UsageError(f"-o {output}: is a folder; give a results file (e.g. {output}/out.jsonl)")
    if output.exists() and tasks_file.exists() and output.samefile(tasks_file):
        raise UsageError(f"-o {output}: is the task file itself; give another results file")


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """Results already recorded, by task id.

    Only a killed run's torn line is repaired: a last line without its newline that follows
    valid result lines is cut off. Any other line that is not a result means the file is not a
    results file, and it is refused (UsageError) and left exactly as it is.
    """
    if not path.exists():
        return {}
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"-o {path}: cannot read the results file ({exc.strerror})") from None
    lines = data.splitlines(keepends=True)
    results: dict[str, dict[str, Any]] = {}
    kept = 0
    for index, raw in enumerate(lines):
        if raw.strip():
            record = _parse_result(raw)
            if record is None:
                torn = index == len(lines) - 1 and not raw.endswith(b"\n") and bool(results)
                if torn:  # a killed run's last write: drop it
                    break
                raise UsageError(
                    f"{path}:{index + 1}: not a result line, so this is not a results file of "
                    "umi batch; nothing was changed (choose another -o file)"
                )
            results[str(record["id"])] = record
        kept += len(raw)
    if data and (kept < len(data) or not data.endswith(b"\n")):
        _repair(path, data[:kept])
    return results


def _parse_result(raw: bytes) -> dict[str, Any] | None:
    try:
        record = parse_json(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or set(RESULT_FIELDS) - set(record):
        return None
    return record


def _repair(path: Path, kept: bytes) -> None:
    """Keep only complete lines, ending with a newline."""
    if kept.strip() and not kept.endswith(b"\n"):
        kept += b"\n"
    with path.open("r+b") as handle:
        handle.truncate(0)
        handle.write(kept)
        handle.flush()
        os.fsync(handle.fileno())


class ResultsWriter:
    """Appends one JSON line per finished task, flushed and synced before the next task."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle: TextIO = path.open("a", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"-o {path}: cannot write the results file: {exc}") from None

    def append(self, record: dict[str, Any]) -> None:
        ordered = {key: record.get(key) for key in RESULT_FIELDS}
        self._handle.write(json.dumps(ordered, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()
