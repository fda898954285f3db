"""The agent's view of its tools: load specs, render documents and grammars, execute calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from umi_cli import paths
from umi_cli.errors import ConfigError, UsageError
from umi_cli.tools.execute import ExecutionSettings, Executor, ToolResult, truncate_observation
from umi_cli.tools.grammar import caller_grammar_from_schemas
from umi_cli.tools.render import api_document, api_function_definition, api_json_schema
from umi_cli.tools.spec import Api, ToolSpec
from umi_cli.tools.validate import load_spec


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


def _looks_like_path(selector: str) -> bool:
    return selector.endswith((".yaml", ".yml")) or "/" in selector or "\\" in selector


def select_specs(selectors: list[str] | None) -> list[ToolSpec]:
    """Tools by name or spec file path; ``None`` means every installed tool."""
    if selectors is None:
        return list(load_all_specs().values())
    chosen: list[ToolSpec] = []
    installed: dict[str, ToolSpec] | None = None
    for selector in selectors:
        if _looks_like_path(selector):
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


class Toolbox:
    """A set of tools with their APIs in a fixed order, addressed by α-UMi names."""

    def __init__(
        self,
        specs: list[ToolSpec],
        *,
        settings: ExecutionSettings | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.specs = list(specs)
        self._apis: dict[str, tuple[ToolSpec, Api]] = {}
        for spec in self.specs:
            for api in spec.apis:
                name = spec.document_name(api)
                if name in self._apis:
                    other = self._apis[name][0]
                    raise ConfigError(
                        f"{spec.source or spec.name}: API name {name} is also used by tool "
                        f"'{other.name}' (rename the tool or the API)"
                    )
                self._apis[name] = (spec, api)
        self._executor = executor or Executor(settings)

    @classmethod
    def load(
        cls,
        selectors: list[str] | None = None,
        *,
        base_urls: dict[str, str] | None = None,
        settings: ExecutionSettings | None = None,
    ) -> Toolbox:
        """Load tools by name or file (None: all installed); ``base_urls`` overrides by tool."""
        specs = select_specs(selectors)
        overrides = dict(base_urls or {})
        unknown = set(overrides) - {s.name for s in specs}
        if unknown:
            raise UsageError(
                f"base URL given for unknown tool(s): {', '.join(sorted(unknown))} "
                f"(loaded: {', '.join(s.name for s in specs)})"
            )
        specs = [s.with_base_url(overrides[s.name]) if s.name in overrides else s for s in specs]
        return cls(specs, settings=settings)

    def names(self) -> list[str]:
        """The α-UMi API names, in document order."""
        return list(self._apis)

    def lookup(self, name: str) -> tuple[ToolSpec, Api]:
        """The tool and API behind an α-UMi name (KeyError when unknown)."""
        return self._apis[name]

    def documents(self) -> list[dict[str, Any]]:
        """The α-UMi tool dicts (FORMAT.md §5), one per API, in order."""
        return [api_document(spec, api) for spec, api in self._apis.values()]

    def json_schema(self, name: str) -> dict[str, Any]:
        """The JSON Schema of an API's arguments (keys as the models write them)."""
        return api_json_schema(self._known(name)[1])

    def function_definitions(self) -> list[dict[str, Any]]:
        """OpenAI/MCP-style function definitions of every API."""
        return [api_function_definition(spec, api) for spec, api in self._apis.values()]

    def caller_grammar(self, names: list[str] | None = None) -> str:
        """GBNF for ``Action: <name>\\nAction Input: <JSON>`` over all or some APIs."""
        chosen = self.names() if names is None else names
        return caller_grammar_from_schemas({n: self.json_schema(n) for n in chosen})

    def execute(self, name: str, arguments: str | dict[str, Any] | None) -> ToolResult:
        """Call an API by its α-UMi name; never raises (failures are error observations)."""
        entry = self._apis.get(name.strip())
        if entry is None:
            return _unknown_api(name, self.names())
        spec, api = entry
        return self._executor.call(spec, api, arguments)

    def close(self) -> None:
        self._executor.close()

    def _known(self, name: str) -> tuple[ToolSpec, Api]:
        if name not in self._apis:
            raise UsageError(f"unknown API '{name}' (known: {', '.join(self.names())})")
        return self._apis[name]


def _unknown_api(name: str, known: list[str]) -> ToolResult:
    message = f"unknown API '{name}'; available APIs: {', '.join(known)}"
    text = truncate_observation(json.dumps({"error": message, "status": None}), 1024)
    return ToolResult(api=name, ok=False, status=None, text=text)
