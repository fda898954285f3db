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
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

import umi_cli
from umi_cli.inputs import JsonTooDeep, parse_json
from umi_cli.secrets import redact, remember
from umi_cli.text import clip
from umi_cli.tools.http.arguments import ArgumentError, bind_arguments, parse_arguments
from umi_cli.tools.http.body import BodyError, read_body
from umi_cli.tools.http.failures import CallFailed, kind_of_status
from umi_cli.tools.http.request import build_request, origin
from umi_cli.tools.http.shape import shape_response
from umi_cli.tools.http.spec import Api, ToolSpec
from umi_cli.tools.toolset import FailureKind, ToolResult

log = logging.getLogger("umi_cli.tools")

_REDIRECTS = (301, 302, 303, 307, 308)


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
                raise CallFailed(
                    f"tool '{tool.name}' needs the environment variable {tool.auth.env} "
                    f"(export {tool.auth.env}=...)",
                    kind="refused",
                )
            request = build_request(
                self._client, tool, api, bound, secret, f"umi/{umi_cli.__version__}"
            )
            body = self._send_with_retries(tool, request, secret)
            limit = api.response.max_chars or self.settings.max_observation_chars
            shaped = self._observation(api, body)
            return ToolResult(
                name=name,
                ok=True,
                text=clip(_redact(shaped, secret), limit),
                status=body.status,
                size=body.size,
                seconds=time.perf_counter() - started,
            )
        except ArgumentError as exc:
            failure = CallFailed(str(exc), kind="arguments")
            return self._failure(name, failure, started, secret)
        except CallFailed as exc:
            return self._failure(name, exc, started, secret)

    def _secret_value(self, tool: ToolSpec) -> str | None:
        if tool.auth is None:
            return None
        secret = self._env.get(tool.auth.env) or None
        remember(secret)  # from now on masked in every text and log record umi writes
        return secret

    def _failure(
        self, name: str, failure: CallFailed, started: float, secret: str | None
    ) -> ToolResult:
        payload = {"error": str(failure), "status": failure.status, **failure.extra}
        text = clip(_redact(json.dumps(payload, ensure_ascii=False), secret), 1024)
        log.info("call %s failed: %s", name, _redact(str(failure), secret))
        return ToolResult(
            name=name,
            ok=False,
            text=text,
            failure=failure.kind,
            status=failure.status,
            seconds=time.perf_counter() - started,
        )

    def _send_with_retries(
        self, tool: ToolSpec, request: httpx.Request, secret: str | None
    ) -> _Body:
        attempt = 0
        while True:
            try:
                return self._send_once(tool, request, secret)
            except CallFailed as exc:
                wait = exc.wait
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
                raise CallFailed(
                    f"the API did not answer within {tool.timeout:g} s (timeout)", kind="timeout"
                ) from None
            except httpx.ConnectError as exc:
                raise CallFailed(
                    f"cannot connect to {tool.base_url}: {_redact(str(exc), secret)}",
                    kind="unavailable",
                    retryable=True,
                ) from None
            except httpx.HTTPError as exc:
                raise CallFailed(
                    f"request failed: {type(exc).__name__}: {_redact(str(exc), secret)}",
                    kind="unavailable",
                    retryable=True,
                ) from None
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    target = request.url.join(response.headers["location"])
                    if origin(target) != home:
                        where = _where(target, response.headers["location"], secret)
                        raise CallFailed(
                            f"redirect to another host refused ({where})",
                            response.status_code,
                            kind="refused",
                        )
                    request = self._redirected(request, response.status_code, target, tool)
                    continue
                return self._read(response, tool, secret, deadline)
            finally:
                response.close()
        raise CallFailed("too many redirects", kind="response")

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
            kind: FailureKind = "timeout" if exc.timeout else "response"
            message = late if exc.timeout else str(exc)
            raise CallFailed(message, response.status_code, kind=kind) from None
        except httpx.TimeoutException:
            raise CallFailed(late, response.status_code, kind="timeout") from None
        except httpx.HTTPError as exc:
            raise CallFailed(
                f"reading the response failed: {_redact(str(exc), secret)}",
                response.status_code,
                kind="server",
                retryable=True,
            ) from None
        data, clipped, size = body.data, body.clipped, len(body.data)
        text = data.decode(response.encoding or "utf-8", errors="replace")
        status = response.status_code
        if clipped:
            log.warning("response of %s cut at %d bytes", tool.name, cap)
        if status >= 400:
            failure = CallFailed(
                f"HTTP {status} {response.reason_phrase}".strip(),
                status,
                kind=kind_of_status(status),
                retryable=status == 429 or status >= 500,
            )
            failure.extra["response"] = clip(_redact(text.strip(), secret), 300)
            failure.wait = _retry_after(response.headers.get("retry-after"))
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
                failure = CallFailed(
                    f"the API answered invalid JSON: {exc.msg}", body.status, kind="response"
                )
                failure.extra["response"] = clip(redact(body.text.strip()), 300)
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
