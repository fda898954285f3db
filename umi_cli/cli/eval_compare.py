"""`umi eval compare DIR DIR ...`: several evaluation runs in one table (and an SVG chart)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from umi_cli.errors import UmiError, UsageError

if TYPE_CHECKING:
    from umi_cli.eval.compare import Comparison


def register(app: typer.Typer) -> None:
    """Add ``compare`` to the ``umi eval`` group."""
    app.command("compare")(compare)


def _cell(value: float | None, best: bool = False) -> str:
    if value is None:
        return "–"
    return f"[bold]{value:.2f}[/bold]" if best else f"{value:.2f}"


def comparison_table(table: Comparison) -> Table:
    """Systems as rows, metrics as columns; the best of our systems in bold; reference rows
    (paper, leaderboard) dimmed below a line."""
    out = Table(title=table.title, title_justify="left", caption_justify="left")
    out.add_column("system")
    for metric in table.metrics:
        out.add_column(metric.label, justify="right")
    best: dict[str, float] = {}
    for metric in table.metrics:
        values = [v for row in table.rows.values() if (v := row.get(metric.key)) is not None]
        if len(values) > 1:
            best[metric.key] = min(values) if metric.lower_is_better else max(values)
    for label, row in table.rows.items():
        cells = [_cell(row.get(m.key), row.get(m.key) == best.get(m.key)) for m in table.metrics]
        out.add_row(f"[bold]{label}[/bold]", *cells)
    if table.reference:
        out.add_section()
        for label, row in table.reference.items():
            cells = [f"[dim]{_cell(row.get(m.key))}[/dim]" for m in table.metrics]
            out.add_row(f"[dim]{label}[/dim]", *cells)
    notes = list(table.notes)
    if table.reference:
        notes.append(f"Dim rows: the {table.reference_kind}'s published figures.")
    if len(table.rows) > 1:
        notes.append("Bold: the best of the compared runs.")
    out.caption = "\n".join(notes) or None
    return out


def compare(
    runs: Annotated[
        list[Path],
        typer.Argument(
            metavar="DIR...", help="Folders written by `umi eval ... -o DIR` (or metrics.json)."
        ),
    ],
    svg: Annotated[
        Path | None, typer.Option("--svg", help="Also draw the comparison as an SVG bar chart.")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="The comparison as JSON on stdout (no table).")
    ] = False,
) -> None:
    """Compare evaluation runs of any benchmark: one table per benchmark, paper rows beside."""
    from umi_cli.eval.compare import compare as read_all

    if not runs:
        raise UsageError("give at least one results folder (`umi eval ... -o DIR`)")
    tables = read_all(runs)
    if svg is not None:
        from umi_cli.eval.chart_svg import render_svg

        try:
            svg.parent.mkdir(parents=True, exist_ok=True)
            svg.write_text(render_svg(tables), encoding="utf-8")
        except OSError as exc:
            raise UmiError(f"--svg {svg}: cannot write the chart ({exc.strerror})") from None
    if json_output:
        sys.stdout.write(json.dumps([t.to_dict() for t in tables], ensure_ascii=False) + "\n")
        return
    console = Console()
    for table in tables:
        console.print(comparison_table(table))
    if svg is not None:
        Console(stderr=True).print(f"chart written to {svg}", highlight=False)
