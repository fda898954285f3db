"""`umi tools`: list, show, validate and call tool sources (YAML APIs and MCP servers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from umi_cli.agent.format import doc_line
from umi_cli.cli import tools_more
from umi_cli.errors import UmiError, UsageError
from umi_cli.inputs import parse_json
from umi_cli.tools import Toolbox
from umi_cli.tools.naming import api_document_name
from umi_cli.tools.sources import (
    ToolSource,
    looks_like_path,
    open_toolsets,
    select_sources,
    source_problems,
)

app = typer.Typer(
    help="List, inspect, validate, call and import the APIs the agent can use (HTTP and MCP).",
    no_args_is_help=True,
)
tools_more.register(app)

SpecOption = Annotated[
    list[Path] | None,
    typer.Option("--spec", help="Also load this source file (repeatable).", show_default=False),
]


def _sources(extra: list[Path] | None) -> list[ToolSource]:
    """Installed sources plus ``--spec`` files; a file replaces an installed one of its name."""
    by_name = {s.name: s for s in select_sources(None)}
    by_name.update({s.name: s for s in select_sources([str(p) for p in extra or []])})
    return list(by_name.values())


def _toolbox(sources: list[ToolSource]) -> Toolbox:
    toolsets = open_toolsets(sources)
    try:
        return Toolbox(toolsets)
    except BaseException:
        for toolset in toolsets:
            toolset.close()
        raise


def _rows(source: ToolSource) -> list[dict[str, Any]]:
    """The ``list`` rows of one source (an MCP server is started to list its tools)."""
    if source.spec is not None:
        spec = source.spec
        return [
            {"tool": spec.name, "kind": "http", "api": api.name, "name": spec.document_name(api),
             "method": api.method, "url": spec.base_url + api.path,
             "auth_env": spec.auth.env if spec.auth else None,
             "source": str(spec.source) if spec.source else None, "error": None}
            for api in spec.apis
        ]  # fmt: skip
    assert source.mcp is not None
    where = tools_more.mcp_target(source.mcp)
    try:
        with _toolbox([source]) as toolbox:
            tools = toolbox.tools()
    except UmiError as exc:
        return [{"tool": source.name, "kind": "mcp", "api": None, "name": None, "method": "MCP",
                 "url": where, "auth_env": None, "source": str(source.path), "error": str(exc)}]
    return [
        {"tool": source.name, "kind": "mcp", "api": tool.name, "name": tool.name,
         "method": "MCP", "url": where, "auth_env": None, "source": str(source.path),
         "error": None}
        for tool in tools
    ]  # fmt: skip


@app.command("list")
def list_tools(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    spec: SpecOption = None,
) -> None:
    """Show every tool and API from the built-in and user folders (MCP servers are started)."""
    rows = [row for source in _sources(spec) for row in _rows(source)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("tool", "API (as the models see it)", "method", "URL / server", "key")
    for row in rows:
        name = row["name"] or f"[red]unavailable: {row['error']}[/]"
        table.add_row(row["tool"], name, row["method"], row["url"], row["auth_env"] or "")
    Console(width=max(Console().width, 140)).print(table)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="A tool name, an API name, or a source file path.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    spec: SpecOption = None,
) -> None:
    """Print the α-UMi document lines and the JSON Schema of a tool's APIs."""
    if looks_like_path(name):
        chosen = select_sources([name])
    else:
        sources = _sources(spec)
        chosen = [s for s in sources if s.name == name] or sources
    with _toolbox(chosen) as toolbox:
        tools = [t for t in toolbox.tools() if t.name == name] or toolbox.tools()
        if not looks_like_path(name) and len(chosen) > 1 and tools == toolbox.tools():
            known = ", ".join(sorted(s.name for s in chosen))
            raise UsageError(f"unknown tool or API '{name}' (tools: {known}; see umi tools list)")
        documents = {tool.name: d for tool, d in zip(toolbox.tools(), toolbox.documents(),
                                                      strict=True)}  # fmt: skip
        shown = [(documents[tool.name], tool.parameters) for tool in tools]
    if as_json:
        payload = [{"document": document, "json_schema": schema} for document, schema in shown]
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    typer.echo("# α-UMi tool documents (exactly as the models see them)")
    for document, _schema in shown:
        typer.echo(doc_line(document))
    for document, schema in shown:
        typer.echo(f"\n# JSON Schema of {document['Name']}")
        typer.echo(json.dumps(schema, indent=2, ensure_ascii=False))


