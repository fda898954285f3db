"""Execute one API call over HTTP and turn whatever happens into an observation for the planner.

Safety rules: requests only go to the spec's own origin (scheme, host, port); path parameters are
percent-encoded so they cannot add segments; redirects are followed only within that origin; the
secret comes from the environment and is scrubbed from every text we produce.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from umi_cli import __version__
from umi_cli.inputs import JsonTooDeep, parse_json
from umi_cli.secrets import redact, remember
from umi_cli.tools.arguments import ArgumentError, BoundArguments, bind_arguments, parse_arguments
from umi_cli.tools.body import ACCEPTED_CODINGS, BodyError, read_body
from umi_cli.tools.shape import shape_response
from umi_cli.tools.spec import Api, ToolSpec

log = logging.getLogger("umi_cli.tools")

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one call; ``text`` is the observation exactly as the planner sees it."""

    api: str
    ok: bool
    status: int | None
    text: str
    size: int = 0
    seconds: float = 0.0
    retryable_failure: bool = False


@dataclass(frozen=True)
class ExecutionSettings:
    """Limits of the executor (FORMAT.md §6: observations cut to 1024 characters + "...")."""

    max_observation_chars: int = 1024
    max_response_bytes: int = 2_000_000
    max_retry_wait: float = 10.0
    backoff: float = 0.5
    max_redirects: int = 5


@dataclass(frozen=True)
class _Body:
    """A response body as read: decoded text, whether it claims JSON, whether it was cut."""

    status: int
    text: str
    declared_json: bool
    clipped: bool
    size: int


