"""Failures of a served model, mapped at one boundary into one line each.

::

    UmiError
     └── RemoteError              a served model failed: entry, URL and the fix in one line
          ├── ServerUnreachable   nothing answers, or no connection in time
          ├── ServerSilent        nothing came for longer than the endpoint's timeout
          ├── StreamCut           the stream ended before the completion did
          ├── MalformedAnswer     not the protocol the flavor speaks
          └── ServerRefused       an HTTP error status (busy after the retries, 4xx, 5xx)

Messages never carry the API key: every text that comes from the server is redacted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from umi_cli.errors import UmiError
from umi_cli.models.refs import EndpointRef
from umi_cli.secrets import redact
from umi_cli.text import one_line

#: Longest server message quoted in an error.
QUOTE_CHARS = 160


class RemoteError(UmiError):
    """A served model failed; the message names the entry, the URL and the fix."""


class ServerUnreachable(RemoteError):
    """Nothing answers at the URL (refused, unknown host, no connection in time)."""


class ServerSilent(RemoteError):
    """The server sent nothing for longer than the endpoint's timeout."""


class StreamCut(RemoteError):
    """The stream ended (connection lost, server gone) before the completion finished."""


class MalformedAnswer(RemoteError):
    """The answer is not the protocol the endpoint's flavor speaks."""


class ServerRefused(RemoteError):
    """The server answered an HTTP error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def server_message(response: httpx.Response) -> str:
    """The server's own words about an error status, as one short redacted line."""
    try:
        body = response.read().decode("utf-8", errors="replace")
    except httpx.HTTPError:
        return ""
    text = body
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        found = data.get("error", data.get("detail", data.get("message", body)))
        if isinstance(found, dict):
            found = found.get("message", found)
        text = found if isinstance(found, str) else json.dumps(found)
    text = one_line(redact(text))
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 3] + "..."


def refused(ref: EndpointRef, url: str, response: httpx.Response, tries: int = 1) -> ServerRefused:
    """The error for an HTTP error status, with the fix that status calls for."""
    status = response.status_code
    said = server_message(response)
    detail = f"HTTP {status}: {said}" if said else f"HTTP {status}"
    who = f"model '{ref.model_id}': {url}"
    if status in (401, 403):
        fix = (
            f"set ${ref.api_key_env} to a valid key (api_key_env in {ref.at('api_key_env')})"
            if ref.api_key_env
            else f"the server wants an API key: add api_key_env to {ref.at()}"
        )
        return ServerRefused(f"{who} refused the request ({detail}); {fix}", status)
    if status == 404:
        return ServerRefused(
            f"{who} answered {detail}; check model and flavor in {ref.at('model')}", status
        )
    if status == 429:
        return ServerRefused(
            f"{who} is busy ({detail}) after {tries} tries; lower --jobs or give the server "
            "more slots",
            status,
        )
    if status == 503:
        return ServerRefused(
            f"{who} is unavailable ({detail}) after {tries} tries; wait until the server is "
            "ready (it may still be loading the model) or lower --jobs",
            status,
        )
    if status < 500:
        return ServerRefused(f"{who} rejected the request ({detail})", status)
    return ServerRefused(f"{who} failed ({detail}); see the server's log", status)


def too_long_wait(ref: EndpointRef, url: str, status: int, seconds: float) -> ServerRefused:
    return ServerRefused(
        f"model '{ref.model_id}': {url} is busy (HTTP {status}) and asks to wait {seconds:.0f} s "
        "(Retry-After); try again later",
        status,
    )


def malformed(ref: EndpointRef, url: str, detail: str) -> MalformedAnswer:
    return MalformedAnswer(
        f"model '{ref.model_id}': {url} sent a malformed answer ({one_line(redact(detail))}); "
        f"check that it is a {ref.flavor} server (flavor in {ref.at('flavor')})"
    )


def cut_off(ref: EndpointRef, url: str, detail: str = "") -> StreamCut:
    why = f" ({detail})" if detail else ""
    return StreamCut(
        f"model '{ref.model_id}': {url} ended the stream before the completion finished{why}; "
        "the server stopped or dropped the request: check it and run the task again"
    )


@contextmanager
def mapped(ref: EndpointRef, url: str, *, streaming: bool = False) -> Iterator[None]:
    """Turn httpx's exceptions inside the block into one-line :class:`RemoteError` s."""
    who = f"model '{ref.model_id}'"
    try:
        yield
    except httpx.ConnectTimeout:
        raise ServerUnreachable(
            f"{who}: {url} accepted no connection in time; start the server or fix base_url "
            f"in {ref.at('base_url')}"
        ) from None
    except httpx.ConnectError:
        raise ServerUnreachable(
            f"{who}: nothing answers at {url}; start the server or fix base_url in "
            f"{ref.at('base_url')}"
        ) from None
    except httpx.TimeoutException:
        raise ServerSilent(
            f"{who}: {url} sent nothing for {ref.timeout:g} s; the server is stuck or "
            f"overloaded (or raise timeout in {ref.at('timeout')})"
        ) from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        if streaming:
            raise cut_off(ref, url, type(exc).__name__) from None
        raise ServerUnreachable(
            f"{who}: {url} dropped the connection ({type(exc).__name__}); check the server "
            f"and base_url in {ref.at('base_url')}"
        ) from None
    except httpx.UnsupportedProtocol:
        raise ServerUnreachable(
            f"{who}: {url} is not an http:// or https:// URL; fix base_url in {ref.at('base_url')}"
        ) from None
