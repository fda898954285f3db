"""Several evaluation runs side by side: read their ``metrics.json``, one table per benchmark.

Each benchmark is one small *reader*: a function that gets a ``metrics.json`` object, returns
None when the file is not its benchmark's (detected by its keys and settings), and otherwise a
:class:`BenchmarkResult` — the metrics, the rows (system label → {metric: value}) and, where the
benchmark has them, the paper or leaderboard rows. :func:`reader` registers it; a new benchmark
is one more decorated function. :func:`compare` reads the files, and runs of one benchmark are
merged into one :class:`Comparison` (systems as rows, metrics as columns, reference rows apart).
Values are percentages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from umi_cli.errors import UsageError
from umi_cli.inputs import parse_json

METRICS_FILE = "metrics.json"

Values = dict[str, float | None]
Rows = dict[str, Values]


@dataclass(frozen=True)
class Metric:
    """One column: its key in the file, its title, and which way is better."""

    key: str
    title: str
    lower_is_better: bool = False

    @property
    def label(self) -> str:
        return f"{self.title} ↓" if self.lower_is_better else self.title


@dataclass(frozen=True)
class BenchmarkResult:
    """What one ``metrics.json`` says."""

    benchmark: str
    title: str
    metrics: tuple[Metric, ...]
    rows: Rows
    reference: Rows = field(default_factory=dict)
    note: str = ""
    reference_kind: str = "paper"  # what the reference rows are: "paper", "leaderboard"


@dataclass
class Comparison:
    """Every run of one benchmark: our systems, then the reference (paper) rows."""

    benchmark: str
    title: str
    metrics: list[Metric] = field(default_factory=list)
    rows: Rows = field(default_factory=dict)
    reference: Rows = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # system label -> metrics file
    reference_kind: str = "paper"

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "title": self.title,
            "metrics": [{"key": m.key, "title": m.title, "lower_is_better": m.lower_is_better}
                        for m in self.metrics],
            "rows": self.rows,
            "reference": self.reference,
            "reference_kind": self.reference_kind,
            "notes": self.notes,
            "sources": self.sources,
        }  # fmt: skip


Reader = Callable[[Mapping[str, Any]], BenchmarkResult | None]
READERS: list[Reader] = []


def reader(function: Reader) -> Reader:
    """Register a benchmark reader (tried in registration order)."""
    READERS.append(function)
    return function


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _settings(report: Mapping[str, Any]) -> Mapping[str, Any]:
    settings = report.get("settings")
    return settings if isinstance(settings, Mapping) else {}


def _rows_of(value: Any) -> Rows:
    """``{label: {metric: number}}`` out of a reference block (non-numbers dropped)."""
    if not isinstance(value, Mapping):
        return {}
    return {
        str(label): {str(k): _number(v) for k, v in row.items()}
        for label, row in value.items()
        if isinstance(row, Mapping)
    }


TOOLBENCH_METRICS = (
    Metric("plan_acc", "Plan ACC"),
    Metric("act_em", "Act. EM"),
    Metric("hallu", "Hallu.", lower_is_better=True),
    Metric("arg_f1", "Arg. F1"),
    Metric("rouge_l", "R-L"),
)


@reader
def toolbench(report: Mapping[str, Any]) -> BenchmarkResult | None:
    """``umi eval toolbench``: ``{"metrics": {plan_acc, ...}, "settings", "paper"}``."""
    metrics = report.get("metrics")
    if not isinstance(metrics, Mapping) or "plan_acc" not in metrics:
        return None
    settings = _settings(report)
    free = "" if settings.get("constrain", True) else "free"
    label = _label(settings, free, str(settings.get("prompt_style", "")))
    samples = metrics.get("samples")
    return BenchmarkResult(
        benchmark="toolbench",
        title="ToolBench step-level evaluation (out-of-domain)",
        metrics=TOOLBENCH_METRICS,
        rows={label: {m.key: _number(metrics.get(m.key)) for m in TOOLBENCH_METRICS}},
        reference=_rows_of(report.get("paper")),
        note=f"{label}: {samples} samples" if samples is not None else "",
    )


@reader
def bfcl(report: Mapping[str, Any]) -> BenchmarkResult | None:
    """``umi eval bfcl``: ``{"accuracy": {system: {category: {accuracy, ...}}}, "settings"}``."""
    accuracy = report.get("accuracy")
    if not isinstance(accuracy, Mapping) or _settings(report).get("benchmark", "bfcl") != "bfcl":
        return None
    profile = _settings(report).get("profile", "?")
    categories: list[str] = []
    rows: Rows = {}
    for system, cells in accuracy.items():
        if not isinstance(cells, Mapping):
            continue
        values: Values = {}
        for category, cell in cells.items():
            if category not in categories and category != "overall":
                categories.append(category)
            values[category] = _number(cell.get("accuracy")) if isinstance(cell, Mapping) else None
        rows[f"{profile} · {system}"] = values
    keys = [*categories, "overall"]
    return BenchmarkResult(
        benchmark="bfcl",
        title="BFCL accuracy (AST checker; irrelevance: no call)",
        metrics=tuple(Metric(key, key) for key in keys),
        rows=rows,
        note=f"{profile}: {report.get('items', '?')} items per system",
    )


CFB_METRICS = (
    Metric("success_rate", "Success"),
    Metric("call_accuracy", "Call acc."),
    Metric("precision", "Precision"),
    Metric("answered", "Answered"),
)


def _label(settings: Mapping[str, Any], *details: str) -> str:
    """``profile (mode, detail...)``; a mode left to the profile is not named."""
    parts = [str(settings["mode"])] if settings.get("mode") else []
    parts += [detail for detail in details if detail]
    profile = str(settings.get("profile", "?"))
    return f"{profile} ({', '.join(parts)})" if parts else profile


@reader
def complexfuncbench(report: Mapping[str, Any]) -> BenchmarkResult | None:
    """``umi eval complexfuncbench``: ``{"metrics": {success_rate, ...} (percent),
    "settings": {"benchmark": "complexfuncbench", ...}, "leaderboard": {"rows", "note"}}``."""
    metrics, settings = report.get("metrics"), _settings(report)
    if not isinstance(metrics, Mapping) or settings.get("benchmark") != "complexfuncbench":
        return None
    label = _label(settings, str(settings.get("prompt_style", "")))
    board = report.get("leaderboard")
    board = board if isinstance(board, Mapping) else {}
    tasks = metrics.get("tasks")
    notes = [f"{label}: {tasks} tasks ({settings.get('split', '?')} split)." if tasks else ""]
    return BenchmarkResult(
        benchmark="complexfuncbench",
        title="ComplexFuncBench end to end",
        metrics=CFB_METRICS,
        rows={label: {m.key: _number(metrics.get(m.key)) for m in CFB_METRICS}},
        reference=_rows_of(board.get("rows")),
        note=" ".join(note for note in [*notes, str(board.get("note", ""))] if note),
        reference_kind="leaderboard",
    )


SUITE_METRICS = (
    Metric("pass_rate", "Passed"),
    Metric("answered", "Answered"),
    Metric("gave_up", "Gave up", lower_is_better=True),
    Metric("failed", "Failed", lower_is_better=True),
)


@reader
def task_suite(report: Mapping[str, Any]) -> BenchmarkResult | None:
    """``umi eval tasks``: ``{"totals": {tasks, pass_rate (%), answered, gave_up, failed
    (counts), ...}, "settings": {"suite", "profile", ...}}``; counts become percentages."""
    totals, settings = report.get("totals"), _settings(report)
    if not isinstance(totals, Mapping) or "pass_rate" not in totals:
        return None
    count = _number(totals.get("tasks")) or 0.0
    values: Values = {"pass_rate": _number(totals.get("pass_rate"))}
    for key in ("answered", "gave_up", "failed"):
        number = _number(totals.get(key))
        values[key] = 100 * number / count if number is not None and count else None
    suite = Path(str(settings.get("suite", "tasks"))).name
    label = _label(settings, str(settings.get("prompt_style", "")))
    return BenchmarkResult(
        benchmark=f"tasks:{suite}",
        title=f"Task suite {suite} (end to end)",
        metrics=SUITE_METRICS,
        rows={label: values},
        note=f"{label}: {count:g} tasks.",
    )


def metrics_path(path: Path) -> Path:
    """``DIR/metrics.json`` for a results folder, or the file itself."""
    return path / METRICS_FILE if path.is_dir() else path


def read_result(path: Path) -> BenchmarkResult:
    """Read one evaluation run; a one-line UsageError naming the file when it cannot."""
    file = metrics_path(path)
    try:
        report = parse_json(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{file}: no such file; give an `umi eval ... -o DIR` folder") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{file}: not a JSON metrics file ({exc})") from None
    if isinstance(report, Mapping):
        for read in READERS:
            result = read(report)
            if result is not None:
                return result
    known = ", ".join(read.__name__ for read in READERS)
    raise UsageError(
        f"{file}: not the metrics of a benchmark umi knows ({known}); give a folder that "
        "`umi eval ... -o DIR` wrote"
    )


def merge(results: Iterable[tuple[Path, BenchmarkResult]]) -> list[Comparison]:
    """One comparison per benchmark, in the order first seen; a label seen twice gets the
    folder's name added so that each run keeps its row."""
    found: dict[str, Comparison] = {}
    for path, result in results:
        table = found.setdefault(
            result.benchmark,
            Comparison(result.benchmark, result.title, reference_kind=result.reference_kind),
        )
        for metric in result.metrics:
            if metric.key not in {m.key for m in table.metrics}:
                table.metrics.append(metric)
        for label, values in result.rows.items():
            name = label
            if name in table.rows:
                name = f"{label} [{metrics_path(path).parent.name}]"
            number = 2
            while name in table.rows:
                name, number = f"{label} [{metrics_path(path).parent.name} {number}]", number + 1
            table.rows[name] = values
            table.sources[name] = str(metrics_path(path))
        for label, values in result.reference.items():
            table.reference.setdefault(label, values)
        if result.note and result.note not in table.notes:
            table.notes.append(result.note)
    return list(found.values())


def compare(paths: Iterable[Path]) -> list[Comparison]:
    """Read every run and merge them by benchmark."""
    return merge((path, read_result(path)) for path in paths)
