"""OpenAPI schemas reduced to what umi specs carry: local ``$ref``s followed, combinators and
unknown keywords reported, nesting bounded (a schema may refer to itself)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from umi_cli.tools.http.spec import SCHEMA_TYPES
from umi_cli.tools.http.validate import SCHEMA_KEYS

_IGNORED_SCHEMA_KEYS = {"title", "example", "examples", "nullable", "readOnly", "writeOnly"}
#: Deepest schema nesting carried over (umi specs need a few levels; recursion must end).
MAX_SCHEMA_DEPTH = 8


class SchemaReducer:
    """Reads the schemas of one document; ``warn`` receives what cannot be carried over."""

    def __init__(self, document: dict[str, Any], warn: Callable[[str], None]) -> None:
        self.doc = document
        self.warn = warn
        self.dropped_keywords: Counter[str] = Counter()

    def resolve(self, node: Any, where: str) -> Any:
        """Follow local ``$ref`` pointers (``#/components/...``)."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            seen += 1
            if not isinstance(ref, str) or not ref.startswith("#/") or seen > 20:
                self.warn(f"{where}: external or circular $ref {ref!r} not supported (skipped)")
                return None
            target: Any = self.doc
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part) if isinstance(target, dict) else None
            if target is None:
                self.warn(f"{where}: $ref {ref!r} points nowhere (skipped)")
                return None
            node = target
        return node

    def schema(self, raw: Any, where: str, depth: int = 0) -> dict[str, Any]:
        """A schema reduced to the keywords umi specs support; the rest is counted.

        Nesting stops at :data:`MAX_SCHEMA_DEPTH` (a schema that refers to itself, such as a
        ``Node`` whose items are ``Node``, would never end).
        """
        raw = self.resolve(raw, where)
        if not isinstance(raw, dict):
            return {"type": "string"}
        if depth >= MAX_SCHEMA_DEPTH:
            kind = "object" if "properties" in raw else "array" if "items" in raw else "string"
            self.warn(f"{where}: schema nested {depth} levels deep (recursive?): cut to {kind}")
            return {"type": kind}
        for combinator in ("oneOf", "anyOf", "allOf", "not"):
            if combinator in raw:
                self.warn(f"{where}: {combinator} is not supported (imported as the first choice)")
                choices = raw[combinator] if isinstance(raw[combinator], list) else []
                merged = {k: v for k, v in raw.items() if k != combinator}
                if choices:
                    merged = {**self.schema(choices[0], where, depth + 1), **merged}
                raw = merged
        out: dict[str, Any] = {}
        kind = raw.get("type")
        if isinstance(kind, list):  # OpenAPI 3.1 ["string", "null"]
            kind = next((k for k in kind if k != "null"), "string")
        if kind is None:
            kind = "object" if "properties" in raw else "array" if "items" in raw else "string"
        if kind not in SCHEMA_TYPES:
            self.warn(f"{where}: type {kind!r} is not supported (imported as string)")
            kind = "string"
        out["type"] = kind
        for key, value in raw.items():
            if key in ("type", "oneOf", "anyOf", "allOf", "not") or value is None:
                continue
            if key not in SCHEMA_KEYS:
                if key not in _IGNORED_SCHEMA_KEYS:
                    self.dropped_keywords[key] += 1
                continue
            if key == "items":
                if kind == "array":
                    out["items"] = self.schema(value, where, depth + 1)
            elif key == "properties":
                if kind == "object" and isinstance(value, dict) and depth < 6:
                    out["properties"] = {
                        str(k): self.schema(v, f"{where}.{k}", depth + 1) for k, v in value.items()
                    }
            elif key == "required":
                if kind == "object" and isinstance(value, list):
                    out["required"] = [v for v in value if v in (raw.get("properties") or {})]
            elif key == "enum":
                if isinstance(value, list) and value:
                    out["enum"] = value
            elif key == "default" or key == "description":
                out[key] = value
            else:
                out[key] = value
        if "default" in out and not _fits(out["default"], kind):
            del out["default"]
        if "enum" in out:
            out["enum"] = [v for v in out["enum"] if _fits(v, kind)] or None
            if out["enum"] is None:
                del out["enum"]
        return out


def _fits(value: Any, kind: str) -> bool:
    from umi_cli.tools.http.validate import value_has_type

    return value_has_type(value, kind)
