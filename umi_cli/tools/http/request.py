"""Building one HTTP request from a spec, an API and checked arguments, within the spec's origin.

Path parameters are percent-encoded so they stay one segment; the request may only go to the
spec's own origin (scheme, host, port); the secret is placed as the spec says.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import httpx

from umi_cli.tools.http.arguments import BoundArguments
from umi_cli.tools.http.body import ACCEPTED_CODINGS
from umi_cli.tools.http.failures import CallFailed
from umi_cli.tools.http.spec import Api, ToolSpec

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the default port filled in."""
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


def encode_segment(value: Any) -> str:
    """A path parameter as one encoded segment (``.`` and ``..`` cannot climb the path)."""
    text = value if isinstance(value, str) else json.dumps(value)
    encoded = quote(text, safe="")
    if set(encoded) <= {"."}:  # "." or ".." would move up the path after normalization
        encoded = encoded.replace(".", "%2E")
    return encoded


def query_value(value: Any) -> Any:
    """A query or header value as text (booleans lowercase, objects as JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [query_value(v) for v in value]
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def build_request(
    client: httpx.Client,
    tool: ToolSpec,
    api: Api,
    bound: BoundArguments,
    secret: str | None,
    user_agent: str,
) -> httpx.Request:
    """The request of one call; :class:`CallFailed` when it would leave the tool's origin."""
    path = _PLACEHOLDER.sub(lambda m: encode_segment(bound.path[m.group(1)]), api.path)
    base = httpx.URL(tool.base_url)
    url = httpx.URL(tool.base_url + path)
    if origin(url) != origin(base) or url.scheme not in ("http", "https"):
        raise CallFailed("the request would leave the tool's own host; refused", kind="refused")
    params = {k: query_value(v) for k, v in bound.query.items()}
    headers = {
        "User-Agent": user_agent,
        "Accept": "application/json, text/plain;q=0.9, */*;q=0.5",
        "Accept-Encoding": ", ".join(ACCEPTED_CODINGS),
        **tool.headers,
    }
    headers.update({k: query_value(v) for k, v in bound.header.items()})
    if tool.auth is not None and secret:
        if tool.auth.type == "bearer":
            headers["Authorization"] = f"Bearer {secret}"
        elif tool.auth.location == "query":
            params[tool.auth.name] = secret
        else:
            headers[tool.auth.name] = secret
    body = json.dumps(bound.body).encode() if bound.body else None
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        return client.build_request(
            api.method,
            url,
            params=params,
            headers={k: str(v) for k, v in headers.items()},
            content=body,
            timeout=httpx.Timeout(tool.timeout),
        )
    except (httpx.InvalidURL, ValueError) as exc:
        raise CallFailed(f"cannot build the request: {exc}", kind="arguments") from None
