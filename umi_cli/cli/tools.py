"""`umi tools`: list, show, validate, call and import API specs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from umi_cli.agent.format import doc_line
from umi_cli.errors import UmiError, UsageError
from umi_cli.inputs import parse_json
from umi_cli.tools import Toolbox
from umi_cli.tools.http.openapi import import_openapi
from umi_cli.tools.http.selection import select_specs
from umi_cli.tools.http.spec import ToolSpec
from umi_cli.tools.http.validate import validate_file
from umi_cli.tools.naming import standardize

app = typer.Typer(
    help="List, inspect, validate, call and import the HTTP APIs the agent can use.",
    no_args_is_help=True,
)


def _specs(spec_files: list[Path] | None) -> list[ToolSpec]:
    """Installed tools plus ``--spec`` files; a file replaces an installed tool of its name."""
    extra = select_specs([str(p) for p in spec_files]) if spec_files else []
    by_name = {s.name: s for s in select_specs(None)}
    by_name.update({s.name: s for s in extra})
    return list(by_name.values())


SpecOption = Annotated[
    list[Path] | None,
    typer.Option("--spec", help="Also load this spec file (repeatable).", show_default=False),
]


@app.command("list")
def list_tools(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    spec: SpecOption = None,
) -> None:
    """Show every tool and API from the built-in and user spec folders."""
    rows = []
    for tool in _specs(spec):
        for api in tool.apis:
            rows.append(
                {
                    "tool": tool.name,
                    "api": api.name,
                    "name": tool.document_name(api),
                    "method": api.method,
                    "url": tool.base_url + api.path,
                    "auth_env": tool.auth.env if tool.auth else None,
                    "source": str(tool.source) if tool.source else None,
                }
            )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("tool", "API (as the models see it)", "method", "URL", "key")
    for row in rows:
        table.add_row(row["tool"], row["name"], row["method"], row["url"], row["auth_env"] or "")
    Console(width=max(Console().width, 140)).print(table)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="A tool name, an API name, or a spec file path.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    spec: SpecOption = None,
) -> None:
    """Print the α-UMi document lines and the JSON Schema of a tool's APIs."""
    if name.endswith((".yaml", ".yml")):
        toolbox = Toolbox.from_specs(select_specs([name]))
    else:
        specs = _specs(spec)
        toolbox = Toolbox.from_specs(specs)
        tool_names = {t.name for t in specs}
        if name in tool_names:
            toolbox = Toolbox.from_specs([t for t in specs if t.name == name])
        elif name not in toolbox.names():
            raise UsageError(
                f"unknown tool or API '{name}' (tools: {', '.join(sorted(tool_names))}; "
                "see umi tools list)"
            )
    documents = toolbox.documents()
    if name in toolbox.names() and len(documents) > 1:
        documents = [d for d in documents if d["Name"] == name]
    if as_json:
        payload = [
            {"document": d, "json_schema": toolbox.json_schema(d["Name"])} for d in documents
        ]
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    typer.echo("# α-UMi tool documents (exactly as the models see them)")
    for document in documents:
        typer.echo(doc_line(document))
    for document in documents:
        typer.echo(f"\n# JSON Schema of {document['Name']}")
        typer.echo(json.dumps(toolbox.json_schema(document["Name"]), indent=2, ensure_ascii=False))


@app.command("validate")
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Spec files or folders of spec files.")],
) -> None:
    """Check spec files; print every problem as file:line: field: problem (fix)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        else:
            files.append(path)
    total = 0
    for file in files:
        problems = validate_file(file)
        total += len(problems)
        for problem in problems:
            typer.echo(str(problem))
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


def _resolve_api(toolbox: Toolbox, specs: list[ToolSpec], target: str) -> str:
    if target in toolbox.names():
        return target
    tool_name, _, api_name = target.partition(".")
    if not api_name:
        raise UsageError(f"name the API as TOOL.API, got {target!r} (see umi tools list)")
    tool = next((t for t in specs if t.name == tool_name), None)
    if tool is None:
        known = ", ".join(t.name for t in specs)
        raise UsageError(f"unknown tool '{tool_name}' (tools: {known})")
    for api in tool.apis:
        if api_name in (api.name, standardize(api.name), tool.document_name(api)):
            return tool.document_name(api)
    known = ", ".join(a.name for a in tool.apis)
    raise UsageError(f"tool '{tool_name}' has no API '{api_name}' (APIs: {known})")


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
    specs = _specs(spec)
    tool_name = target.partition(".")[0]
    if base_url:
        if not base_url.startswith(("http://", "https://")):
            raise UsageError(f"--base-url must be an http:// or https:// URL, got {base_url!r}")
        specs = [s.with_base_url(base_url) if s.name == tool_name else s for s in specs]
    toolbox = Toolbox.from_specs(specs)
    name = _resolve_api(toolbox, specs, target)
    arguments: dict[str, Any] = {}
    if input_json:
        try:
            arguments = parse_json(input_json)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--input is not valid JSON: {exc.msg}") from None
        if not isinstance(arguments, dict):
            raise UsageError("--input must be a JSON object")
    arguments.update(dict(_parse_arg(a) for a in arg or []))
    try:
        result = toolbox.call(name, arguments)
    finally:
        toolbox.close()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "api": result.name,
                    "ok": result.ok,
                    "status": result.status,
                    "observation": result.text,
                    "size": result.size,
                    "seconds": round(result.seconds, 3),
                },
                ensure_ascii=False,
            )
        )
    else:
        typer.echo(result.text)
    if not result.ok:
        raise typer.Exit(1)


@app.command("import-openapi")
def import_openapi_command(
    file: Annotated[Path, typer.Argument(help="An OpenAPI 3 document (JSON or YAML).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the spec.")],
    name: Annotated[str | None, typer.Option("--name", help="Tool name (default: title).")] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Use this base URL instead of servers[0].")
    ] = None,
    env: Annotated[
        str | None, typer.Option("--env", help="Environment variable holding the API key.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Convert OpenAPI 3 into a umi spec; constructs umi cannot use are listed as warnings."""
    if output.exists() and not force:
        raise UsageError(f"{output} exists (use --force to overwrite)")
    result = import_openapi(file, name=name, base_url=base_url, env=env)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    text = result.to_yaml()
    problems = validate_file(output, text=text)
    if problems:  # never write a spec that umi itself would refuse
        for problem in problems:
            print(str(problem), file=sys.stderr)
        raise UmiError(
            f"{file}: the imported spec is not valid ({len(problems)} problem(s) above); "
            f"nothing written to {output} (fix the document or pass --base-url/--name)"
        )
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UmiError(f"cannot write {output}: {exc.strerror} (check the folder)") from None
    count = len(result.spec.get("apis", []))
    typer.echo(
        f"wrote {output}: tool {result.spec['name']}, {count} API(s), "
        f"{len(result.warnings)} warning(s)"
    )
