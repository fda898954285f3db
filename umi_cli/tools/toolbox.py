"""The agent's view of its tools: toolsets combined, filtered per attempt, one name space.

The toolbox is the only source of the caller's grammars and the α-UMi documents, whatever the
toolsets behind it are. ``without(...)`` gives a view that hides APIs (a service that went down
in this attempt) and shares the toolsets; only the toolbox that opened them closes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from umi_cli.errors import ConfigError, UsageError
from umi_cli.text import clip
from umi_cli.tools.documents import DocumentToolset, render_document
from umi_cli.tools.grammar import caller_grammar_from_schemas
from umi_cli.tools.http.execute import ExecutionSettings, Executor
from umi_cli.tools.http.spec import ToolSpec
from umi_cli.tools.http.toolset import HttpToolset
from umi_cli.tools.sources import open_toolsets, select_sources, with_base_urls
from umi_cli.tools.toolset import ToolDef, ToolResult, Toolset


class Toolbox:
    """Toolsets' APIs in a fixed order, addressed by the names the models use.

    A toolbox is itself a toolset (``umi tools serve-mcp`` serves one).
    """

    name = "umi"

    def __init__(self, toolsets: Sequence[Toolset], *, hidden: Iterable[str] = ()) -> None:
        self.toolsets = list(toolsets)
        self._owner = True
        self._tools: dict[str, tuple[Toolset, ToolDef]] = {}
        for toolset in self.toolsets:
            for tool in toolset.tools():
                if tool.name in self._tools:
                    other = self._tools[tool.name][1].service or self._tools[tool.name][0].name
                    raise ConfigError(
                        f"{toolset.name}: API name {tool.name} is also used by '{other}' "
                        "(rename one of them)"
                    )
                self._tools[tool.name] = (toolset, tool)
        self._hidden = frozenset(hidden)

    @classmethod
    def from_specs(
        cls,
        specs: list[ToolSpec],
        *,
        settings: ExecutionSettings | None = None,
        executor: Executor | None = None,
    ) -> Toolbox:
        """A toolbox over YAML specs (one HTTP client)."""
        return cls([HttpToolset(specs, settings=settings, executor=executor)])

    @classmethod
    def from_documents(cls, documents: list[dict[str, Any]]) -> Toolbox:
        """A toolbox over raw α-UMi documents (evaluation data): documents and grammars only."""
        return cls([DocumentToolset(documents)])

    @classmethod
    def load(
        cls,
        selectors: list[str] | None = None,
        *,
        base_urls: dict[str, str] | None = None,
        settings: ExecutionSettings | None = None,
    ) -> Toolbox:
        """Load tools by name or file (None: all installed); ``base_urls`` overrides by tool.

        MCP servers among the sources start here (their tools are listed).
        """
        sources = with_base_urls(select_sources(selectors), base_urls)
        toolsets = open_toolsets(sources, settings=settings)
        try:
            return cls(toolsets)
        except BaseException:
            for toolset in toolsets:
                toolset.close()
            raise

    def without(self, *names: str) -> Toolbox:
        """A view of this toolbox with ``names`` hidden (the toolsets stay shared and open)."""
        view = Toolbox.__new__(Toolbox)
        view.toolsets, view._tools, view._owner = self.toolsets, self._tools, False
        view._hidden = self._hidden | frozenset(names)
        return view

    def names(self) -> list[str]:
        """The API names, in document order."""
        return [name for name in self._tools if name not in self._hidden]

    def tools(self) -> list[ToolDef]:
        return [self._tools[name][1] for name in self.names()]

    def documents(self) -> list[dict[str, Any]]:
        """The α-UMi tool dicts (FORMAT.md §5), one per API, in order."""
        return [render_document(tool) for tool in self.tools()]

    def json_schema(self, name: str) -> dict[str, Any]:
        """The JSON Schema of an API's arguments (keys as the models write them)."""
        return self._known(name).parameters

    def function_definitions(self) -> list[dict[str, Any]]:
        """OpenAI/MCP-style function definitions of every API."""
        return [
            {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
            for tool in self.tools()
        ]

    def caller_grammar(self, names: Sequence[str] | None = None) -> str:
        """GBNF for ``Action: <name>\\nAction Input: <JSON>`` over all or some APIs."""
        chosen = self.names() if names is None else list(names)
        return caller_grammar_from_schemas({n: self.json_schema(n) for n in chosen})

    def call(self, name: str, arguments: str | dict[str, Any] | None) -> ToolResult:
        """Call an API by name; never raises (failures are error observations)."""
        entry = self._tools.get(name.strip())
        if entry is None or name.strip() in self._hidden:
            return _unknown_api(name, self.names())
        toolset, tool = entry
        return toolset.call(tool.name, arguments)

    def close(self) -> None:
        """Close the toolsets (a view from ``without`` leaves them to its owner)."""
        if self._owner:
            for toolset in self.toolsets:
                toolset.close()

    def __enter__(self) -> Toolbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _known(self, name: str) -> ToolDef:
        if name not in self._tools:
            raise UsageError(f"unknown API '{name}' (known: {', '.join(self.names())})")
        return self._tools[name][1]


def _unknown_api(name: str, known: list[str]) -> ToolResult:
    message = f"unknown API '{name}'; available APIs: {', '.join(known)}"
    text = clip(json.dumps({"error": message, "status": None}), 1024)
    return ToolResult(name=name, ok=False, text=text, failure="arguments")
