"""A real HTTP server on 127.0.0.1 that speaks the Hugging Face hub's file download protocol.

    with HubServer({"org/repo": {"model.gguf": data}}) as endpoint:
        env["HF_ENDPOINT"] = endpoint

Serves ``HEAD``/``GET /{repo}/resolve/{revision}/{file}`` with ``X-Repo-Commit``, ``ETag``
(for LFS-like files the sha256, also as ``X-Linked-Etag``, plus ``X-Linked-Size``),
``Content-Length`` and byte ``Range`` requests, and ``GET /api/models/{repo}/revision/{rev}``.
Faults for the next N downloads of a file: :meth:`HubServer.corrupt` (same length, wrong bytes)
and :meth:`HubServer.truncate` (the connection closes half-way through the body).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

COMMIT = "0123456789abcdef0123456789abcdef01234567"
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_API = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)(?:/revision/(?P<rev>[^/]+))?$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


@dataclass
class Request:
    """One request the server answered (for tests that check what was fetched)."""

    method: str
    path: str
    status: int
    range: str | None = None


@dataclass
class _Faults:
    corrupt: dict[str, int] = field(default_factory=dict)
    truncate: dict[str, int] = field(default_factory=dict)


class HubServer:
    """Context manager serving ``repos`` (repo id → file name → bytes); yields the endpoint URL."""

    def __init__(self, repos: dict[str, dict[str, bytes]], *, lfs_min_size: int = 0) -> None:
        self.repos = repos
        self.lfs_min_size = lfs_min_size
        self.requests: list[Request] = []
        self._faults = _Faults()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- faults -------------------------------------------------------------------------------

    def corrupt(self, file: str, times: int = 1) -> None:
        """Serve wrong bytes (same length) for the next ``times`` GETs of ``file``."""
        with self._lock:
            self._faults.corrupt[file] = times

    def truncate(self, file: str, times: int = 1) -> None:
        """Close the connection half-way through the body for the next ``times`` GETs."""
        with self._lock:
            self._faults.truncate[file] = times

    def _take(self, faults: dict[str, int], file: str) -> bool:
        with self._lock:
            left = faults.get(file, 0)
            if left > 0:
                faults[file] = left - 1
                return True
            return False

    def downloads(self, file: str) -> list[Request]:
        """The GET requests that returned (part of) ``file``."""
        return [r for r in self.requests if r.method == "GET" and r.path.endswith("/" + file)]

    # -- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> str:
        server = self

        class Handler(_HubHandler):
            hub = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self.endpoint

    @property
    def endpoint(self) -> str:
        assert self._httpd is not None, "the server is not running"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __exit__(self, *exc: object) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


class _HubHandler(BaseHTTPRequestHandler):
    hub: HubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _record(self, status: int) -> None:
        with self.hub._lock:
            self.hub.requests.append(
                Request(self.command, self.path, status, self.headers.get("Range"))
            )

    def _error(self, status: int, code: str, message: str) -> None:
        self._record(status)
        payload = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _serve(self, *, body: bool) -> None:
        path = self.path.split("?", 1)[0]
        api = _API.match(path)
        if api:
            self._serve_api(api.group("repo"), body=body)
            return
        match = _RESOLVE.match(path)
        if not match:
            self._error(404, "EntryNotFound", f"no route {path}")
            return
        repo, file = match.group("repo"), match.group("file")
        if repo not in self.hub.repos:
            self._error(404, "RepoNotFound", f"Repository {repo} not found")
            return
        if file not in self.hub.repos[repo]:
            self._error(404, "EntryNotFound", f"{file} does not exist in {repo}")
            return
        data = self.hub.repos[repo][file]
        self._serve_file(file, data, body=body)

    def _serve_file(self, file: str, data: bytes, *, body: bool) -> None:
        sha = hashlib.sha256(data).hexdigest()
        lfs = len(data) >= self.hub.lfs_min_size
        etag = sha if lfs else hashlib.sha1(data).hexdigest()
        start, end = 0, len(data)
        status = 200
        wanted = self.headers.get("Range")
        if wanted and (m := _RANGE.match(wanted)):
            start = int(m.group(1))
            end = int(m.group(2)) + 1 if m.group(2) else len(data)
            end = min(end, len(data))
            if start >= len(data):
                self._error(416, "RangeNotSatisfiable", "range not satisfiable")
                return
            status = 206
        payload = data[start:end]
        truncated = False
        if body:
            if self.hub._take(self.hub._faults.corrupt, file):
                payload = bytes(b ^ 0x5A for b in payload)
            if self.hub._take(self.hub._faults.truncate, file):
                truncated = True
        self._record(status)
        self.send_response(status)
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("ETag", f'"{etag}"')
        if lfs:
            self.send_header("X-Linked-Etag", f'"{sha}"')
            self.send_header("X-Linked-Size", str(len(data)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(payload)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.send_header("Content-Type", "application/octet-stream")
        if truncated:
            self.send_header("Connection", "close")
        self.end_headers()
        if not body:
            return
        if truncated:
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(payload)

    def _serve_api(self, repo: str, *, body: bool) -> None:
        if repo not in self.hub.repos:
            self._error(404, "RepoNotFound", f"Repository {repo} not found")
            return
        files = self.hub.repos[repo]
        info = {
            "id": repo,
            "modelId": repo,
            "sha": COMMIT,
            "siblings": [
                {
                    "rfilename": name,
                    "size": len(data),
                    "lfs": {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)},
                }
                for name, data in files.items()
            ],
        }
        payload = json.dumps(info).encode()
        self._record(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body:
            self.wfile.write(payload)
