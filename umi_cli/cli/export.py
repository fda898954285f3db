"""`umi export`: logged runs as α-UMi fine-tuning data (GLPFT) or ToolBench trajectories.

``glpft`` writes ``train_planner.json``, ``train_caller.json``, ``train_summarizer.json`` and
``train_backbone.json`` in the authors' format (``tools``, ``history``, ``input``, ``target``);
``--format toolbench`` (or ``umi export toolbench``) writes ``toolbench.json``, the trajectories
``umi eval toolbench`` reads. Runs whose roles saw chat-format prompts are exported in the same
structure with ``input`` rendered by the α-UMi templates, and the output says how many.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from umi_cli.cli.logs import parse_moment, parse_outcome
from umi_cli.errors import UmiError, UsageError

if TYPE_CHECKING:
    from umi_cli.runlog.glpft import ExportTally

app = typer.Typer(
    help="Export logged runs: α-UMi fine-tuning sets (GLPFT) or ToolBench trajectories.",
    no_args_is_help=True,
)

FORMATS = ("glpft", "toolbench")
TOOLBENCH_FILE = "toolbench.json"

OutOption = Annotated[
    Path, typer.Option("--out", "-o", help="Folder to write into (created when missing).")
]
WhereOption = Annotated[
    str,
    typer.Option("--where", help="Runs with this outcome: answered, gave_up, failed, unfinished "
                 "or all."),
]  # fmt: skip
SinceOption = Annotated[
    str | None, typer.Option("--since", help="Only runs started at or after DATE (or 7d, 12h).")
]
ToolOption = Annotated[
    str | None, typer.Option("--tool", help="Only runs that offered this API or tool.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]


@app.command("glpft")
def glpft(
    out: OutOption,
    where: WhereOption = "answered",
    since: SinceOption = None,
    tool: ToolOption = None,
    export_format: Annotated[
        str, typer.Option("--format", help="glpft (the four training sets) or toolbench.")
    ] = "glpft",
    json_output: JsonOption = False,
) -> None:
    """The four GLPFT training sets of the selected runs, in the α-UMi authors' format."""
    if export_format not in FORMATS:
        raise UsageError(f"--format {export_format}: unknown; choose glpft or toolbench")
    export_runs(out, where, since, tool, export_format, json_output)


@app.command("toolbench")
def toolbench(
    out: OutOption,
    where: WhereOption = "answered",
    since: SinceOption = None,
    tool: ToolOption = None,
    json_output: JsonOption = False,
) -> None:
    """The selected runs as ToolBench trajectories (what `umi eval toolbench` reads)."""
    export_runs(out, where, since, tool, "toolbench", json_output)


def export_runs(
    out: Path, where: str, since: str | None, tool: str | None, export_format: str, as_json: bool
) -> None:
    """Select the runs, write the files, report what was written."""
    from umi_cli.runlog import RunLog
    from umi_cli.runlog.glpft import ExportTally, glpft_sets, select, toolbench_items, write_sets
    from umi_cli.runlog.settings import log_file

    outcome = None if where.strip().lower() == "all" else parse_outcome(where, "--where")
    moment = parse_moment(since, "--since") if since is not None else None
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file; give a folder")
    path = log_file()
    tally = ExportTally()
    if path.exists():
        with RunLog(path) as log:
            runs = tally.counted(select(log, outcome=outcome, since=moment, tool=tool))
            if export_format == "glpft":
                sets = glpft_sets(runs)
            else:
                sets = {TOOLBENCH_FILE.removesuffix(".json"): toolbench_items(runs)}
    if tally.runs == 0:
        chosen = [f"--where {where}"] + [f"{flag} {value}" for flag, value in (
            ("--since", since), ("--tool", tool)) if value is not None]  # fmt: skip
        raise UmiError(
            f"no logged run matches {' '.join(chosen)} in {path}; nothing written "
            "(see `umi logs list`)"
        )
    counts = write_sets(sets, out)
    report = {
        "out": str(out),
        "format": export_format,
        "runs": tally.runs,
        "files": {f"{name}.json": count for name, count in counts.items()},
        "exact_runs": tally.exact,
        "rendered_runs": tally.rendered,
    }
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        return
    typer.echo("\n".join(report_lines(report, tally)))


def report_lines(report: dict[str, Any], tally: ExportTally) -> list[str]:
    """What was written, and which inputs are the models' own prompts."""
    runs = report["runs"]
    lines = [f"exported {runs} run{'s' if runs != 1 else ''} to {report['out']}"]
    width = max(len(name) for name in report["files"])
    lines += [f"  {name:<{width}}  {count} items" for name, count in report["files"].items()]
    if report["format"] == "toolbench":
        return lines
    if tally.exact:
        lines.append(
            f"{tally.exact} run{'s' if tally.exact != 1 else ''} used α-UMi prompts: their "
            "inputs are byte for byte what the models saw."
        )
    for name, count in tally.rendered.items():
        lines.append(
            f"{count} run{'s' if count != 1 else ''} used {name or 'unrecorded'} prompts: "
            "exported in the same structure, with `input` rendered by the α-UMi templates "
            "(not the prompts those models saw)."
        )
    return lines
