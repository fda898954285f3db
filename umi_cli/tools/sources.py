"""Tool sources: the files ``--tools`` names, whatever carries their calls.

A source file is a YAML API spec (HTTP) or an MCP server description (a mapping with an ``mcp``
key). Both are selected the same way — by name among the installed ones (the built-in and the
user's ``tool_specs/`` folders) or by path — and become toolsets for the
:class:`~umi_cli.tools.toolbox.Toolbox`. An MCP server starts on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from umi_cli import paths
from umi_cli.errors import ConfigError, UsageError
from umi_cli.tools.http.execute import ExecutionSettings
from umi_cli.tools.http.spec import ToolSpec
from umi_cli.tools.http.toolset import HttpToolset
from umi_cli.tools.http.validate import load_spec, validate_file
from umi_cli.tools.http.yaml_source import Problem, read_yaml
from umi_cli.tools.toolset import Toolset

if TYPE_CHECKING:
    from umi_cli.tools.mcp import McpSource

MCP_HINT = "pip install 'umi-cli[mcp]'"


@dataclass(frozen=True)
class ToolSource:
    """One source file: an HTTP spec or an MCP server description (exactly one is set)."""

    name: str
    path: Path | None
    spec: ToolSpec | None = None
    mcp: McpSource | None = None

    @property
    def kind(self) -> str:
        return "mcp" if self.mcp is not None else "http"


def source_files() -> list[Path]:
    """Built-in ``tool_specs/*.yaml`` then the user's, each folder sorted by name."""
    found: list[Path] = []
    for folder in (paths.builtin_tool_specs_dir(), paths.user_tool_specs_dir()):
        if folder.is_dir():
            found += sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    return found


def is_mcp_file(path: Path) -> bool:
    """Whether a source file describes an MCP server (a top-level ``mcp`` mapping)."""
    data = read_yaml(path).data
    return isinstance(data, dict) and isinstance(data.get("mcp"), dict)


def _mcp_module() -> ModuleType:
    try:
        from umi_cli.tools import mcp
    except ImportError as exc:
        raise UsageError(f"MCP tool sources need the mcp SDK ({exc}); run: {MCP_HINT}") from None
    return mcp


def source_problems(path: Path) -> list[Problem]:
    """Every problem of a source file (empty when valid), without starting anything."""
    if is_mcp_file(path):
        return list(_mcp_module().load_source(path)[1])
    return validate_file(path)


def read_source(path: Path) -> ToolSource:
    """Read and validate a source file; the first problem is one ConfigError line."""
    if not is_mcp_file(path):
        spec = load_spec(path)
        return ToolSource(spec.name, path, spec=spec)
    source, problems = _mcp_module().load_source(path)
    if problems or source is None:
        first = str(problems[0]) if problems else f"{path}: not an MCP source"
        more = f" (+{len(problems) - 1} more; run: umi tools validate {path})"
        raise ConfigError(first + (more if len(problems) > 1 else ""))
    return ToolSource(source.name, path, mcp=source)


def installed_sources() -> dict[str, ToolSource]:
    """Every installed source by name; a user file with a built-in's name replaces it."""
    found: dict[str, ToolSource] = {}
    for file in source_files():
        source = read_source(file)
        found[source.name] = source
    return found


def looks_like_path(selector: str) -> bool:
    return selector.endswith((".yaml", ".yml")) or "/" in selector or "\\" in selector


def select_sources(selectors: list[str] | None) -> list[ToolSource]:
    """Sources by name or file path; ``None`` means every installed one."""
    if selectors is None:
        return list(installed_sources().values())
    chosen: list[ToolSource] = []
    installed: dict[str, ToolSource] | None = None
    for selector in selectors:
        if looks_like_path(selector):
            path = Path(selector).expanduser()
            if not path.is_file():
                raise UsageError(f"tool spec file not found: {selector} (check the path)")
            chosen.append(read_source(path))
            continue
        if installed is None:
            installed = installed_sources()
        if selector not in installed:
            known = ", ".join(sorted(installed)) or "none"
            raise UsageError(
                f"unknown tool '{selector}' (installed: {known}; or give a spec file path)"
            )
        chosen.append(installed[selector])
    return chosen


def with_base_urls(sources: list[ToolSource], base_urls: dict[str, str] | None) -> list[ToolSource]:
    """The sources with some HTTP specs pointed at other servers (``--base-url TOOL=URL``)."""
    overrides = dict(base_urls or {})
    specs = {source.name for source in sources if source.spec is not None}
    unknown = set(overrides) - specs
    if unknown:
        raise UsageError(
            f"base URL given for unknown tool(s): {', '.join(sorted(unknown))} "
            f"(HTTP tools loaded: {', '.join(sorted(specs)) or 'none'})"
        )
    return [
        ToolSource(s.name, s.path, spec=s.spec.with_base_url(overrides[s.name]))
        if s.spec is not None and s.name in overrides
        else s
        for s in sources
    ]


def open_toolsets(
    sources: list[ToolSource], *, settings: ExecutionSettings | None = None
) -> list[Toolset]:
    """One HTTP toolset for all the specs (one client), one MCP toolset per server."""
    specs = [source.spec for source in sources if source.spec is not None]
    toolsets: list[Toolset] = [HttpToolset(specs, settings=settings)] if specs else []
    for source in sources:
        if source.mcp is not None:
            toolsets.append(_mcp_module().McpToolset(source.mcp))
    return toolsets
