"""YAML API specs over HTTP as a Toolset: the first implementation of the Toolset seam."""

from __future__ import annotations

from typing import Any

from umi_cli.errors import ConfigError
from umi_cli.tools.http.execute import ExecutionSettings, Executor
from umi_cli.tools.http.render import api_document, api_json_schema
from umi_cli.tools.http.spec import Api, ToolSpec
from umi_cli.tools.toolset import ToolDef, ToolResult


class HttpToolset:
    """The APIs of some tool specs, called over one ``httpx`` client."""

    name = "http"

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

    def tools(self) -> list[ToolDef]:
        return [
            ToolDef(
                name=name,
                service=spec.name,
                description=api.description or spec.description,
                parameters=api_json_schema(api),
                document=api_document(spec, api),
            )
            for name, (spec, api) in self._apis.items()
        ]

    def lookup(self, name: str) -> tuple[ToolSpec, Api]:
        """The spec and API behind a name (KeyError when unknown)."""
        return self._apis[name]

    def call(self, name: str, arguments: dict[str, Any] | str | None) -> ToolResult:
        spec, api = self._apis[name]
        return self._executor.call(spec, api, arguments)

    def close(self) -> None:
        self._executor.close()
