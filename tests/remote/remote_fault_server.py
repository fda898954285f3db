"""A misbehaving OpenAI-compatible server on 127.0.0.1, run as its own process.

``python remote_fault_server.py PORT_FILE`` binds a free port, writes it to PORT_FILE and serves
until killed. The first path segment picks the behaviour, so one process is many endpoints
(``base_url: http://127.0.0.1:PORT/MODE``); every mode answers ``GET /MODE/v1/models``:

- ``ok``: ``/v1/completions`` streams "hello" then ``finish_reason: stop`` and ``[DONE]``.
- ``m500``: completions answer HTTP 500 with an error message.
- ``m429``: the first completion gets 429 ``Retry-After: 1``, the next ones stream as ``ok``.
- ``m429long``: 429 ``Retry-After: 3600`` every time.
- ``slow``: waits 5 s before answering the completion.
- ``malformed``: a 200 event stream whose event is not JSON.
- ``cut``: streams a chunk, then ``[DONE]`` without a finish reason.
- ``die``: streams a chunk, then the whole process exits (a server that goes away).
- ``auth``: wants ``Authorization: Bearer secret-key-4242``; a wrong key is echoed back in the
  401 body (a careless server).
- ``tool/slow?seconds=S``: a tool API that answers after S seconds (default 2); ``/stats``
  reports the most tool requests that were in flight at once.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

KEY = "secret-key-4242"
STATE = {"m429": 0, "inflight": 0, "max_inflight": 0}
LOCK = threading.Lock()


def chunk(text: str, finish: str | None = None) -> bytes:
    event = {"object": "text_completion", "choices": [{"text": text, "finish_reason": finish}]}
    return f"data: {json.dumps(event)}\n\n".encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        parts = split.path.strip("/").split("/")
        if parts[0] == "stats":
            self.send_json(200, dict(STATE))
        elif parts[0] == "tool":
            seconds = float(parse_qs(split.query).get("seconds", ["2"])[0])
            with LOCK:
                STATE["inflight"] += 1
                STATE["max_inflight"] = max(STATE["max_inflight"], STATE["inflight"])
            time.sleep(seconds)
            with LOCK:
                STATE["inflight"] -= 1
            self.send_json(200, {"ok": True, "waited": seconds})
        elif parts[-2:] == ["v1", "models"]:
            if parts[0] == "auth" and self.headers.get("Authorization") != f"Bearer {KEY}":
                said = self.headers.get("Authorization", "")
                self.send_json(401, {"error": {"message": f"bad key: {said}"}})
            else:
                self.send_json(200, {"object": "list", "data": [{"id": "tiny"}]})
        else:
            self.send_json(404, {"error": "no such route"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        mode = urlsplit(self.path).path.strip("/").split("/")[0]
        if mode == "m500":
            self.send_json(500, {"error": {"message": "the model crashed"}})
        elif mode == "m429long":
            self.send_json(429, {"error": "quota"}, {"Retry-After": "3600"})
        elif mode == "m429" and STATE["m429"] == 0:
            STATE["m429"] = 1
            self.send_json(429, {"error": "busy"}, {"Retry-After": "1"})
        elif mode == "auth" and self.headers.get("Authorization") != f"Bearer {KEY}":
            self.send_json(401, {"error": {"message": "bad key"}})
        elif mode == "slow":
            time.sleep(5)
            self.send_json(500, {"error": "too late"})
        elif mode == "malformed":
            self.start_stream()
            self.wfile.write(b"data: {this is not json\n\n")
        else:
            self.start_stream()
            self.wfile.write(chunk("hel"))
            self.wfile.flush()
            if mode == "die":
                time.sleep(0.2)
                os._exit(3)
            if mode == "cut":
                self.wfile.write(b"data: [DONE]\n\n")
                return
            self.wfile.write(chunk("lo"))
            self.wfile.write(chunk("", "stop"))
            self.wfile.write(b"data: [DONE]\n\n")


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[1], "w") as handle:
        handle.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
