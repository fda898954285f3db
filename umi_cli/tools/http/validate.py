"""Check a tool spec file and report every problem at once: ``file:line: field: problem (fix)``."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from umi_cli.errors import ConfigError
from umi_cli.tools.http.spec import (
    HTTP_METHODS,
    PARAM_LOCATIONS,
    SCHEMA_TYPES,
    ToolSpec,
    spec_from_data,
)
from umi_cli.tools.http.yaml_source import FieldPath, Problem, YamlSource, format_field, read_yaml
from umi_cli.tools.naming import api_document_name, parameter_document_name, standardize

TOP_KEYS = ("name", "description", "base_url", "auth", "headers", "timeout", "retries", "apis")
AUTH_KEYS = ("type", "in", "name", "env")
API_KEYS = ("name", "description", "method", "path", "parameters", "response")
PARAM_KEYS = ("name", "in", "schema", "required", "description")
SCHEMA_KEYS = (
    "type", "enum", "items", "properties", "required", "default", "description",
    "minimum", "maximum", "format",
)  # fmt: skip
RESPONSE_KEYS = ("keep", "fields", "max_chars")
SECRET_KEYS = ("value", "key", "token", "secret", "password", "api_key")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_EXAMPLES = {
    "string": "some text",
    "integer": "10",
    "number": "15",
    "boolean": "true",
    "array": "[...]",
    "object": "{...}",
}
_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def value_has_type(value: Any, type_name: str) -> bool:
    """Whether a YAML/JSON value fits a JSON Schema type (booleans are not numbers)."""
    if type_name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPE_CHECKS.get(type_name, (object,)))


class _Checker:
    def __init__(self, source: YamlSource) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def add(self, path: FieldPath, message: str) -> None:
        self.problems.append(
            Problem(self.source.file, self.source.line_of(path), format_field(path), message)
        )

    def mapping(self, value: Any, path: FieldPath, what: str) -> bool:
        if isinstance(value, dict):
            return True
        self.add(path, f"must be a mapping of {what}, got {_kind(value)} (write key: value lines)")
        return False

    def keys(self, data: dict[str, Any], path: FieldPath, allowed: tuple[str, ...]) -> None:
        for key in data:
            if key in allowed:
                continue
            where = (*path, key)
            if str(key).lower() in SECRET_KEYS and path and path[-1] == "auth":
                self.add(
                    where,
                    "secrets are never written in spec files "
                    "(name an environment variable with env: instead)",
                )
                continue
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(allowed)}"
            self.add(where, f"unknown key ({hint})")

    def required(self, data: dict[str, Any], path: FieldPath, names: tuple[str, ...]) -> None:
        for name in names:
            if data.get(name) in (None, ""):
                self.add((*path, name), f"missing required field (add {name}: ...)")

    def typed(self, data: dict[str, Any], path: FieldPath, name: str, kind: str) -> bool:
        """Check ``data[name]`` (when present) has JSON Schema type ``kind``."""
        if name not in data or data[name] is None:
            return False
        if value_has_type(data[name], kind):
            return True
        self.add(
            (*path, name),
            f"must be {_article(kind)}, got {_kind(data[name])} (e.g. {name}: {_EXAMPLES[kind]})",
        )
        return False


def _kind(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)


def _article(kind: str) -> str:
    return {"integer": "an integer", "array": "a list", "object": "a mapping"}.get(
        kind, f"a {kind}"
    )


def check_spec_data(source: YamlSource) -> list[Problem]:
    """All problems of a parsed spec (structure, types, names, paths, auth)."""
    checker = _Checker(source)
    data = source.data
    if not checker.mapping(data, (), "tool fields (name, base_url, apis, ...)"):
        return checker.problems
    checker.keys(data, (), TOP_KEYS)
    checker.required(data, (), ("name", "base_url", "apis"))
    if checker.typed(data, (), "name", "string") and not standardize(data["name"]):
        checker.add(("name",), "has no letters or digits (use a name like my_service)")
    checker.typed(data, (), "description", "string")
    if checker.typed(data, (), "base_url", "string"):
        _check_base_url(checker, data["base_url"])
    if data.get("auth") is not None and checker.mapping(data["auth"], ("auth",), "auth fields"):
        _check_auth(checker, data["auth"])
    if data.get("headers") is not None and checker.mapping(
        data["headers"], ("headers",), "header names to values"
    ):
        for key, value in data["headers"].items():
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                checker.add(
                    ("headers", key), f"must be a string, got {_kind(value)} (write {key}: text)"
                )
    if checker.typed(data, (), "timeout", "number") and data["timeout"] <= 0:
        checker.add(("timeout",), "must be more than 0 seconds (e.g. timeout: 15)")
    if checker.typed(data, (), "retries", "integer") and not 0 <= data["retries"] <= 10:
        checker.add(("retries",), "must be between 0 and 10 (e.g. retries: 2)")
    if checker.typed(data, (), "apis", "array"):
        if not data["apis"]:
            checker.add(("apis",), "is empty (list at least one API)")
        _check_apis(checker, data["apis"], data.get("name"))
    return checker.problems


def _check_base_url(checker: _Checker, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        checker.add(
            ("base_url",), "must be an http:// or https:// URL with a host (e.g. https://api.x.com)"
        )
    elif parts.query or parts.fragment:
        checker.add(("base_url",), "must not have a query or fragment (use parameters instead)")
    elif parts.username or parts.password:
        checker.add(("base_url",), "must not contain credentials (use auth with env instead)")


def _check_auth(checker: _Checker, auth: dict[str, Any]) -> None:
    path: FieldPath = ("auth",)
    checker.keys(auth, path, AUTH_KEYS)
    checker.required(auth, path, ("type", "env"))
    if checker.typed(auth, path, "env", "string") and not _ENV_NAME.match(auth["env"]):
        checker.add((*path, "env"), "is not an environment variable name (e.g. env: RAPIDAPI_KEY)")
    kind = auth.get("type")
    if kind == "api_key":
        checker.required(auth, path, ("in", "name"))
        if auth.get("in") is not None and auth["in"] not in ("header", "query"):
            checker.add((*path, "in"), f"is {auth['in']!r} (use header or query)")
        checker.typed(auth, path, "name", "string")
    elif kind == "bearer":
        for extra in ("in", "name"):
            if extra in auth:
                checker.add((*path, extra), "is not used by bearer auth (remove it)")
    elif kind is not None:
        checker.add((*path, "type"), f"is {kind!r} (use api_key or bearer)")


def _check_apis(checker: _Checker, apis: list[Any], tool_name: Any) -> None:
    seen: dict[str, int] = {}
    tool = tool_name if isinstance(tool_name, str) else "tool"
    for index, api in enumerate(apis):
        path: FieldPath = ("apis", index)
        if not checker.mapping(api, path, "API fields (name, path, ...)"):
            continue
        checker.keys(api, path, API_KEYS)
        checker.required(api, path, ("name", "path"))
        if checker.typed(api, path, "name", "string"):
            if not standardize(api["name"]):
                checker.add((*path, "name"), "has no letters or digits (use a name like search)")
            else:
                doc_name = api_document_name(api["name"], tool)
                if doc_name in seen:
                    checker.add(
                        (*path, "name"),
                        f"duplicate API name '{api['name']}' (also apis[{seen[doc_name]}]; "
                        "rename one)",
                    )
                else:
                    seen[doc_name] = index
        checker.typed(api, path, "description", "string")
        method = api.get("method", "GET")
        if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
            checker.add((*path, "method"), f"is {method!r} (use one of {', '.join(HTTP_METHODS)})")
            method = "GET"
        params = api.get("parameters") or []
        if checker.typed(api, path, "parameters", "array") or not params:
            _check_parameters(checker, params, path, method.upper())
        if checker.typed(api, path, "path", "string"):
            _check_path(checker, api["path"], params, path)
        if api.get("response") is not None and checker.mapping(
            api["response"], (*path, "response"), "response fields"
        ):
            _check_response(checker, api["response"], (*path, "response"))


def _check_parameters(checker: _Checker, params: list[Any], api_path: FieldPath, method: str):
    seen: dict[str, int] = {}
    for index, param in enumerate(params):
        path: FieldPath = (*api_path, "parameters", index)
        if not checker.mapping(param, path, "parameter fields (name, in, schema, ...)"):
            continue
        checker.keys(param, path, PARAM_KEYS)
        checker.required(param, path, ("name",))
        if checker.typed(param, path, "name", "string"):
            doc_name = parameter_document_name(param["name"])
            if not doc_name:
                checker.add((*path, "name"), "has no letters or digits")
            elif doc_name in seen:
                checker.add(
                    (*path, "name"),
                    f"duplicate parameter '{param['name']}' (also parameters[{seen[doc_name]}]; "
                    "rename or remove one)",
                )
            else:
                seen[doc_name] = index
        location = param.get("in", "query")
        if location not in PARAM_LOCATIONS:
            checker.add((*path, "in"), f"is {location!r} (use one of {', '.join(PARAM_LOCATIONS)})")
        elif location == "body" and method not in ("POST", "PUT", "PATCH"):
            checker.add(
                (*path, "in"),
                f"body parameters need POST, PUT or PATCH, not {method} "
                "(change method or use in: query)",
            )
        elif location == "path" and param.get("required") is False:
            checker.add((*path, "required"), "path parameters are always required (remove it)")
        checker.typed(param, path, "required", "boolean")
        checker.typed(param, path, "description", "string")
        if param.get("schema") is not None and checker.mapping(
            param["schema"], (*path, "schema"), "JSON Schema fields (type, enum, ...)"
        ):
            check_schema(checker, param["schema"], (*path, "schema"))


def check_schema(checker: _Checker, schema: dict[str, Any], path: FieldPath) -> None:
    """Check a (small) JSON Schema: known keys, type, enum and default values of that type."""
    checker.keys(schema, path, SCHEMA_KEYS)
    kind = schema.get("type", "string")
    if kind not in SCHEMA_TYPES:
        checker.add((*path, "type"), f"is {kind!r} (use one of {', '.join(SCHEMA_TYPES)})")
        return
    if "enum" in schema:
        if not isinstance(schema["enum"], list) or not schema["enum"]:
            checker.add((*path, "enum"), "must be a non-empty list (e.g. enum: [a, b])")
        else:
            for index, value in enumerate(schema["enum"]):
                if not value_has_type(value, kind):
                    checker.add(
                        (*path, "enum", index),
                        f"{value!r} is not {_article(kind)} (fix the value or the type)",
                    )
    if "default" in schema and not value_has_type(schema["default"], kind):
        checker.add(
            (*path, "default"),
            f"{schema['default']!r} is not {_article(kind)} (fix the value or the type)",
        )
    if "items" in schema:
        if kind != "array":
            checker.add((*path, "items"), "only arrays have items (set type: array)")
        elif checker.mapping(schema["items"], (*path, "items"), "JSON Schema fields"):
            check_schema(checker, schema["items"], (*path, "items"))
    if "properties" in schema:
        if kind != "object":
            checker.add((*path, "properties"), "only objects have properties (set type: object)")
        elif checker.mapping(schema["properties"], (*path, "properties"), "property schemas"):
            for name, sub in schema["properties"].items():
                sub_path = (*path, "properties", name)
                if checker.mapping(sub, sub_path, "JSON Schema fields"):
                    check_schema(checker, sub, sub_path)
    if "required" in schema and kind == "object":
        names = schema.get("properties") or {}
        if not isinstance(schema["required"], list):
            checker.add((*path, "required"), "must be a list (e.g. required: [name])")
        else:
            for name in schema["required"]:
                if name not in names:
                    checker.add((*path, "required"), f"'{name}' is not a property (add it)")


def _check_path(checker: _Checker, template: str, params: list[Any], api_path: FieldPath):
    where = (*api_path, "path")
    if not template.startswith("/"):
        checker.add(where, f"must start with / (write /{template})")
    path_params = {
        p.get("name")
        for p in params
        if isinstance(p, dict) and p.get("in") == "path" and isinstance(p.get("name"), str)
    }
    used = set()
    for name in _PLACEHOLDER.findall(template):
        used.add(name)
        if name not in path_params:
            checker.add(
                where,
                f"placeholder {{{name}}} has no parameter "
                f"(add a parameter with name: {name} and in: path)",
            )
    for index, param in enumerate(params):
        if isinstance(param, dict) and param.get("in") == "path" and param.get("name") not in used:
            checker.add(
                (*api_path, "parameters", index, "in"),
                f"path parameter '{param.get('name')}' does not appear in the path "
                f"(add {{{param.get('name')}}} to path)",
            )


def _check_response(checker: _Checker, shape: dict[str, Any], path: FieldPath) -> None:
    checker.keys(shape, path, RESPONSE_KEYS)
    checker.typed(shape, path, "keep", "string")
    if checker.typed(shape, path, "fields", "array"):
        for index, item in enumerate(shape["fields"]):
            if not isinstance(item, str):
                checker.add((*path, "fields", index), "must be a string (e.g. artist.name)")
    if checker.typed(shape, path, "max_chars", "integer") and shape["max_chars"] < 1:
        checker.add((*path, "max_chars"), "must be at least 1 (e.g. max_chars: 1024)")


def validate_file(path: Path, *, text: str | None = None) -> list[Problem]:
    """Every problem of the spec file at ``path`` (or of ``text`` read as that file), by line."""
    source = read_yaml(path, text=text)
    problems = list(source.problems)
    if source.data is not None or not problems:
        problems += check_spec_data(source)
    return sorted(problems, key=lambda p: p.line or 0)


def load_spec(path: Path) -> ToolSpec:
    """Read and validate a spec file; problems raise one :class:`ConfigError` line."""
    problems = validate_file(path)
    if problems:
        more = f" (+{len(problems) - 1} more; run: umi tools validate {path})"
        raise ConfigError(str(problems[0]) + (more if len(problems) > 1 else ""))
    return spec_from_data(read_yaml(path).data, source=path)