class _CallFailed(Exception):
    def __init__(self, message: str, status: int | None = None, *, retryable: bool = False):
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.extra: dict[str, Any] = {}


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the default port filled in."""
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


def truncate_observation(text: str, limit: int) -> str:
    """FORMAT.md §6: the first ``limit`` characters plus ``"..."`` when longer."""
    return text if len(text) <= limit else text[:limit] + "..."


def _encode_segment(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    encoded = quote(text, safe="")
    if set(encoded) <= {"."}:  # "." or ".." would move up the path after normalization
        encoded = encoded.replace(".", "%2E")
    return encoded


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_query_value(v) for v in value]
    if isinstance(value, dict):
        return json.dumps(value)
    return value


class Executor:
    """Runs calls with an ``httpx`` client: timeouts, bounded retries, size cap, redirects."""

    def __init__(
        self,
        settings: ExecutionSettings | None = None,
        *,
        env: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings or ExecutionSettings()
        self._env = env if env is not None else os.environ
        self._sleep = sleep
        self._client = httpx.Client(follow_redirects=False, transport=transport)
        # httpx logs every request URL at INFO; a query-parameter API key would leak there.
        # We log our own line with the secret scrubbed instead.
        logging.getLogger("httpx").setLevel(logging.WARNING)

    def close(self) -> None:
        self._client.close()

    def call(self, tool: ToolSpec, api: Api, arguments: str | dict[str, Any] | None) -> ToolResult:
        """Run one call; never raises. Failures are ``{"error": ..., "status": ...}`` text."""
        name = tool.document_name(api)
        started = time.perf_counter()
        secret = self._secret_value(tool)
        try:
            bound = bind_arguments(api, parse_arguments(arguments))
            if tool.auth is not None and not secret:
                raise _CallFailed(
                    f"tool '{tool.name}' needs the environment variable {tool.auth.env} "
                    f"(export {tool.auth.env}=...)"
                )
            request = self._build_request(tool, api, bound, secret)
            body = self._send_with_retries(tool, request, secret)
            limit = api.response.max_chars or self.settings.max_observation_chars
            shaped = self._observation(api, body)
            return ToolResult(
                api=name,
                ok=True,
                status=body.status,
                text=truncate_observation(_redact(shaped, secret), limit),
                size=body.size,
                seconds=time.perf_counter() - started,
            )
        except ArgumentError as exc:
            return self._failure(name, str(exc), None, {}, started, secret, retryable=False)
        except _CallFailed as exc:
            return self._failure(
                name, str(exc), exc.status, exc.extra, started, secret, retryable=exc.retryable
            )

    def _secret_value(self, tool: ToolSpec) -> str | None:
        if tool.auth is None:
            return None
        secret = self._env.get(tool.auth.env) or None
        remember(secret)  # from now on masked in every text and log record umi writes
        return secret

    def _failure(
        self,
        name: str,
        message: str,
        status: int | None,
        extra: dict[str, Any],
        started: float,
        secret: str | None,
        *,
        retryable: bool,
    ) -> ToolResult:
        payload = {"error": message, "status": status, **extra}
        text = truncate_observation(_redact(json.dumps(payload, ensure_ascii=False), secret), 1024)
        log.info("call %s failed: %s", name, _redact(message, secret))
        return ToolResult(
            api=name,
            ok=False,
            status=status,
            text=text,
            size=0,
            seconds=time.perf_counter() - started,
            retryable_failure=retryable,
        )

    def _build_request(
        self, tool: ToolSpec, api: Api, bound: BoundArguments, secret: str | None
    ) -> httpx.Request:
        path = _PLACEHOLDER.sub(lambda m: _encode_segment(bound.path[m.group(1)]), api.path)
        base = httpx.URL(tool.base_url)
        url = httpx.URL(tool.base_url + path)
        if origin(url) != origin(base) or url.scheme not in ("http", "https"):
            raise _CallFailed("the request would leave the tool's own host; refused")
        params = {k: _query_value(v) for k, v in bound.query.items()}
        headers = {
            "User-Agent": f"umi/{__version__}",
            "Accept": "application/json, text/plain;q=0.9, */*;q=0.5",
            "Accept-Encoding": ", ".join(ACCEPTED_CODINGS),
            **tool.headers,
        }
        headers.update({k: _query_value(v) for k, v in bound.header.items()})
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
            return self._client.build_request(
                api.method,
                url,
                params=params,
                headers={k: str(v) for k, v in headers.items()},
                content=body,
                timeout=httpx.Timeout(tool.timeout),
            )
        except (httpx.InvalidURL, ValueError) as exc:
            raise _CallFailed(f"cannot build the request: {exc}") from None

    def _send_with_retries(
        self, tool: ToolSpec, request: httpx.Request, secret: str | None
    ) -> _Body:
        attempt = 0
        while True:
            try:
                return self._send_once(tool, request, secret)
            except _CallFailed as exc:
                wait = exc.extra.pop("_wait", None)
                if not exc.retryable or attempt >= tool.retries:
                    raise
                if wait is None:
                    wait = self.settings.backoff * (2**attempt)
                if wait > self.settings.max_retry_wait:
                    exc.extra["retry_after_seconds"] = round(wait)
                    raise
                attempt += 1
                log.info("retrying %s in %.1f s (attempt %d)", tool.name, wait, attempt + 1)
                self._sleep(wait)

    def _send_once(self, tool: ToolSpec, request: httpx.Request, secret: str | None) -> _Body:
        home = origin(request.url)
        deadline = time.monotonic() + tool.timeout  # the whole answer, redirects included
        for _ in range(self.settings.max_redirects + 1):
            log.debug("%s %s", request.method, _redact(str(request.url), secret))
            try:
                response = self._client.send(request, stream=True)
            except httpx.TimeoutException:
                raise _CallFailed(
                    f"the API did not answer within {tool.timeout:g} s (timeout)", retryable=False
                ) from None
            except httpx.ConnectError as exc:
                raise _CallFailed(
                    f"cannot connect to {tool.base_url}: {_redact(str(exc), secret)}",
                    retryable=True,
                ) from None
            except httpx.HTTPError as exc:
                raise _CallFailed(
                    f"request failed: {type(exc).__name__}: {_redact(str(exc), secret)}",
                    retryable=True,
                ) from None
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    target = request.url.join(response.headers["location"])
                    if origin(target) != home:
                        where = _where(target, response.headers["location"], secret)
                        raise _CallFailed(
                            f"redirect to another host refused ({where})", response.status_code
                        )
                    request = self._redirected(request, response.status_code, target, tool)
                    continue
                return self._read(response, tool, secret, deadline)
            finally:
                response.close()
        raise _CallFailed("too many redirects", None)

    def _redirected(
        self, request: httpx.Request, status: int, target: httpx.URL, tool: ToolSpec
    ) -> httpx.Request:
        keep_body = status in (307, 308)
        method = request.method if keep_body or request.method == "HEAD" else "GET"
        headers = dict(request.headers)
        headers.pop("host", None)
        if not keep_body:
            headers.pop("content-type", None)
            headers.pop("content-length", None)
        return self._client.build_request(
            method,
            target,
            headers=headers,
            content=request.content if keep_body else None,
            timeout=httpx.Timeout(tool.timeout),
        )

    def _read(
        self, response: httpx.Response, tool: ToolSpec, secret: str | None, deadline: float
    ) -> _Body:
        cap = self.settings.max_response_bytes
        late = f"the API did not finish answering within {tool.timeout:g} s (timeout)"
        try:
            body = read_body(
                response.iter_raw(),
                content_encoding=response.headers.get("content-encoding"),
                limit=cap,
                deadline=deadline,
            )
        except BodyError as exc:
            raise _CallFailed(late if exc.timeout else str(exc), response.status_code) from None
        except httpx.TimeoutException:
            raise _CallFailed(late, response.status_code) from None
        except httpx.HTTPError as exc:
            raise _CallFailed(
                f"reading the response failed: {_redact(str(exc), secret)}",
                response.status_code,
                retryable=True,
            ) from None
        data, clipped, size = body.data, body.clipped, len(body.data)
        text = data.decode(response.encoding or "utf-8", errors="replace")
        status = response.status_code
        if clipped:
            log.warning("response of %s cut at %d bytes", tool.name, cap)
        if status >= 400:
            failure = _CallFailed(
                f"HTTP {status} {response.reason_phrase}".strip(),
                status,
                retryable=status == 429 or status >= 500,
            )
            failure.extra["response"] = truncate_observation(_redact(text.strip(), secret), 300)
            wait = _retry_after(response.headers.get("retry-after"))
            if wait is not None:
                failure.extra["_wait"] = wait
            raise failure
        content_type = response.headers.get("content-type", "").lower()
        return _Body(status, text, "json" in content_type, clipped, size)

    def _observation(self, api: Api, body: _Body) -> str:
        if body.clipped:
            return body.text
        if not body.text.strip():
            return f"(the API answered HTTP {body.status} with an empty body)"
        try:
            value = parse_json(body.text)
        except JsonTooDeep:
            return body.text.strip()  # valid, but too deep to lay out: shown as text
        except json.JSONDecodeError as exc:
            if body.declared_json:
                failure = _CallFailed(f"the API answered invalid JSON: {exc.msg}", body.status)
                failure.extra["response"] = truncate_observation(redact(body.text.strip()), 300)
                raise failure from None
            return body.text.strip()
        value = shape_response(value, api.response.keep, api.response.fields)
        return json.dumps(value, ensure_ascii=False)


def _where(target: httpx.URL, location: str, secret: str | None) -> str:
    """Where a redirect points, for a message: the origin of a web URL, else the Location."""
    if target.scheme in ("http", "https"):
        scheme, host, port = origin(target)
        return f"{scheme}://{host}:{port}"
    return _redact(location.strip()[:200], secret)


def _retry_after(header: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _redact(text: str, secret: str | None) -> str:
    remember(secret)
    return redact(text)
