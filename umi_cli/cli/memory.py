"""`umi memory`: the lessons the cmat mode keeps — list, show, forget, path.

The lessons live in ``<data dir>/memory.db`` (``umi memory path``; ``--home`` / ``UMI_HOME``
honoured); these commands never create it. Retention is shown as the recall ranks it: 1.0 when
fresh, fading with age unless the lesson helps, gone below 0.1.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from umi_cli.errors import UmiError, UsageError

if TYPE_CHECKING:
    from umi_cli.memory import Lesson, LessonStore

app = typer.Typer(
    help="Long-term memory: the lessons `--mode cmat` learnt from earlier tasks.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="JSON on stdout instead of a table.")]


def open_memory() -> LessonStore | None:
    """The memory database, or None when nothing was learnt yet (it is not created)."""
    from umi_cli.memory import LessonStore, memory_path

    path = memory_path()
    return LessonStore(path) if path.exists() else None


def _day(lesson: Lesson) -> str:
    return lesson.written_at.astimezone().strftime("%Y-%m-%d")


def lessons_table(lessons: list[Lesson]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("id", "apis", "kind", "written", "used", "helped", "retention", "lesson"):
        numeric = column in ("id", "used", "helped", "retention")
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for lesson in lessons:
        table.add_row(
            str(lesson.id),
            ", ".join(lesson.apis),
            lesson.kind,
            _day(lesson),
            str(lesson.uses),
            str(lesson.helped),
            f"{lesson.retention():.2f}",
            lesson.text,
        )
    return table


@app.command("list")
def list_lessons(
    tool: Annotated[
        str | None, typer.Option("--tool", help="Only lessons about this API or tool spec.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Every lesson, newest first, with its APIs, uses and retention."""
    store = open_memory()
    lessons: list[Lesson] = []
    if store is not None:
        with store:
            lessons = store.lessons(tool=tool)
    if json_output:
        sys.stdout.write(json.dumps([x.to_dict() for x in lessons], ensure_ascii=False) + "\n")
        return
    if not lessons:
        what = f"no lessons about {tool}" if tool else "no lessons yet"
        Console(stderr=True).print(f"{what} (`umi run --mode cmat` writes them)", highlight=False)
        return
    Console().print(lessons_table(lessons))


@app.command("show")
def show(
    lesson_id: Annotated[int, typer.Argument(metavar="ID", help="The lesson's id.")],
    json_output: JsonOption = False,
) -> None:
    """One lesson: its text, the APIs and tool specs it is about, how it has served."""
    store = open_memory()
    if store is None:
        raise UmiError(f"no lesson with id {lesson_id}: memory is empty")
    with store:
        lesson = store.get(lesson_id)
    if json_output:
        sys.stdout.write(json.dumps(lesson.to_dict(), ensure_ascii=False) + "\n")
        return
    data = lesson.to_dict()
    console = Console()
    console.print(f"[bold]lesson {lesson.id}[/bold]  {lesson.kind}", highlight=False)
    console.print(lesson.text, highlight=False)
    for key in ("apis", "tools"):
        console.print(f"[dim]{key}[/dim]  {', '.join(data[key]) or '-'}", highlight=False)
    for key in ("written_at", "confirmed_at", "last_used_at", "uses", "helped", "retention"):
        console.print(f"[dim]{key}[/dim]  {data[key] if data[key] is not None else '-'}")


@app.command("forget")
def forget(
    lesson_id: Annotated[
        int | None, typer.Argument(metavar="[ID]", help="The lesson to forget.")
    ] = None,
    tool: Annotated[
        str | None, typer.Option("--tool", help="Forget every lesson about this API or tool.")
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="Forget every lesson.")] = False,
) -> None:
    """Forget one lesson, those about an API or tool spec, or all of them."""
    chosen = sum((lesson_id is not None, tool is not None, everything))
    if chosen != 1:
        raise UsageError("give exactly one of: a lesson ID, --tool NAME, --all")
    store = open_memory()
    if store is None:
        if lesson_id is not None:
            raise UmiError(f"no lesson with id {lesson_id}: memory is empty")
        forgotten = 0
    else:
        with store:
            if lesson_id is not None:
                store.get(lesson_id)  # one line naming the id when there is no such lesson
                forgotten = store.forget(lesson_id)
            elif tool is not None:
                forgotten = store.forget_tool(tool)
            else:
                forgotten = store.forget_all()
    typer.echo(f"forgot {forgotten} lesson{'s' if forgotten != 1 else ''}")


@app.command("path")
def path() -> None:
    """Print the memory database's file (it exists once a lesson was written)."""
    from umi_cli.memory import memory_path

    typer.echo(str(memory_path()))
