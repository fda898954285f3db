"""Validation of a ``models.yaml`` from its YAML nodes, so that errors carry line numbers.

Every problem is a :class:`ConfigError` of the shape
``FILE:LINE: model 'ID': field 'NAME': what is wrong (the fix)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from umi_cli.errors import ConfigError
from umi_cli.inputs import StrictYamlLoader
from umi_cli.models.entry import (
    PROMPT_FORMATS,
    ROLES,
    ConvertSource,
    GenerationDefaults,
    HubSource,
    ModelEntry,
    PackagePart,
    PackageSource,
    PathSource,
    Profile,
    Source,
)
from umi_cli.models.refs import DEFAULT_TIMEOUT, FLAVORS, EndpointRef

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TOP_KEYS = ("default_profile", "models", "profiles")
_MODEL_KEYS = (
    "context_length",
    "defaults",
    "description",
    "endpoint",
    "format",
    "judge",
    "roles",
    "sha256",
    "size",
    "sources",
    "system_prefix",
)
_MODEL_REQUIRED = ("sources", "sha256", "size", "format", "context_length")
_SOURCE_KINDS = ("convert", "hub", "package", "path")
_FILE_ONLY = ("sources", "sha256", "size")
_ENDPOINT_KEYS = ("api_key_env", "base_url", "flavor", "gguf", "model", "parallel", "timeout")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: The context of an endpoint entry that gives none.
ENDPOINT_CONTEXT = 4096


@dataclass
class ParsedCatalog:
    """The validated content of one catalog file."""

    file: Path
    models: dict[str, ModelEntry]
    profiles: dict[str, Profile]
    default_profile: str | None
    #: Line of each profile's role, to name it when it points at an unknown model.
    role_lines: dict[tuple[str, str], int]


class _Where:
    """Builds error messages that name the file, line, entry and field."""

    def __init__(self, file: Path) -> None:
        self.file = file

    def error(self, node: yaml.Node | None, what: str, message: str) -> ConfigError:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        return ConfigError(f"{self.file}{line}: {what}{message}")


def parse_catalog(text: str, file: Path) -> ParsedCatalog:
    """Validate catalog text read from ``file``; raise ConfigError on the first problem."""
    where = _Where(file)
    try:
        root = yaml.compose(text, Loader=StrictYamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{file}{line}: not valid YAML: {problem}") from None
    if root is None:
        return ParsedCatalog(file, {}, {}, None, {})
    top = _mapping(where, root, "", "the catalog")
    _check_keys(where, top, _TOP_KEYS, "")
    models: dict[str, ModelEntry] = {}
    if "models" in top:
        _, node = top["models"]
        for model_id, (id_node, body) in _mapping(where, node, "", "field 'models'").items():
            _check_id(where, id_node, model_id, "model")
            models[model_id] = _model(where, model_id, body)
    profiles: dict[str, Profile] = {}
    role_lines: dict[tuple[str, str], int] = {}
    if "profiles" in top:
        _, node = top["profiles"]
        for profile_id, (id_node, body) in _mapping(where, node, "", "field 'profiles'").items():
            _check_id(where, id_node, profile_id, "profile")
            profiles[profile_id] = _profile(where, profile_id, body, role_lines)
    default = None
    if "default_profile" in top:
        _, node = top["default_profile"]
        default = _string(where, node, "", "default_profile")
    return ParsedCatalog(file, models, profiles, default, role_lines)


def _value(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _mapping(
    where: _Where, node: yaml.Node, what: str, name: str
) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise where.error(node, what, f"{name} must be a mapping")
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = _value(key_node)
        if not isinstance(key, str):
            raise where.error(key_node, what, f"key {key!r} must be a string")
        if key in out:
            raise where.error(key_node, what, f"key '{key}' appears twice")
        out[key] = (key_node, value_node)
    return out


def _check_keys(
    where: _Where,
    fields: dict[str, tuple[yaml.Node, yaml.Node]],
    allowed: tuple[str, ...],
    what: str,
) -> None:
    for key, (key_node, _) in fields.items():
        if key not in allowed:
            raise where.error(
                key_node, what, f"unknown field '{key}' (allowed: {', '.join(allowed)})"
            )


def _check_id(where: _Where, node: yaml.Node, value: str, kind: str) -> None:
    if not _ID.match(value):
        raise where.error(node, "", f"{kind} id '{value}' must be letters, digits, '.', '_' or '-'")


def _string(where: _Where, node: yaml.Node, what: str, field: str) -> str:
    value = _value(node)
    if not isinstance(value, str) or not value.strip():
        raise where.error(
            node, what, f"field '{field}': expected a non-empty string, got {value!r}"
        )
    return value


def _model(where: _Where, model_id: str, node: yaml.Node) -> ModelEntry:
    what = f"model '{model_id}': "
    fields = _mapping(where, node, what, "the entry")
    _check_keys(where, fields, _MODEL_KEYS, what)
    endpoint = None
    if "endpoint" in fields:
        for name in _FILE_ONLY:
            if name in fields:
                raise where.error(
                    fields[name][0], what, f"field '{name}': an endpoint entry has none; remove it"
                )
        endpoint = _endpoint(where, model_id, fields["endpoint"][1])
    required = ("format",) if endpoint else _MODEL_REQUIRED
    for name in required:
        if name not in fields:
            raise where.error(node, what, f"missing field '{name}'")

    def get(name: str) -> tuple[yaml.Node, Any]:
        value_node = fields[name][1]
        return value_node, _value(value_node)

    if endpoint is not None:
        return _entry(where, model_id, fields, get, (), None, None, endpoint)
    sources = _sources(where, what, fields["sources"][1])
    sha_node, sha = get("sha256")
    if sha is not None and (not isinstance(sha, str) or not _SHA256.match(sha)):
        raise where.error(
            sha_node, what, f"field 'sha256': expected 64 lowercase hex digits or null, got {sha!r}"
        )
    size_node, size = get("size")
    if size is not None and (type(size) is not int or size <= 0):
        raise where.error(
            size_node, what, f"field 'size': expected a positive integer, got {size!r}"
        )
    if size is None and sha is not None:
        raise where.error(size_node, what, "field 'size': may be null only when sha256 is null")
    return _entry(where, model_id, fields, get, sources, sha, size, None)


def _entry(
    where: _Where,
    model_id: str,
    fields: dict[str, tuple[yaml.Node, yaml.Node]],
    get: Any,
    sources: tuple[Source, ...],
    sha: str | None,
    size: int | None,
    endpoint: EndpointRef | None,
) -> ModelEntry:
    """The fields every entry has (format, context, defaults, ...) and the entry itself."""
    what = f"model '{model_id}': "
    fmt_node, fmt = get("format")
    if fmt not in PROMPT_FORMATS:
        raise where.error(
            fmt_node,
            what,
            f"field 'format': expected one of {', '.join(PROMPT_FORMATS)}, got {fmt!r}",
        )
    ctx_node, ctx = get("context_length") if "context_length" in fields else (None, None)
    if ctx is None and endpoint is not None:
        ctx = ENDPOINT_CONTEXT
    if type(ctx) is not int or not 256 <= ctx <= 1_048_576:
        raise where.error(
            ctx_node, what, f"field 'context_length': expected an integer from 256, got {ctx!r}"
        )
    defaults = _defaults(where, what, fields["defaults"][1]) if "defaults" in fields else None
    system_prefix = False
    if "system_prefix" in fields:
        sp_node, system_prefix = get("system_prefix")
        if not isinstance(system_prefix, bool):
            raise where.error(
                sp_node,
                what,
                f"field 'system_prefix': expected true or false, got {system_prefix!r}",
            )
    description = (
        _string(where, fields["description"][1], what, "description")
        if ("description" in fields)
        else ""
    )
    judge = _judge(where, what, fields["judge"][1]) if "judge" in fields else None
    roles: tuple[str, ...] = ()
    if "roles" in fields:
        roles_node, roles_value = get("roles")
        if not isinstance(roles_value, list) or not all(r in ROLES for r in roles_value):
            raise where.error(
                roles_node, what, f"field 'roles': expected a list of {', '.join(ROLES)}"
            )
        roles = tuple(roles_value)
    return ModelEntry(
        id=model_id,
        sources=sources,
        sha256=sha,
        size=size,
        prompt_format=fmt,
        context_length=ctx,
        defaults=defaults or GenerationDefaults(),
        system_prefix=system_prefix,
        description=description,
        roles=roles,
        judge=judge,
        origin=where.file,
        endpoint=endpoint,
    )


def _endpoint(where: _Where, model_id: str, node: yaml.Node) -> EndpointRef:
    """``endpoint: {base_url, model, flavor, api_key_env?, gguf?, parallel?, timeout?}``."""
    what = f"model '{model_id}': endpoint: "
    fields = _mapping(where, node, what, "field 'endpoint'")
    _check_keys(where, fields, _ENDPOINT_KEYS, what)
    for name in ("base_url", "model", "flavor"):
        if name not in fields:
            raise where.error(node, what, f"missing field '{name}'")
    text = {
        name: _string(where, fields[name][1], what, name)
        for name in ("base_url", "model", "flavor", "api_key_env", "gguf")
        if name in fields
    }
    if not re.match(r"^https?://[^\s/]+", text["base_url"]):
        raise where.error(
            fields["base_url"][1], what,
            f"field 'base_url': expected an http:// or https:// URL, got {text['base_url']!r}",
        )  # fmt: skip
    if text["flavor"] not in FLAVORS:
        raise where.error(
            fields["flavor"][1], what,
            f"field 'flavor': expected one of {', '.join(FLAVORS)}, got {text['flavor']!r}",
        )  # fmt: skip
    if "api_key_env" in text and not _ENV_NAME.match(text["api_key_env"]):
        raise where.error(
            fields["api_key_env"][1], what,
            "field 'api_key_env': the name of an environment variable (e.g. VLLM_API_KEY), "
            "not the key itself",
        )  # fmt: skip
    parallel = _value(fields["parallel"][1]) if "parallel" in fields else None
    if parallel is not None and (type(parallel) is not int or parallel < 1):
        raise where.error(
            fields["parallel"][1], what, f"field 'parallel': expected a positive integer, got "
            f"{parallel!r}",
        )  # fmt: skip
    timeout = _value(fields["timeout"][1]) if "timeout" in fields else DEFAULT_TIMEOUT
    if not _number(timeout) or timeout <= 0:
        raise where.error(
            fields["timeout"][1], what, f"field 'timeout': expected seconds, got {timeout!r}"
        )
    gguf = None
    if "gguf" in text:
        gguf = Path(text["gguf"]).expanduser()
        gguf = gguf if gguf.is_absolute() else where.file.parent / gguf
    lines = [("endpoint", node.start_mark.line + 1)]
    lines += [(name, value.start_mark.line + 1) for name, (_, value) in fields.items()]
    return EndpointRef(
        model_id=model_id,
        base_url=text["base_url"],
        model=text["model"],
        flavor=text["flavor"],  # type: ignore[arg-type]  # checked against FLAVORS above
        api_key_env=text.get("api_key_env"),
        gguf=gguf,
        parallel=parallel,
        timeout=float(timeout),
        origin=where.file,
        lines=tuple(lines),
    )


def _defaults(where: _Where, what: str, node: yaml.Node) -> GenerationDefaults:
    fields = _mapping(where, node, what, "field 'defaults'")
    _check_keys(where, fields, ("max_tokens", "temperature", "top_p"), what + "defaults: ")
    base = GenerationDefaults()
    values: dict[str, Any] = {}
    checks = {
        "temperature": (lambda v: _number(v) and 0 <= v <= 2, "a number from 0 to 2"),
        "top_p": (lambda v: _number(v) and 0 < v <= 1, "a number above 0, at most 1"),
        "max_tokens": (lambda v: type(v) is int and v > 0, "a positive integer"),
    }
    for name, (_, value_node) in fields.items():
        value = _value(value_node)
        ok, expected = checks[name]
        if not ok(value):
            raise where.error(
                value_node, what, f"field 'defaults.{name}': expected {expected}, got {value!r}"
            )
        values[name] = value
    return GenerationDefaults(
        temperature=float(values.get("temperature", base.temperature)),
        top_p=float(values.get("top_p", base.top_p)),
        max_tokens=int(values.get("max_tokens", base.max_tokens)),
    )


def _judge(where: _Where, what: str, node: yaml.Node) -> dict[str, float]:
    """``judge: {answered: P, relevant: P}``: the planner judge's calibrated thresholds."""
    fields = _mapping(where, node, what, "field 'judge'")
    _check_keys(where, fields, ("answered", "relevant"), what + "judge: ")
    values = {}
    for name, (_, value_node) in fields.items():
        value = _value(value_node)
        if not _number(value) or not 0 <= value <= 1:
            raise where.error(
                value_node, what, f"field 'judge.{name}': expected a number from 0 to 1, got "
                f"{value!r}",
            )  # fmt: skip
        values[name] = float(value)
    return values


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _sources(where: _Where, what: str, node: yaml.Node) -> tuple[Source, ...]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise where.error(node, what, "field 'sources': expected a non-empty list")
    return tuple(_source(where, what, item) for item in node.value)


