"""The tool spec model: one YAML file describes one service (a tool) and its APIs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from umi_cli.tools.naming import api_document_name, parameter_document_name

PARAM_LOCATIONS = ("path", "query", "header", "body")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SCHEMA_TYPES = ("string", "integer", "number", "boolean", "array", "object")
DEFAULT_TIMEOUT = 15.0
DEFAULT_RETRIES = 2


@dataclass(frozen=True)
class Auth:
    """Where the secret goes: ``api_key`` in a header/query parameter, or a ``bearer`` token.

    The secret itself is read from the environment variable ``env`` at call time.
    """

    type: str  # "api_key" | "bearer"
    env: str
    location: str = "header"  # api_key only: "header" | "query"
    name: str = "Authorization"  # api_key only: header or query parameter name


@dataclass(frozen=True)
class Parameter:
    """One API parameter; ``schema`` is a JSON Schema (type, enum, items, properties, default)."""

    name: str
    location: str
    schema: dict[str, Any]
    required: bool = False
    description: str = ""

    @property
    def doc_name(self) -> str:
        """The name the models see (standardized, ``is_`` renamed)."""
        return parameter_document_name(self.name)

    @property
    def type(self) -> str:
        return str(self.schema.get("type", "string"))


@dataclass(frozen=True)
class ResponseShape:
    """How a response body becomes an observation: a JSON path to keep, fields, a length cap."""

    keep: str | None = None
    fields: tuple[str, ...] = ()
    max_chars: int | None = None


@dataclass(frozen=True)
class Api:
    """One operation of a tool: method, path template with ``{placeholders}``, parameters."""

    name: str
    path: str
    method: str = "GET"
    description: str = ""
    parameters: tuple[Parameter, ...] = ()
    response: ResponseShape = field(default_factory=ResponseShape)


@dataclass(frozen=True)
class ToolSpec:
    """A service the agent can use: where it lives, how to authenticate, and its APIs."""

    name: str
    base_url: str
    apis: tuple[Api, ...]
    description: str = ""
    auth: Auth | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    source: Path | None = None

    def document_name(self, api: Api) -> str:
        """The α-UMi ``Name`` of one of this tool's APIs."""
        return api_document_name(api.name, self.name)

    def with_base_url(self, base_url: str) -> ToolSpec:
        """A copy pointing at another server (e.g. a local test server)."""
        return ToolSpec(
            name=self.name,
            base_url=base_url.rstrip("/"),
            apis=self.apis,
            description=self.description,
            auth=self.auth,
            headers=dict(self.headers),
            timeout=self.timeout,
            retries=self.retries,
            source=self.source,
        )


def spec_from_data(data: dict[str, Any], source: Path | None = None) -> ToolSpec:
    """Build a :class:`ToolSpec` from validated data (see :mod:`umi_cli.tools.http.validate`)."""
    auth_data = data.get("auth")
    auth = None
    if auth_data:
        auth = Auth(
            type=auth_data["type"],
            env=auth_data["env"],
            location=auth_data.get("in", "header"),
            name=auth_data.get("name", "Authorization"),
        )
    apis = tuple(_api_from_data(item) for item in data["apis"])
    return ToolSpec(
        name=data["name"],
        base_url=str(data["base_url"]).rstrip("/"),
        apis=apis,
        description=data.get("description") or "",
        auth=auth,
        headers={str(k): str(v) for k, v in (data.get("headers") or {}).items()},
        timeout=float(data.get("timeout", DEFAULT_TIMEOUT)),
        retries=int(data.get("retries", DEFAULT_RETRIES)),
        source=source,
    )


def _api_from_data(item: dict[str, Any]) -> Api:
    parameters = tuple(
        Parameter(
            name=p["name"],
            location=p.get("in", "query"),
            schema=dict(p.get("schema") or {"type": "string"}),
            required=bool(p.get("required", p.get("in") == "path")),
            description=(p.get("description") or "").strip(),
        )
        for p in item.get("parameters") or []
    )
    shape = item.get("response") or {}
    return Api(
        name=item["name"],
        path=item["path"],
        method=str(item.get("method", "GET")).upper(),
        description=(item.get("description") or "").strip(),
        parameters=parameters,
        response=ResponseShape(
            keep=shape.get("keep"),
            fields=tuple(shape.get("fields") or ()),
            max_chars=shape.get("max_chars"),
        ),
    )
