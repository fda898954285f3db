"""Result tables as Rich renderables (plain objects; the CLI decides where they are printed)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from umi_cli.eval.metrics import METRIC_KEYS
from umi_cli.eval.toolbench import PAPER_ROWS

METRIC_TITLES = {
    "plan_acc": "Plan ACC",
    "act_em": "Act. EM",
    "hallu": "Hallu. ↓",
    "arg_f1": "Arg. F1",
    "rouge_l": "R-L",
}


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def toolbench_table(label: str, metrics: dict[str, Any]) -> Table:
    """Our step-level metrics beside the paper's out-of-domain rows."""
    table = Table(title="ToolBench step-level evaluation (out-of-domain)", title_justify="left")
    table.add_column("system")
    for key in METRIC_KEYS:
        table.add_column(METRIC_TITLES[key], justify="right")
    table.add_row(f"[bold]{label}[/bold]", *(_cell(metrics.get(key)) for key in METRIC_KEYS))
    unchecked = metrics.get("unchecked")
    if unchecked is not None:  # cmat: the same actor's first proposals, no checker
        table.add_row(
            "actor without the checker", *(_cell(unchecked.get(key)) for key in METRIC_KEYS)
        )
    table.add_section()
    for name, row in PAPER_ROWS.items():
        table.add_row(f"[dim]{name}[/dim]", *(f"[dim]{row[key]:.2f}[/dim]" for key in METRIC_KEYS))
    seconds = metrics.get("seconds_per_sample")
    table.caption = (
        f"{metrics['samples']} samples ({metrics['call_samples']} call, "
        f"{metrics['finish_samples']} finish)"
        + (f"; {seconds:.1f} s per sample" if seconds is not None else "")
        + (
            f" ({unchecked['seconds_per_sample']:.1f} s without the checker, which changed "
            f"{unchecked['changed_by_checker']} predictions)"
            if unchecked is not None
            else ""
        )
        + ". Paper rows: the full 400-trajectory test set."
    )
    return table


def bfcl_table(accuracy: dict[str, dict[str, Any]], categories: list[str]) -> Table:
    """Per-category accuracy (%) of each system, with correct/total counts."""
    table = Table(title="BFCL accuracy (AST checker; irrelevance: no call)", title_justify="left")
    table.add_column("system")
    for category in [*categories, "overall"]:
        table.add_column(category, justify="right")
    for system, cells in accuracy.items():
        row = []
        for category in [*categories, "overall"]:
            cell = cells.get(category)
            row.append(
                "–"
                if cell is None
                else f"{cell['accuracy']:.1f} ({cell['correct']}/{cell['total']})"
            )
        table.add_row(system, *row)
    return table