def _source(where: _Where, what: str, node: yaml.Node) -> Source:
    fields = _mapping(where, node, what, "each source")
    if len(fields) != 1 or next(iter(fields)) not in _SOURCE_KINDS:
        raise where.error(
            node, what, f"field 'sources': each source is one of {', '.join(_SOURCE_KINDS)}"
        )
    kind, (_, body) = next(iter(fields.items()))
    here = f"{what}source '{kind}': "
    if kind == "path":
        text = _string(where, body, here, "path")
        path = Path(text).expanduser()
        return PathSource(path if path.is_absolute() else (where.file.parent / path))
    if kind == "package":
        spec = _mapping(where, body, here, "the source")
        _check_keys(where, spec, ("parts",), here)
        if "parts" not in spec:
            raise where.error(body, here, "missing field 'parts'")
        parts_node = spec["parts"][1]
        if not isinstance(parts_node, yaml.SequenceNode) or not parts_node.value:
            raise where.error(parts_node, here, "field 'parts': expected a non-empty list")
        parts = []
        for part_node in parts_node.value:
            part = _mapping(where, part_node, here, "each part")
            _check_keys(where, part, ("package", "path"), here)
            for required in ("package", "path"):
                if required not in part:
                    raise where.error(part_node, here, f"missing field '{required}'")
            parts.append(
                PackagePart(
                    _string(where, part["package"][1], here, "package"),
                    _string(where, part["path"][1], here, "path"),
                )
            )
        return PackageSource(tuple(parts))
    spec = _mapping(where, body, here, "the source")
    allowed = ("file", "repo", "revision") if kind == "hub" else ("repo", "revision")
    _check_keys(where, spec, allowed, here)
    values = {}
    for name in allowed:
        if name in spec:
            values[name] = _string(where, spec[name][1], here, name)
        elif name != "revision":
            raise where.error(body, here, f"missing field '{name}'")
    if kind == "hub":
        return HubSource(values["repo"], values["file"], values.get("revision", "main"))
    return ConvertSource(values["repo"], values.get("revision", "main"))


