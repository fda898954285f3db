"""Seeded generators of malformed inputs: mutations of valid texts plus known-hostile shapes.

Every generator is deterministic for a seed, so a failing case can be reproduced by its index.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

#: Shapes that have crashed or exhausted parsers: deep nesting, alias bombs, odd bytes.
HOSTILE_TEXTS: tuple[bytes, ...] = (
    b"[" * 20000 + b"]" * 20000,
    b"{" * 5000,
    b"a:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 300)),
    b"x: " + b"[" * 20000,
    (
        b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        b"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        b"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        b"h: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    ),
    b"\xff\xfe\x00\x01not utf-8\x80\x81",
    b"\x00" * 64,
    b"",
    b"   \n\n\t",
    b"name: x\nname: y\n",
    b"!!python/object/apply:os.system ['echo hacked']\n",
    b"- 1\n- 2\n",
    b"null",
    b"12345678901234567890123456789012345678901234567890",
    b'"' + b"a" * 200_000 + b'"',
    b"key: 'unterminated\n",
    b"\t- tab indent\n",
)

_SNIPPETS = (b"[", b"]", b"{", b"}", b":", b",", b"- ", b"\n", b'"', b"'", b"&a ", b"*a",
             b"null", b"-1", b"1e999", b"\xc3", b"\x80", b"\x00", b"  ", b"#", b"!!str ",
             b"\\u0000", b"true")  # fmt: skip


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random edit: flip, delete, insert a snippet, duplicate or truncate."""
    if not data:
        return rng.choice(_SNIPPETS)
    kind = rng.randrange(6)
    at = rng.randrange(len(data))
    if kind == 0:
        return data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]
    if kind == 1:
        end = min(len(data), at + rng.randrange(1, 40))
        return data[:at] + data[end:]
    if kind == 2:
        return data[:at] + rng.choice(_SNIPPETS) + data[at:]
    if kind == 3:
        end = min(len(data), at + rng.randrange(1, 80))
        return data[:end] + data[at:end] * rng.randrange(2, 5) + data[end:]
    if kind == 4:
        return data[:at]
    return data[:at] + rng.choice(_SNIPPETS) * rng.randrange(50, 3000) + data[at:]


def cases(valid: bytes, count: int, seed: int) -> Iterator[bytes]:
    """The hostile texts, then ``count`` mutants of ``valid`` (1–4 edits each)."""
    yield from HOSTILE_TEXTS
    rng = random.Random(seed)
    for _ in range(count):
        data = valid
        for _ in range(rng.randrange(1, 5)):
            data = mutate(data, rng)
        yield data
