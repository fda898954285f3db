"""The demo music API: a threaded stdlib HTTP server on loopback, Deezer-like JSON, no network.

Routes (GET, JSON bodies):
  /search/artist?q=NAME[&limit=N]   artists whose name matches
  /artist/{id}                      one artist
  /artist/{id}/albums[?limit=N]     albums of an artist, oldest first
  /album/{id}                       one album
  /album/{id}/tracks                tracks of an album in order
  /search/track?q=TITLE[&limit=N]   tracks whose title matches
Unknown ids answer 404 with a Deezer-style error object. A server started with ``broken``
(route names as the spec's APIs: ``search_artist``, ``artist_albums``, ``album_tracks``,
``search_track``) answers 500 on those routes, for fault scenarios.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from umi_cli.demo.catalog import ALBUMS, ARTISTS, TRACKS

DEFAULT_LIMIT = 25


def _fold(text: str) -> str:
    """Case- and accent-insensitive form used for matching names."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", plain).strip().casefold()


def _matches(query: str, name: str) -> bool:
    words = _fold(query).split()
    folded = _fold(name)
    return bool(words) and all(word in folded for word in words)


#: Fields kept in listings (the full objects come from /album/{id}).
ALBUM_FIELDS = ("id", "title", "release_date", "record_type", "nb_tracks")
TRACK_FIELDS = ("id", "title", "duration", "track_position")


def _brief(item: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {key: item[key] for key in fields}


def _page(items: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    return {"data": items[:limit], "total": len(items)}


#: The routes a fault scenario may break, by the API name the spec gives them.
ROUTES = ("search_artist", "artist_albums", "album_tracks", "search_track")


def route_of(parts: list[str]) -> str | None:
    """The spec's API name for a path's parts (None for the routes without one)."""
    if parts in (["search", "artist"], ["search", "track"]):
        return f"search_{parts[1]}"
    if len(parts) == 3 and (parts[0], parts[2]) in (("artist", "albums"), ("album", "tracks")):
        return f"{parts[0]}_{parts[2]}"
    return None


class MusicCatalog:
    """Answers a path and query with (status, JSON body); no HTTP in here."""

    def __init__(self, broken: Iterable[str] = ()) -> None:
        self.broken = frozenset(broken)
        unknown = self.broken - set(ROUTES)
        if unknown:
            raise ValueError(f"no such demo route: {', '.join(sorted(unknown))}")

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        parts = [part for part in path.split("/") if part]
        if route_of(parts) in self.broken:
            return self._error(500, "ServerException", "internal server error")
        limit = self._limit(query)
        if limit is None:
            return self._error(400, "ParameterException", "limit must be a positive integer")
        if parts == ["search", "artist"]:
            return self._search(query, ARTISTS.values(), "name", limit)
        if parts == ["search", "track"]:
            return self._search(query, TRACKS.values(), "title", limit)
        if len(parts) in (2, 3) and parts[0] in ("artist", "album"):
            return self._lookup(parts, limit)
        return self._error(404, "DataException", f"no route for {path}")

    def _search(
        self, query: dict[str, list[str]], items: Any, field: str, limit: int
    ) -> tuple[int, dict[str, Any]]:
        text = (query.get("q") or [""])[0]
        if not text.strip():
            return self._error(400, "ParameterException", "missing parameter q")
        found = [item for item in items if _matches(text, item[field])]
        return 200, _page(found, limit)

    def _lookup(self, parts: list[str], limit: int) -> tuple[int, dict[str, Any]]:
        kind, raw_id, *rest = parts
        if not raw_id.isdigit():
            return self._error(400, "ParameterException", f"{kind} id must be a number")
        item_id = int(raw_id)
        table = ARTISTS if kind == "artist" else ALBUMS
        if item_id not in table:
            hint = (
                "search_artist gives artist ids"
                if kind == "artist"
                else ("artist_albums gives album ids")
            )
            return self._error(404, "DataException", f"no {kind} with id {item_id} ({hint})")
        if not rest:
            return 200, table[item_id]
        if kind == "artist" and rest == ["albums"]:
            albums = [a for a in ALBUMS.values() if a["artist"]["id"] == item_id]
            albums.sort(key=lambda album: album["release_date"])
            return 200, _page([_brief(a, ALBUM_FIELDS) for a in albums], limit)
        if kind == "album" and rest == ["tracks"]:
            tracks = [t for t in TRACKS.values() if t["album"]["id"] == item_id]
            return 200, _page([_brief(t, TRACK_FIELDS) for t in tracks], limit)
        return self._error(404, "DataException", f"no route for /{'/'.join(parts)}")

    @staticmethod
    def _limit(query: dict[str, list[str]]) -> int | None:
        raw = (query.get("limit") or [str(DEFAULT_LIMIT)])[0]
        return int(raw) if raw.isdigit() and int(raw) > 0 else None

    @staticmethod
    def _error(status: int, kind: str, message: str) -> tuple[int, dict[str, Any]]:
        return status, {"error": {"type": kind, "message": message, "code": status}}


class _Handler(BaseHTTPRequestHandler):
    catalog = MusicCatalog()
    server_version = "umi-demo/1"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        status, body = self.catalog.answer(url.path, parse_qs(url.query))
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the agent reports calls
        pass


class DemoServer:
    """The demo API on 127.0.0.1 at a free port, served from a daemon thread.

    >>> with DemoServer() as server:
    ...     server.url  # 'http://127.0.0.1:PORT'
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, broken: Iterable[str] = ()
    ) -> None:
        handler = type("_BrokenHandler", (_Handler,), {"catalog": MusicCatalog(broken)})
        self._server = ThreadingHTTPServer((host, port), handler if broken else _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="umi-demo-api", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> DemoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
