"""Which YAML specs a command means: installed ones by name, or files by path."""

from __future__ import annotations

from pathlib import Path

from umi_cli import paths
from umi_cli.errors import UsageError
from umi_cli.tools.http.spec import ToolSpec
from umi_cli.tools.http.validate import load_spec


def spec_files() -> list[Path]:
    """Built-in ``tool_specs/*.yaml`` then the user's, each folder sorted by name."""
    found: list[Path] = []
    for folder in (paths.builtin_tool_specs_dir(), paths.user_tool_specs_dir()):
        if folder.is_dir():
            found += sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    return found


def load_all_specs() -> dict[str, ToolSpec]:
    """Every installed tool by name; a user spec with a built-in's name replaces it."""
    specs: dict[str, ToolSpec] = {}
    for file in spec_files():
        spec = load_spec(file)
        specs[spec.name] = spec
    return specs


def looks_like_path(selector: str) -> bool:
    return selector.endswith((".yaml", ".yml")) or "/" in selector or "\\" in selector


def select_specs(selectors: list[str] | None) -> list[ToolSpec]:
    """Tools by name or spec file path; ``None`` means every installed tool."""
    if selectors is None:
        return list(load_all_specs().values())
    chosen: list[ToolSpec] = []
    installed: dict[str, ToolSpec] | None = None
    for selector in selectors:
        if looks_like_path(selector):
            path = Path(selector).expanduser()
            if not path.is_file():
                raise UsageError(f"tool spec file not found: {selector} (check the path)")
            chosen.append(load_spec(path))
            continue
        if installed is None:
            installed = load_all_specs()
        if selector not in installed:
            known = ", ".join(sorted(installed)) or "none"
            raise UsageError(
                f"unknown tool '{selector}' (installed: {known}; or give a spec file path)"
            )
        chosen.append(installed[selector])
    return chosen


def with_base_urls(specs: list[ToolSpec], base_urls: dict[str, str] | None) -> list[ToolSpec]:
    """The specs with some pointed at other servers (``--base-url TOOL=URL``)."""
    overrides = dict(base_urls or {})
    unknown = set(overrides) - {s.name for s in specs}
    if unknown:
        raise UsageError(
            f"base URL given for unknown tool(s): {', '.join(sorted(unknown))} "
            f"(loaded: {', '.join(s.name for s in specs)})"
        )
    return [s.with_base_url(overrides[s.name]) if s.name in overrides else s for s in specs]
