"""GBNF grammars for the caller: ``Action: <name>\\nAction Input: <JSON valid for that API>``.

The grammar is an alternation over APIs; each branch fixes the name and then the argument object
of that API (required keys present, enums as literals, typed values, nested arrays/objects).
Whitespace between JSON tokens may be compact or the 2-space pretty-printed style, bounded so a
model cannot wander off in blank space.
"""

from __future__ import annotations

import json
from typing import Any

_PRIMITIVES = r"""
ws ::= "" | " " | "\n" [ ]{0,12}
string ::= "\"" char* "\""
char ::= [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})
integer ::= "-"? ([0-9] | [1-9] [0-9]{1,15})
number ::= integer ("." [0-9]{1,15})? ([eE] [-+]? [0-9]{1,3})?
boolean ::= "true" | "false"
null ::= "null"
value ::= object | array | string | number | boolean | null
object ::= "{" ws ( string ws ":" ws value ( ws "," ws string ws ":" ws value )* )? ws "}"
array ::= "[" ws ( value ( ws "," ws value )* )? ws "]"
"""


def gbnf_literal(text: str) -> str:
    """``text`` as a GBNF double-quoted literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


class _RuleSet:
    """Collects named rules; identical bodies share one rule."""

    def __init__(self) -> None:
        self.rules: dict[str, str] = {}
        self._by_body: dict[str, str] = {}

    def add(self, stem: str, body: str) -> str:
        if body in self._by_body:
            return self._by_body[body]
        name = f"{stem}-{len(self.rules)}"
        self.rules[name] = body
        self._by_body[body] = name
        return name

    def schema(self, schema: dict[str, Any], stem: str) -> str:
        """A rule (or primitive) name matching JSON valid for ``schema``."""
        if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
            options = " | ".join(gbnf_literal(json.dumps(v)) for v in schema["enum"])
            return self.add(stem, options)
        kind = schema.get("type")
        if kind in ("string", "integer", "number", "boolean"):
            return kind
        if kind == "array":
            items = schema.get("items")
            item = self.schema(items, stem) if isinstance(items, dict) else "value"
            return self.add(stem, f'"[" ws ( {item} ( ws "," ws {item} )* )? ws "]"')
        if kind == "object":
            properties = schema.get("properties")
            if not isinstance(properties, dict):
                return "object"
            if not properties:
                return self.add(stem, '"{" ws "}"')
            required = set(schema.get("required") or [])
            members = [(name, sub, name in required) for name, sub in properties.items()]
            return self.object(members, stem)
        return "value"

    def object(self, members: list[tuple[str, dict[str, Any], bool]], stem: str) -> str:
        """An object whose keys come in the listed order; required ones must be present."""
        pairs = [
            f'{gbnf_literal(json.dumps(name))} ws ":" ws {self.schema(sub, stem)}'
            for name, sub, _ in members
        ]
        # rest[k]: members k.. each preceded by a comma, optional ones may be skipped.
        rest = ['""'] * (len(members) + 1)
        for k in range(len(members) - 1, -1, -1):
            step = f'ws "," ws {pairs[k]}'
            body = f"( {step} )? {rest[k + 1]}" if not members[k][2] else f"{step} {rest[k + 1]}"
            rest[k] = self.add(stem + "-rest", body.replace(' ""', ""))
        starts = []
        for k in range(len(members)):
            starts.append(f"{pairs[k]} {rest[k + 1]}".replace(' ""', ""))
            if members[k][2]:
                break
        else:
            starts.append('""')
        inner = " | ".join(starts)
        return self.add(stem, f'"{{" ws ( {inner} ) ws "}}"')


def caller_grammar_from_schemas(schemas: dict[str, dict[str, Any]]) -> str:
    """The caller grammar for ``{api name: arguments JSON Schema}`` (in listed order)."""
    if not schemas:
        raise ValueError("a caller grammar needs at least one API")
    rules = _RuleSet()
    branches = []
    for index, (name, schema) in enumerate(schemas.items()):
        args = rules.schema(schema, f"args{index}")
        branches.append(f'{gbnf_literal(name)} "\\nAction Input: " {args}')
    root = 'root ::= "Action: " ( ' + " | ".join(branches) + " )"
    lines = [root] + [f"{name} ::= {body}" for name, body in rules.rules.items()]
    return "\n".join(lines) + "\n" + _PRIMITIVES.lstrip()


def schema_from_document(document: dict[str, Any]) -> dict[str, Any]:
    """An arguments schema read from a raw α-UMi tool dict (types from ``"string, ..."``).

    Raw documents do not say which parameters are required, so all are optional.
    """
    properties = {}
    for name, text in (document.get("input") or {}).items():
        kind = str(text).split(",", 1)[0].strip().lower()
        if kind not in ("string", "integer", "number", "boolean", "array", "object"):
            kind = "string"
        properties[name] = {"type": kind}
    return {"type": "object", "properties": properties, "required": []}


def caller_grammar_for(documents: list[dict[str, Any]]) -> str:
    """The caller grammar for raw α-UMi tool dicts (evaluation data without specs)."""
    return caller_grammar_from_schemas(
        {str(doc["Name"]): schema_from_document(doc) for doc in documents}
    )
