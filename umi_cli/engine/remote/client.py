"""HTTP to one endpoint: JSON requests and line streams, with timeouts and bounded retries.

One ``httpx.Client`` per endpoint (thread-safe, pooled connections for parallel requests). A
request answered 429/503 is sent again after ``Retry-After`` (or a doubling backoff), a bounded
number of times, and only before any of its answer was read; everything else fails at once as a
one-line :class:`~umi_cli.engine.remote.errors.RemoteError`.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from umi_cli.engine.remote.errors import malformed, mapped, refused, too_long_wait
from umi_cli.engine.remote.settings import RETRY_STATUSES, RemoteSettings
from umi_cli.models.refs import EndpointRef

log = logging.getLogger(__name__)


def retry_after(header: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date); None if absent or bad."""
    if not header:
        return None
    header = header.strip()
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class EndpointClient:
    """Requests to ``ref.base_url``; ``api_key`` (already read from the environment) is sent as
    a bearer token and never logged."""

    def __init__(
        self,
        ref: EndpointRef,
        settings: RemoteSettings,
        api_key: str | None = None,
        *,
        connections: int = 8,
    ) -> None:
        self.ref = ref
        self.settings = settings
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(
            base_url=ref.base_url,
            headers=headers,
            timeout=httpx.Timeout(ref.timeout, connect=settings.connect_timeout),
            limits=httpx.Limits(max_connections=max(connections, 2)),
            follow_redirects=False,
            trust_env=False,  # a loopback server must not go through a proxy
        )

    def url(self, path: str) -> str:
        return f"{self.ref.base_url}{path}"

    def get_json(self, path: str, *, timeout: float | None = None) -> Any:
        return self._json("GET", path, None, timeout)

    def post_json(self, path: str, body: dict[str, Any], *, timeout: float | None = None) -> Any:
        return self._json("POST", path, body, timeout)

    def _json(
        self, method: str, path: str, body: dict[str, Any] | None, timeout: float | None
    ) -> Any:
        url = self.url(path)
        with self._response(method, path, body, timeout=timeout) as response, mapped(self.ref, url):
            response.read()
        try:
            return response.json()
        except ValueError:
            raise malformed(self.ref, url, f"{path} answered no JSON") from None

    @contextmanager
    def stream_lines(self, path: str, body: dict[str, Any]) -> Iterator[Iterator[str]]:
        """The answer's lines as they arrive; leaving the block closes the connection (the
        server stops generating)."""
        url = self.url(path)
        with self._response("POST", path, body) as response:
            yield self._lines(response, url)

    def _lines(self, response: httpx.Response, url: str) -> Iterator[str]:
        with mapped(self.ref, url, streaming=True):
            yield from response.iter_lines()

    @contextmanager
    def _response(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        timeout: float | None = None,
    ) -> Iterator[httpx.Response]:
        """A response with a success status (sent again while the server is busy)."""
        url = self.url(path)
        limit = httpx.Timeout(timeout) if timeout is not None else self.http.timeout
        attempt = 0
        while True:
            with mapped(self.ref, url):
                request = self.http.build_request(method, path, json=body, timeout=limit)
                response = self.http.send(request, stream=True)
            try:
                if response.status_code < 400:
                    yield response
                    return
                status = response.status_code
                if status not in RETRY_STATUSES or attempt >= self.settings.retries:
                    raise refused(self.ref, url, response, tries=attempt + 1)
                wait = self.settings.wait(attempt, retry_after(response.headers.get("retry-after")))
                if wait > self.settings.max_wait:
                    raise too_long_wait(self.ref, url, status, wait)
            finally:
                response.close()
            log.info("%s answered %d; trying again in %.1f s", url, status, wait)
            time.sleep(wait)
            attempt += 1

    def close(self) -> None:
        self.http.close()
