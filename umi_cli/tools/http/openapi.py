"""Import an OpenAPI 3 document as a umi tool spec; what cannot be carried over is reported."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from umi_cli.errors import UsageError
from umi_cli.inputs import parse_json, parse_yaml
from umi_cli.tools.http.openapi_schema import SchemaReducer
from umi_cli.tools.http.spec import HTTP_METHODS
from umi_cli.tools.naming import api_document_name, standardize

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_OTHER_METHODS = ("head", "options", "trace")


@dataclass
class ImportResult:
    """The spec data (ready to dump as YAML) and every construct that was not carried over."""

    spec: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.spec, sort_keys=False, allow_unicode=True, width=100)


def read_openapi(path: Path) -> dict[str, Any]:
    """Read an OpenAPI 3 JSON or YAML document."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror} (check the path)") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        document = parse_json(text) if path.suffix == ".json" else parse_yaml(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0]
        raise UsageError(f"{path}: not valid JSON/YAML: {reason} (fix the file)") from None
    if not isinstance(document, dict):
        raise UsageError(f"{path}: not an OpenAPI document (expected a mapping at the top)")
    for key, kind in (("paths", dict), ("components", dict), ("servers", list), ("info", dict)):
        if key in document and document[key] is not None and not isinstance(document[key], kind):
            shape = "a mapping" if kind is dict else "a list"
            raise UsageError(f"{path}: field '{key}' must be {shape} (fix the document)")
    version = str(document.get("openapi", ""))
    if not version.startswith("3."):
        found = f"swagger {document['swagger']}" if "swagger" in document else "no openapi field"
        raise UsageError(
            f"{path}: only OpenAPI 3.x is supported, found {found} "
            "(convert it with a Swagger 2 → OpenAPI 3 converter first)"
        )
    return document


