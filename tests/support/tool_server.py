"""A real HTTP server on 127.0.0.1 with a few JSON APIs and fault endpoints, for tool tests.

Usage::

    with ToolServer() as server:          # starts a main and a second ("other host") server
        url = server.base_url             # e.g. http://127.0.0.1:41234
        ...                               # call it through umi
        server.requests                   # every request that arrived (method, path, query, ...)
        server.down = True                # /weather/down now answers 503 until set back

Endpoints (all JSON unless said otherwise):

- ``GET /music/search?q=...&limit=N``: deterministic tracks whose title contains ``q``.
- ``GET /music/track/{id}``: one track or 404.
- ``GET /weather/current?city=...&units=metric|imperial``: a fixed reading per city.
- ``POST /notes`` (JSON body): echoes the body back with an id.
- ``GET /echo/...``: echoes method, path, query and headers (for path/escape checks).
- ``GET /text``: ``text/plain`` body.
- ``GET /fault/500``: always 500.  ``GET /fault/flaky``: 500 then 200 (per server instance).
- ``GET /fault/429``: 429 with ``Retry-After: 2`` on the first call, then 200.
- ``GET /fault/429-always``: 429 with ``Retry-After: 3600`` every time.
- ``GET /fault/slow?seconds=S``: waits S seconds (default 5) before answering.
- ``GET /fault/invalid-json``: ``application/json`` content type, broken body.
- ``GET /fault/huge?mb=N``: streams N MiB (default 32) of a JSON array, chunk by chunk.
- ``GET /fault/redirect-away``: 302 to the second server (another port, i.e. another origin).
- Hostile answers: ``echo-key`` (the ``X-Api-Key`` back in a header and the body),
  ``redirect-key`` (a home redirect carrying it), ``long-key`` (it across the 1,024-character
  cut), ``nested?depth=N`` (``[[[…]]]``), ``gzip`` (a real gzip body), ``gzip-bomb``
  (``Content-Encoding: gzip, gzip``, 512 MiB inflated), ``trickle?seconds=S`` (a byte at a
  time), ``empty`` (a 200 JSON answer with no body).
- ``GET /fault/redirect-home``: 302 to ``/music/search?q=love`` on the same server.
- ``GET /fault/redirect-file``: 302 to ``file:///etc/passwd``.
- ``GET /weather/down``: 503 while ``server.down`` is true, else a reading.

:data:`SPEC_TEMPLATE` / :func:`write_spec` give a matching umi tool spec (tool ``loopback``).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import json
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

TRACKS = [
    {"id": 1, "title": "Love Story", "artist": "Taylor Swift", "duration": 235},
    {"id": 2, "title": "Crazy in Love", "artist": "Beyonce", "duration": 236},
    {"id": 3, "title": "Yellow", "artist": "Coldplay", "duration": 269},
    {"id": 4, "title": "Bohemian Rhapsody", "artist": "Queen", "duration": 354},
    {"id": 5, "title": "Love Me Do", "artist": "The Beatles", "duration": 142},
    {"id": 6, "title": "Lovely Day", "artist": "Bill Withers", "duration": 255},
]

WEATHER = {
    "paris": {"city": "Paris", "temperature_c": 18.5, "condition": "cloudy"},
    "tokyo": {"city": "Tokyo", "temperature_c": 24.0, "condition": "sunny"},
    "oslo": {"city": "Oslo", "temperature_c": 3.5, "condition": "snow"},
}


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str  # raw path as sent, percent-encoding kept
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    raw_target: str = ""

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class _State:
    requests: list[RecordedRequest] = field(default_factory=list)
    down: bool = False
    counters: dict[str, int] = field(default_factory=dict)
    other_base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str) -> int:
        with self.lock:
            self.counters[key] = self.counters.get(key, 0) + 1
            return self.counters[key]


class _Handler(BaseHTTPRequestHandler):
    server_version = "UmiToolServer/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    @property
    def state(self) -> _State:
        return self.server.state  # type: ignore[attr-defined]

    def _record(self) -> tuple[str, dict[str, list[str]], bytes]:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = parse_qs(split.query, keep_blank_values=True)
        with self.state.lock:
            self.state.requests.append(
                RecordedRequest(
                    method=self.command,
                    path=split.path,
                    query=query,
                    headers=dict(self.headers.items()),
                    body=body,
                    raw_target=self.path,
                )
            )
        return split.path, query, body

    def _send(
        self,
        status: int,
        payload: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        path, query, body = self._record()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._route(path, query, body)

    def _route(self, path: str, query: dict[str, list[str]], body: bytes) -> None:
        q = {key: values[-1] for key, values in query.items()}
        if path == "/music/search":
            needle = q.get("q", "").lower()
            limit = int(q.get("limit", "10"))
            found = [t for t in TRACKS if needle in t["title"].lower()][:limit]
            self._send(200, {"data": found, "total": len(found)})
        elif path.startswith("/music/track/"):
            ident = path.rsplit("/", 1)[-1]
            track = next((t for t in TRACKS if str(t["id"]) == ident), None)
            if track is None:
                self._send(404, {"error": {"message": f"no track {ident}"}})
            else:
                self._send(200, track)
        elif path == "/weather/current":
            reading = WEATHER.get(q.get("city", "").lower())
            if reading is None:
                self._send(404, {"message": "unknown city"})
            else:
                reading = dict(reading, units=q.get("units", "metric"))
                self._send(200, reading)
        elif path == "/weather/down":
            if self.state.down:
                self._send(503, {"message": "service unavailable"})
            else:
                self._send(200, WEATHER["paris"])
        elif path == "/notes" and self.command == "POST":
            note = json.loads(body or b"{}")
            self._send(201, {"id": 7, **note})
        elif path.startswith("/echo"):
            self._send(
                200,
                {
                    "method": self.command,
                    "path": path,
                    "query": q,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                },
            )
        elif path == "/text":
            self._send(200, raw=b"plain words, not JSON", content_type="text/plain")
        elif path.startswith("/fault/"):
            self._fault(path.removeprefix("/fault/"), q)
        else:
            self._send(404, {"message": f"no route {path}"})

    def _fault(self, name: str, q: dict[str, str]) -> None:
        if name == "500":
            self._send(500, {"message": "internal failure"})
        elif name == "flaky":
            if self.state.hit("flaky") == 1:
                self._send(500, {"message": "try again"})
            else:
                self._send(200, {"ok": True})
        elif name == "429":
            if self.state.hit("429") == 1:
                self._send(429, {"message": "slow down"}, headers={"Retry-After": "2"})
            else:
                self._send(200, {"ok": True, "after": "retry"})
        elif name == "429-always":
            self._send(429, {"message": "quota exceeded"}, headers={"Retry-After": "3600"})
        elif name == "slow":
            time.sleep(float(q.get("seconds", "5")))
            self._send(200, {"ok": True, "slow": True})
        elif name == "invalid-json":
            self._send(200, raw=b'{"data": [1, 2,', content_type="application/json")
        elif name == "huge":
            self._huge(int(q.get("mb", "32")))
        elif name == "redirect-away":
            target = self.state.other_base_url + "/music/search?q=love"
            self._send(302, {}, headers={"Location": target})
        elif name == "redirect-home":
            self._send(302, {}, headers={"Location": "/music/search?q=love"})
        elif name == "redirect-file":
            self._send(302, {}, headers={"Location": "file:///etc/passwd"})
        elif name == "echo-key":  # a careless server: the key back in a header and the body
            key = self.headers.get("X-Api-Key", "")
            self._send(200, {"your_key": key}, headers={"X-Echo-Key": key})
        elif name == "redirect-key":  # a home redirect whose Location carries the key
            key = quote(self.headers.get("X-Api-Key", ""), safe="")
            self._send(302, {}, headers={"Location": f"/music/search?q=love&token={key}"})
        elif name == "long-key":  # the key across the 1,024-character observation cut
            key = self.headers.get("X-Api-Key", "")
            pad = 1024 - len('{"pad": "", "key": "') - len(key) // 2
            self._send(200, {"pad": "x" * pad, "key": key, "tail": "y" * 200})
        elif name == "nested":
            depth = int(q.get("depth", "5000"))
            self._send(200, raw=b"[" * depth + b"]" * depth, content_type="application/json")
        elif name == "gzip":
            body = gzip.compress(json.dumps({"ok": True, "words": ["zipped"] * 50}).encode())
            self._send(200, raw=body, content_type="application/json",
                       headers={"Content-Encoding": "gzip"})  # fmt: skip
        elif name == "gzip-bomb":
            self._send(200, raw=gzip_bomb(), content_type="application/json",
                       headers={"Content-Encoding": "gzip, gzip"})  # fmt: skip
        elif name == "trickle":  # one byte at a time, for as long as it likes
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            until = time.monotonic() + float(q.get("seconds", "20"))
            while time.monotonic() < until:
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(float(q.get("interval", "0.2")))
        elif name == "empty":
            self._send(200, raw=b"", content_type="application/json")
        else:
            self._send(404, {"message": f"no fault {name}"})

    def _huge(self, megabytes: int) -> None:
        chunk = ("[" + ",".join(['"xxxxxxxxxxxxxxxx"'] * 50000) + "]").encode()
        total = megabytes * 1024 * 1024
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        sent = 0
        while sent < total:
            part = chunk[: total - sent]
            self.wfile.write(part)
            sent += len(part)


@functools.cache
def gzip_bomb(megabytes: int = 512) -> bytes:
    """``megabytes`` MiB of zeros, gzipped twice (a few KB on the wire)."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    packed = b"".join(inner.compress(zeros) for _ in range(megabytes)) + inner.flush()
    return gzip.compress(packed, 9)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: _State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up early (timeouts, size caps) are expected; stay quiet."""

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class ToolServer:
    """Two loopback servers (main + "other host"); a context manager yielding itself.

    ``base_url`` is the main server; ``other_base_url`` the second one, which redirects from
    the main server point to. Both share one request log.
    """

    def __init__(self) -> None:
        self._state = _State()
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> ToolServer:
        for _ in range(2):
            server = _Server(self._state)
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        self._state.other_base_url = self._servers[1].base_url
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    @property
    def base_url(self) -> str:
        return self._servers[0].base_url

    @property
    def other_base_url(self) -> str:
        return self._servers[1].base_url

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def down(self) -> bool:
        return self._state.down

    @down.setter
    def down(self, value: bool) -> None:
        self._state.down = value

    def requests_to(self, path_prefix: str) -> list[RecordedRequest]:
        """The recorded requests whose path starts with ``path_prefix``."""
        return [r for r in self.requests if r.path.startswith(path_prefix)]


def serve_forever() -> None:  # pragma: no cover - manual use: python -m support.tool_server
    with ToolServer() as server:
        print(server.base_url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":  # pragma: no cover
    serve_forever()
