"""`umi tools import-openapi` and `umi tools serve-mcp`, and the MCP checks of `validate`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from umi_cli.errors import UmiError, UsageError
from umi_cli.tools.http.openapi import import_openapi
from umi_cli.tools.http.validate import validate_file

if TYPE_CHECKING:
    from umi_cli.tools.mcp import McpSource


def register(app: typer.Typer) -> None:
    """Add the commands to the ``tools`` group."""
    app.command("import-openapi")(import_openapi_command)
    app.command("serve-mcp")(serve_mcp)


def mcp_target(source: McpSource) -> str:
    """Where an MCP source's server is: its command line or its URL."""
    from umi_cli.tools.mcp import StdioTarget

    target = source.target
    if isinstance(target, StdioTarget):
        return " ".join(target.command)
    return target.url


def served_problems(file: Path) -> list[str]:
    """For an MCP source: start the server and check that every tool it lists gives a JSON
    Schema object and a caller grammar llama.cpp accepts (HTTP specs: nothing to add)."""
    from umi_cli.engine.llama.grammar import check_grammar
    from umi_cli.tools import Toolbox
    from umi_cli.tools.sources import is_mcp_file, open_toolsets, read_source

    if not is_mcp_file(file):
        return []
    problems: list[str] = []
    try:
        with Toolbox(open_toolsets([read_source(file)])) as toolbox:
            if not toolbox.names():
                problems.append(f"{file}: the server lists no tools (check include/exclude)")
            for tool in toolbox.tools():
                if tool.parameters.get("type") != "object":
                    problems.append(f"{file}: tool {tool.name}: inputSchema is not an object")
                    continue
                try:
                    check_grammar(toolbox.caller_grammar([tool.name]))
                except UmiError as exc:
                    problems.append(f"{file}: tool {tool.name}: {exc}")
    except UmiError as exc:
        problems.append(f"{file}: {exc}")
    return problems


def serve_mcp(
    tools: Annotated[
        list[str] | None,
        typer.Option("--tools", "-t", help="Tool spec by name or path (repeatable; default all)."),
    ] = None,
    base_url: Annotated[
        list[str] | None,
        typer.Option("--base-url", help="Point a tool at another server: TOOL=URL (repeatable)."),
    ] = None,
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP on 127.0.0.1, not stdio.")
    ] = False,
    port: Annotated[
        int, typer.Option("--port", help="With --http: the port (0 picks a free one).")
    ] = 8931,
) -> None:
    """Serve the selected tools to any MCP client (stdio by default).

    Calls go through umi's own executor: only to each spec's origin, keys from the
    environment, never echoed.
    """
    from umi_cli.cli.common import parse_base_urls
    from umi_cli.tools import Toolbox
    from umi_cli.tools.sources import MCP_HINT

    try:
        from umi_cli.tools.mcp import serve
    except ImportError as exc:
        raise UsageError(f"serve-mcp needs the mcp SDK ({exc}); run: {MCP_HINT}") from None
    if port < 0 or port > 65535:
        raise UsageError(f"--port must be 0..65535, got {port}")
    urls = parse_base_urls(base_url or [])
    with Toolbox.load(list(tools) if tools else None, base_urls=urls or None) as toolbox:
        if not toolbox.names():
            raise UsageError("no tools to serve (pass --tools FILE.yaml)")
        serve(toolbox, http_port=port if http else None)


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