class _Importer:
    def __init__(self, document: dict[str, Any]) -> None:
        self.doc = document
        self.warnings: list[str] = []
        self.schemas = SchemaReducer(document, self.warn)
        self.resolve = self.schemas.resolve
        self.schema = self.schemas.schema
        self.dropped_keywords = self.schemas.dropped_keywords

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def run(self, name: str | None, base_url: str | None, env: str | None) -> ImportResult:
        found = self.doc.get("info")
        info: dict[str, Any] = found if isinstance(found, dict) else {}
        title = name or str(info.get("title") or "imported_api")
        spec: dict[str, Any] = {"name": standardize(title) or "imported_api"}
        if info.get("description"):
            spec["description"] = str(info["description"]).strip()
        spec["base_url"] = base_url or self.base_url()
        auth = self.auth(env) or self.rapidapi_auth(spec["base_url"], env)
        if auth:
            spec["auth"] = auth
        headers = self.rapidapi_headers(spec["base_url"], auth)
        if headers:
            spec["headers"] = headers
        spec["apis"] = self.apis()
        spec["name"] = self.distinct_tool_name(spec["name"], [a["name"] for a in spec["apis"]])
        if not spec["apis"]:
            self.warn("the document has no operations umi can import (apis is empty)")
        if self.dropped_keywords:
            listed = ", ".join(f"{k} ({n})" for k, n in sorted(self.dropped_keywords.items()))
            self.warn(f"schema keywords not supported by umi specs were dropped: {listed}")
        return ImportResult(spec, self.warnings)

    def distinct_tool_name(self, tool: str, api_names: list[str]) -> str:
        """Shorten a long tool name word by word until the 64-character API names differ."""
        words = tool.split("_")
        candidates = ["_".join(words[:keep]) for keep in range(len(words), 0, -1)]
        longest = max((len(api_document_name(api, "")) for api in api_names), default=0)
        if len({api_document_name(api, tool) for api in api_names}) < len(api_names):
            # prefer a name short enough that no API name is cut at all
            fitting = [c for c in candidates if longest + len(c) <= 64]
            candidates = fitting[:1] + candidates
        for candidate in candidates:
            names = {api_document_name(api, candidate) for api in api_names}
            if len(names) == len(api_names):
                if candidate != tool:
                    self.warn(
                        f"tool name {tool!r} shortened to {candidate!r} so that its API names "
                        "stay distinct within 64 characters (or choose one with --name)"
                    )
                return candidate
        self.warn(f"API names of {tool!r} collide within 64 characters (rename them)")
        return tool

    def base_url(self) -> str:
        servers = [s for s in self.doc.get("servers") or [] if isinstance(s, dict) and s.get("url")]
        if not servers:
            self.warn("no servers listed: base_url set to https://example.invalid (edit it)")
            return "https://example.invalid"
        if len(servers) > 1:
            others = ", ".join(str(s["url"]) for s in servers[1:])
            self.warn(f"{len(servers)} servers listed; using the first (not imported: {others})")
        url = str(servers[0]["url"])
        for var, spec in (servers[0].get("variables") or {}).items():
            default = str((spec or {}).get("default", ""))
            self.warn(f"server variable {{{var}}} set to its default {default!r}")
            url = url.replace("{" + var + "}", default)
        if url.startswith("/"):
            self.warn(f"server URL {url!r} is relative: prefixed with https://example.invalid")
            url = "https://example.invalid" + url
        elif not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", url):
            self.warn(f"server URL {url!r} has no scheme: https:// assumed")
            url = "https://" + url.lstrip("/")
        return url.rstrip("/")

    def auth(self, env: str | None) -> dict[str, Any] | None:
        components = self.doc.get("components") or {}
        schemes = components.get("securitySchemes") or {}
        used = [name for req in self.doc.get("security") or [] for name in (req or {})]
        names = used or list(schemes)
        chosen: dict[str, Any] | None = None
        for scheme_name in names:
            scheme = self.resolve(schemes.get(scheme_name), f"securitySchemes.{scheme_name}")
            if not isinstance(scheme, dict):
                continue
            kind, place = scheme.get("type"), scheme.get("in")
            if chosen is not None:
                self.warn(f"security scheme {scheme_name!r} not imported (only one is supported)")
            elif kind == "apiKey" and place in ("header", "query"):
                header = str(scheme.get("name", "X-Api-Key"))
                chosen = {"type": "api_key", "in": place, "name": header}
                chosen["env"] = env or _env_name(header, self.doc)
            elif kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
                chosen = {"type": "bearer", "env": env or _env_name("token", self.doc)}
            else:
                self.warn(
                    f"security scheme {scheme_name!r} ({kind}"
                    f"{' in ' + place if place else ''}) is not supported (not imported)"
                )
        return chosen

    def rapidapi_auth(self, base_url: str, env: str | None) -> dict[str, Any] | None:
        """RapidAPI hosts (``*.p.rapidapi.com``) take the key in ``X-RapidAPI-Key`` even where
        the document declares no security scheme (RapidAPI's own exports declare none)."""
        if not _rapidapi_host(base_url):
            return None
        self.warn("RapidAPI host: the key is sent as X-RapidAPI-Key from RAPIDAPI_KEY")
        return {"type": "api_key", "in": "header", "name": "X-RapidAPI-Key",
                "env": env or "RAPIDAPI_KEY"}

    def rapidapi_headers(self, base_url: str, auth: dict[str, Any] | None) -> dict[str, str]:
        host = _host(base_url)
        if auth and auth.get("name", "").lower() == "x-rapidapi-key" and host:
            return {"X-RapidAPI-Host": host}
        return {}

    def apis(self) -> list[dict[str, Any]]:
        apis: list[dict[str, Any]] = []
        taken: set[str] = set()
        for path, item in (self.doc.get("paths") or {}).items():
            item = self.resolve(item, f"paths.{path}")
            if not isinstance(item, dict):
                continue
            shared = item.get("parameters") or []
            for method, operation in item.items():
                if method in _OTHER_METHODS:
                    self.warn(f"{method.upper()} {path}: method not supported (not imported)")
                if method.upper() not in HTTP_METHODS or not isinstance(operation, dict):
                    continue
                api = self.operation(str(path), method.upper(), operation, shared)
                base = api["name"]
                counter = 2
                while standardize(api["name"]) in taken:
                    api["name"] = f"{base}_{counter}"
                    counter += 1
                taken.add(standardize(api["name"]))
                apis.append(api)
        return apis

    def operation(
        self, path: str, method: str, op: dict[str, Any], shared: list[Any]
    ) -> dict[str, Any]:
        where = f"{method} {path}"
        raw_name = str(op.get("operationId") or op.get("summary") or f"{method} {path}")
        name = standardize(raw_name) or standardize(f"{method} {path}") or "call"
        description = str(op.get("description") or op.get("summary") or "").strip()
        api: dict[str, Any] = {"name": name}
        if description:
            api["description"] = description
        api["method"] = method
        placeholders = _PLACEHOLDER.findall(path)
        params = self.parameters(where, [*shared, *(op.get("parameters") or [])], placeholders)
        params += self.request_body(
            where, op.get("requestBody"), method, {p["name"] for p in params}
        )
        declared = {p["name"] for p in params if p["in"] == "path"}
        for placeholder in placeholders:
            if placeholder not in declared:
                self.warn(f"{where}: {{{placeholder}}} has no parameter (added a string parameter)")
                params.append({"name": placeholder, "in": "path", "required": True})
        api["path"] = path if path.startswith("/") else "/" + path
        if params:
            api["parameters"] = params
        return api

    def parameters(
        self, where: str, raw_params: list[Any], placeholders: list[str]
    ) -> list[dict[str, Any]]:
        merged: dict[tuple[str, str], Any] = {}
        for raw in raw_params:
            param = self.resolve(raw, where)
            if isinstance(param, dict) and param.get("name"):
                merged[(str(param["name"]), str(param.get("in")))] = param
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for (name, place), param in merged.items():
            if place == "cookie":
                self.warn(f"{where}: cookie parameter {name!r} is not supported (not imported)")
                continue
            if place not in ("path", "query", "header"):
                self.warn(f"{where}: parameter {name!r} in {place!r} is not supported (skipped)")
                continue
            if name in placeholders and place != "path":
                self.warn(
                    f"{where}: parameter {name!r} is declared in {place} but the path has "
                    f"{{{name}}} (imported as a path parameter)"
                )
                place = "path"
            if standardize(name) in seen:
                self.warn(f"{where}: parameter {name!r} appears twice (second one skipped)")
                continue
            seen.add(standardize(name))
            entry: dict[str, Any] = {"name": name, "in": place}
            if "content" in param and "schema" not in param:
                self.warn(f"{where}: parameter {name!r} uses content instead of schema (string)")
            entry["schema"] = self.schema(param.get("schema"), f"{where} {name}")
            required = bool(param.get("required")) or place == "path"
            if required:
                entry["required"] = True
            if param.get("description"):
                entry["description"] = str(param["description"]).strip()
            out.append(entry)
        return out

    def request_body(
        self, where: str, raw: Any, method: str, taken: set[str]
    ) -> list[dict[str, Any]]:
        body = self.resolve(raw, where)
        if not isinstance(body, dict):
            return []
        content = body.get("content") or {}
        json_type = next((t for t in content if "json" in t), None)
        if json_type is None:
            kinds = ", ".join(content) or "no content"
            self.warn(f"{where}: request body {kinds} is not JSON (not imported)")
            return []
        for other in content:
            if other != json_type:
                self.warn(f"{where}: request body type {other} not imported (using {json_type})")
        if method not in ("POST", "PUT", "PATCH"):
            self.warn(f"{where}: request body on {method} is not supported (not imported)")
            return []
        schema = self.schema((content[json_type] or {}).get("schema"), f"{where} body")
        properties = schema.get("properties")
        if schema.get("type") != "object" or not properties:
            self.warn(f"{where}: request body is not an object with properties (not imported)")
            return []
        required = set(schema.get("required") or [])
        out = []
        for name, sub in properties.items():
            if name in taken:
                self.warn(f"{where}: body field {name!r} clashes with a parameter (skipped)")
                continue
            entry: dict[str, Any] = {"name": name, "in": "body", "schema": sub}
            if name in required and body.get("required", True):
                entry["required"] = True
            description = sub.pop("description", None)
            if description:
                entry["description"] = str(description).strip()
            out.append(entry)
        return out


def _host(base_url: str) -> str:
    return re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", base_url).split("/")[0].split(":")[0]


def _rapidapi_host(base_url: str) -> bool:
    return _host(base_url).lower().endswith(".p.rapidapi.com")


def _env_name(hint: str, document: dict[str, Any]) -> str:
    if hint.lower() == "x-rapidapi-key":
        return "RAPIDAPI_KEY"
    title = standardize(str((document.get("info") or {}).get("title") or "api")).upper()
    suffix = "TOKEN" if hint == "token" else "API_KEY"
    return f"{title or 'API'}_{suffix}"


def import_openapi(
    path: Path,
    *,
    name: str | None = None,
    base_url: str | None = None,
    env: str | None = None,
) -> ImportResult:
    """Convert the OpenAPI 3 document at ``path`` into umi spec data plus warnings."""
    return _Importer(read_openapi(path)).run(name, base_url, env)
