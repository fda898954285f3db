"""Read a response body within a size cap and a deadline, inflating it ourselves.

httpx would inflate a ``Content-Encoding: gzip`` body chunk by chunk, but one 3 KB chunk of a
stacked gzip bomb inflates to a gigabyte before any size check sees it. So umi asks only for
``gzip`` and ``deflate``, reads the raw bytes and runs each coding through a ``zlib``
decompressor that is never allowed to produce more than the cap. The body must also arrive
before the call's deadline: a server that trickles a byte at a time is cut off.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

#: What umi sends as ``Accept-Encoding``; other codings are refused.
ACCEPTED_CODINGS = ("gzip", "deflate")


class BodyError(Exception):
    """The body cannot be read: an unknown or corrupt coding, or the deadline passed."""

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


@dataclass(frozen=True)
class Body:
    """The decoded bytes (at most the cap), whether more were there, and the wire size."""

    data: bytes
    clipped: bool
    wire_bytes: int


class _Inflater:
    """One content coding, inflating at most ``limit`` bytes in all."""

    def __init__(self, coding: str, limit: int) -> None:
        if coding == "gzip" or coding == "x-gzip":
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._inflate = zlib.decompressobj()  # zlib wrapper; raw deflate is retried below
        else:
            raise BodyError(f"the API answered with Content-Encoding {coding!r}, which umi did "
                            f"not ask for (only {', '.join(ACCEPTED_CODINGS)})")  # fmt: skip
        self.coding = coding
        self.room = limit + 1  # one byte past the cap tells that the body was cut
        self._pending = b""
        self._first = True

    def feed(self, data: bytes) -> bytes:
        if self.room <= 0:
            return b""
        self._pending += data
        try:
            out = self._inflate.decompress(self._pending, self.room)
        except zlib.error:
            if self.coding == "deflate" and self._first:  # servers that send raw deflate
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                self._first = False
                return self.feed(b"")
            raise BodyError(f"the API's {self.coding} body is corrupt") from None
        self._first = False
        self._pending = self._inflate.unconsumed_tail
        self.room -= len(out)
        return out


def codings(header: str | None) -> list[str]:
    """The codings of a ``Content-Encoding`` header, in the order they were applied."""
    found = [part.strip().lower() for part in (header or "").split(",")]
    return [coding for coding in found if coding and coding != "identity"]


def read_body(
    chunks: Iterable[bytes], *, content_encoding: str | None, limit: int, deadline: float
) -> Body:
    """Decode raw ``chunks`` into at most ``limit`` bytes, failing once ``deadline`` (a
    ``time.monotonic`` value) has passed."""
    layers = [_Inflater(coding, limit) for coding in reversed(codings(content_encoding))]
    parts: list[bytes] = []
    size = wire = 0
    for chunk in chunks:
        wire += len(chunk)
        if time.monotonic() > deadline:
            raise BodyError("the API did not finish answering in time", timeout=True)
        for layer in layers:
            chunk = layer.feed(chunk)
        parts.append(chunk)
        size += len(chunk)
        if size > limit or wire > limit or any(layer.room <= 0 for layer in layers):
            return Body(b"".join(parts)[:limit], True, wire)
    return Body(b"".join(parts), False, wire)