def _profile(
    where: _Where, profile_id: str, node: yaml.Node, role_lines: dict[tuple[str, str], int]
) -> Profile:
    what = f"profile '{profile_id}': "
    fields = _mapping(where, node, what, "the profile")
    _check_keys(where, fields, ("description", "mode", "moa", "roles"), what)
    if "roles" not in fields:
        raise where.error(node, what, "missing field 'roles'")
    roles_node = fields["roles"][1]
    roles: dict[str, str] = {}
    for role, (role_node, model_node) in _mapping(where, roles_node, what, "field 'roles'").items():
        if role not in ROLES:
            raise where.error(role_node, what, f"unknown role '{role}' (roles: {', '.join(ROLES)})")
        roles[role] = _string(where, model_node, what, f"roles.{role}")
        role_lines[(profile_id, role)] = model_node.start_mark.line + 1
    mode = _string(where, fields["mode"][1], what, "mode") if "mode" in fields else None
    trio = {"planner", "caller", "summarizer"}
    if mode is None and not (trio <= roles.keys() or "backbone" in roles):
        missing = ", ".join(sorted(trio - roles.keys()))
        raise where.error(
            roles_node, what, f"field 'roles': missing {missing} (or give a single 'backbone')"
        )
    description = (
        _string(where, fields["description"][1], what, "description")
        if "description" in fields
        else ""
    )
    moa: dict[str, Any] = {}
    if "moa" in fields:  # the mixture's settings; their values are checked when a run uses them
        moa_node = fields["moa"][1]
        _mapping(where, moa_node, what, "field 'moa'")
        moa = dict(yaml.SafeLoader("").construct_object(moa_node, deep=True))
    return Profile(
        profile_id, roles, description, origin=where.file, mode=mode,
        line=node.start_mark.line + 1, moa=moa,
    )  # fmt: skip
