"""MCP answers as umi observations: content joined, failure kinds decided, arguments checked.

How a failure gets its kind (:data:`~umi_cli.tools.toolset.FailureKind`):

- ``arguments``: decided by umi before anything is sent, against the tool's own ``inputSchema``
  (arguments that are not a JSON object, a missing ``required`` one, a value outside an
  ``enum``, a wrong type, an unknown API name); or the server answered JSON-RPC ``-32602``
  (invalid params).
- ``server``: the server answered ``isError: true`` (its tool failed). A result may carry
  ``_meta["umi/failure"]`` (umi's own MCP server does) to give the kind itself.
- ``timeout``: no answer within ``call_timeout`` (the SDK also sends the server a cancel).
- ``unavailable``: the server could not be started, exited, closed its pipe, or answered a call
  with any other JSON-RPC error.
- ``response``: a result that does not follow the MCP schema.
"""

from __future__ import annotations

import json
from typing import Any, cast, get_args

import mcp.types as types
from jsonschema import exceptions as schema_errors
from jsonschema import validators

from umi_cli.inputs import parse_json
from umi_cli.secrets import redact
from umi_cli.tools.toolset import FailureKind

#: ``_meta`` key through which a server states the failure kind of an ``isError`` result.
FAILURE_META_KEY = "umi/failure"
#: The kind of an ``isError`` result without that key: the tool refused this request (say, an
#: unknown user id), like an HTTP 4xx; the API stays offered (``server`` would drop it).
IS_ERROR_FAILURE: FailureKind = "client"

_KINDS = frozenset(get_args(FailureKind))


class ArgumentsRejected(ValueError):
    """The call's arguments are the caller's fault; the message says what is wrong."""


def parse_arguments(arguments: dict[str, Any] | str | None) -> dict[str, Any]:
    """The arguments as a JSON object (``None`` and ``""`` are ``{}``)."""
    if arguments is None:
        return {}
    if isinstance(arguments, str):
        if not arguments.strip():
            return {}
        try:
            arguments = parse_json(arguments)
        except json.JSONDecodeError as exc:
            raise ArgumentsRejected(f"arguments are not valid JSON: {exc.msg}") from None
    if not isinstance(arguments, dict):
        raise ArgumentsRejected("arguments must be a JSON object")
    return arguments


class ArgumentChecker:
    """Validates arguments against one tool's ``inputSchema`` (JSON Schema, its own draft).

    A schema the validator cannot read checks nothing (the server still will).
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        self._validator: Any = None
        try:
            cls = validators.validator_for(schema, default=validators.Draft202012Validator)
            cls.check_schema(schema)
            self._validator = cls(schema)
        except (schema_errors.SchemaError, schema_errors.UnknownType, TypeError):
            self._validator = None

    def problem(self, arguments: dict[str, Any]) -> str | None:
        """What is wrong with ``arguments``, one line, or None."""
        if self._validator is None:
            return None
        try:
            error = schema_errors.best_match(self._validator.iter_errors(arguments))
        except Exception:  # a schema feature the validator chokes on: leave it to the server
            return None
        if error is None:
            return None
        where = ".".join(str(part) for part in error.absolute_path)
        message = " ".join(error.message.split())[:300]
        return f"{where}: {message}" if where else message


def observation_text(result: types.CallToolResult) -> str:
    """Text blocks joined by newlines, other blocks as short placeholders, and the structured
    content as compact JSON; once when the text is only a copy of it (servers send both)."""
    parts = [_block_text(block) for block in result.content]
    text = "\n".join(part for part in parts if part)
    structured = result.structured_content
    if structured is None:
        return text
    dumped = json.dumps(structured, ensure_ascii=False)
    if _is_json_of(text, structured):
        return dumped  # compact: pretty-printed copies waste the observation's characters
    if _wraps(text, structured):
        return text
    return f"{text}\n{dumped}" if text.strip() else dumped


def result_failure(result: types.CallToolResult) -> FailureKind:
    """The kind of an ``isError`` result: the server's own ``umi/failure``, else the default."""
    stated = (result.meta or {}).get(FAILURE_META_KEY)
    if isinstance(stated, str) and stated in _KINDS:
        return cast(FailureKind, stated)
    return IS_ERROR_FAILURE


def error_failure(code: int) -> FailureKind:
    """The kind of a JSON-RPC error the SDK raised for a call (``MCPError.code``)."""
    if code == types.INVALID_PARAMS:
        return "arguments"
    if code == types.REQUEST_TIMEOUT:
        return "timeout"
    return "unavailable"


def error_observation(message: str) -> str:
    """A failure as the planner sees it, like HTTP failures: ``{"error": "..."}``."""
    return json.dumps({"error": redact(message)}, ensure_ascii=False)


def cut(text: str, limit: int) -> str:
    """FORMAT.md §6: the first ``limit`` characters plus ``"..."`` when longer."""
    return text if len(text) <= limit else text[:limit] + "..."


def _block_text(block: Any) -> str:
    if isinstance(block, types.TextContent):
        return block.text
    if isinstance(block, types.ImageContent | types.AudioContent):
        return f"[{block.type} {block.mime_type}, {len(block.data) * 3 // 4} bytes]"
    if isinstance(block, types.ResourceLink):
        return f"[resource {block.uri}]"
    if isinstance(block, types.EmbeddedResource):
        resource = block.resource
        text = getattr(resource, "text", None)
        return text if isinstance(text, str) else f"[resource {resource.uri}]"
    return f"[{getattr(block, 'type', 'content')}]"


def _is_json_of(text: str, value: Any) -> bool:
    try:
        return bool(parse_json(text) == value)
    except (json.JSONDecodeError, ValueError):
        return False


def _wraps(text: str, structured: Any) -> bool:
    """Whether ``structured`` is MCPServer's ``{"result": x}`` wrapping of the text ``x``."""
    if not (isinstance(structured, dict) and set(structured) == {"result"}):
        return False
    inner = structured["result"]
    return inner == text or (not isinstance(inner, str) and _is_json_of(text, inner))
