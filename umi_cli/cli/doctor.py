"""`umi doctor`: one screen for a bug report, and a check that says what to fix."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("doctor")(doctor)


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object for scripts.")] = False,
    no_smoke: Annotated[
        bool, typer.Option("--no-smoke", help="Skip the 16-token completion on the default model.")
    ] = False,
) -> None:
    """Versions, llama.cpp features, models, tool specs, paths, hub and a smoke completion.

    Writes nothing. Exit 0 when healthy, 1 when something `umi run` needs is broken.
    """
    from umi_cli.doctor import diagnose

    console = Console(stderr=True)
    if as_json:
        report = diagnose(smoke=not no_smoke)
        sys.stdout.write(json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n")
    else:
        with console.status("checking…"):
            report = diagnose(smoke=not no_smoke)
        Console().print(_table(report.sections))
        for problem in report.problems:
            mark = "[red]✗[/]" if problem.required else "[yellow]![/]"
            console.print(f"{mark} {problem.line()}", highlight=False, soft_wrap=True)
        if report.healthy:
            Console().print("[green]healthy[/]: umi run has what it needs")
    raise typer.Exit(0 if report.healthy else 1)


def _table(sections: dict[str, Any]) -> Table:
    table = Table(title="umi doctor", title_justify="left", show_header=False)
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("finding", overflow="fold")
    versions = sections["versions"]
    table.add_row(
        "versions",
        f"umi {versions['umi']} · Python {versions['python']} · llama-cpp-python "
        f"{versions['llama_cpp_python'] or 'not installed'} · {versions['platform']}",
    )
    llama = sections.get("llama_cpp")
    if llama:
        shown = [name for name, on in llama["features"].items() if on]
        table.add_row("llama.cpp", " ".join(shown) or llama["system_info"])
        table.add_row(
            "GPU offload",
            "supported" if llama["gpu_offload"] else "not in this build (CPU only)",
        )
        table.add_row("threads", str(llama["threads"]))
    buffers = sections.get("extra_buffers")
    if buffers:
        state = "[green]on[/]" if buffers["enabled"] else "[yellow]off[/]"
        table.add_row("weight repacking", f"{state} · {buffers['reason']}")
    profile = sections.get("default_profile")
    if profile:
        ready = "[green]ready[/]" if profile["ready"] else "[red]not ready[/]"
        table.add_row("default profile", f"{profile['id']} · {ready}")
    for row in sections.get("models", []):
        mark = {"verified": "[green]verified[/]", "present": "[yellow]unchecked[/]"}
        table.add_row(
            f"  {row['id']}", f"{mark.get(row['state'], '[dim]absent[/]')} · {row['where']}"
        )
    specs = sections.get("tool_specs", [])
    bad = [row for row in specs if not row["ok"]]
    table.add_row("tool specs", f"{len(specs) - len(bad)} valid, {len(bad)} invalid")
    for row in bad:
        table.add_row("", f"[red]{row['error']}[/]")
    for name, value in sections.get("paths", {}).items():
        table.add_row(f"{name} path" if name in ("config", "cache", "data", "models") else name,
                      value)  # fmt: skip
    hub = sections.get("hub")
    if hub:
        answers = {True: "[green]answers[/]", False: "[yellow]no answer[/]", None: "not asked"}
        table.add_row("hub", f"{hub['endpoint']} · {answers[hub['answers']]} · {hub['detail']}")
    smoke = sections.get("smoke")
    if smoke and smoke["ran"]:
        table.add_row(
            "smoke",
            f"{smoke['model']} on {smoke['device']}: {smoke['prompt']!r} → {smoke['text']!r} "
            f"· {smoke['generated_tokens']} tokens · {smoke['tokens_per_second']} tok/s",
        )
    elif smoke:
        table.add_row("smoke", smoke["detail"])
    return table