@app.command("validate")
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Source files or folders of them.")],
    connect: Annotated[
        bool,
        typer.Option(
            "--connect/--no-connect",
            help="Start MCP servers and check every tool's schema and grammar (default: yes).",
        ),
    ] = True,
) -> None:
    """Check source files; print every problem as file:line: field: problem (fix)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        else:
            files.append(path)
    total = 0
    for file in files:
        problems = [str(problem) for problem in source_problems(file)]
        if not problems and connect:
            problems = tools_more.served_problems(file)
        total += len(problems)
        for problem in problems:
            typer.echo(problem)
        if not problems:
            typer.echo(f"{file}: ok")
    if total:
        bad = "1 problem" if total == 1 else f"{total} problems"
        typer.echo(f"umi: {bad} in {len(files)} file(s)", err=True)
        raise typer.Exit(1)


def _parse_arg(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise UsageError(f"--arg {text!r} must look like name=value (e.g. --arg q=love)")
    key, raw = text.split("=", 1)
    try:
        value = parse_json(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def _resolve_api(toolbox: Toolbox, target: str) -> str:
    """``TOOL.API`` (or an API name as the models see it) -> the API name."""
    if target in toolbox.names():
        return target
    tool_name, _, api_name = target.partition(".")
    if not api_name:
        raise UsageError(f"name the API as TOOL.API, got {target!r} (see umi tools list)")
    services = {tool.service for tool in toolbox.tools()}
    if tool_name not in services:
        raise UsageError(f"unknown tool '{tool_name}' (tools: {', '.join(sorted(services))})")
    apis = [tool.name for tool in toolbox.tools() if tool.service == tool_name]
    wanted = {api_name, api_document_name(api_name, tool_name)}
    for name in apis:
        if name in wanted:
            return name
    raise UsageError(f"tool '{tool_name}' has no API '{api_name}' (APIs: {', '.join(apis)})")


@app.command("call")
def call(
    target: Annotated[str, typer.Argument(help="TOOL.API, e.g. deezer.search")],
    arg: Annotated[
        list[str] | None,
        typer.Option("--arg", "-a", help="name=value (JSON values parsed); repeatable."),
    ] = None,
    input_json: Annotated[
        str | None, typer.Option("--input", help="All arguments as one JSON object.")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Send the call to this server instead.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")] = False,
    spec: SpecOption = None,
) -> None:
    """Make one real call and print the observation exactly as the agent would see it."""
    tool_name = target.partition(".")[0]
    sources = [s for s in _sources(spec) if s.name == tool_name] or _sources(spec)
    if base_url:
        if not base_url.startswith(("http://", "https://")):
            raise UsageError(f"--base-url must be an http:// or https:// URL, got {base_url!r}")
        sources = [
            ToolSource(s.name, s.path, spec=s.spec.with_base_url(base_url))
            if s.spec is not None and s.name == tool_name else s
            for s in sources
        ]  # fmt: skip
    arguments: dict[str, Any] = {}
    if input_json:
        try:
            arguments = parse_json(input_json)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--input is not valid JSON: {exc.msg}") from None
        if not isinstance(arguments, dict):
            raise UsageError("--input must be a JSON object")
    arguments.update(dict(_parse_arg(a) for a in arg or []))
    with _toolbox(sources) as toolbox:
        result = toolbox.call(_resolve_api(toolbox, target), arguments)
    if as_json:
        typer.echo(
            json.dumps(
                {"api": result.name, "ok": result.ok, "status": result.status,
                 "failure": result.failure, "observation": result.text, "size": result.size,
                 "seconds": round(result.seconds, 3)},
                ensure_ascii=False,
            )
        )
    else:
        typer.echo(result.text)
    if not result.ok:
        raise typer.Exit(1)
