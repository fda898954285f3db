"""Grammar constraints: validate GBNF before llama.cpp sees it; JSON Schema to GBNF."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import llama_cpp
from llama_cpp.llama_grammar import json_schema_to_gbnf

from umi_cli.engine.llama.gbnf import GbnfSyntaxError, check_gbnf_syntax
from umi_cli.engine.llama.logs import capture_llama_log
from umi_cli.errors import UmiError

_stderr_lock = threading.Lock()


class GrammarError(UmiError):
    """A GBNF grammar (or JSON Schema) that llama.cpp cannot use; one line says what is wrong."""


def check_grammar(gbnf: str) -> None:
    """Raise :class:`GrammarError` unless ``gbnf`` is a grammar llama.cpp accepts."""
    _check_cached(gbnf)


@lru_cache(maxsize=256)
def _check_cached(gbnf: str) -> None:
    try:
        check_gbnf_syntax(gbnf)
    except GbnfSyntaxError as exc:
        raise GrammarError(f"invalid grammar: {exc}") from None
    if "<" in gbnf and not _only_in_literals(gbnf, "<"):
        return  # token references need a vocabulary; the syntax check above must do
    _check_with_llama(gbnf)


def _only_in_literals(text: str, char: str) -> bool:
    """True when every ``char`` in ``text`` sits inside a quoted literal or character class."""
    inside: str | None = None
    escaped = False
    for c in text:
        if escaped:
            escaped = False
        elif c == "\\" and inside:
            escaped = True
        elif inside:
            if c == inside:
                inside = None
        elif c == '"':
            inside = '"'
        elif c == "[":
            inside = "]"
        elif c == char:
            return False
    return True


def _check_with_llama(gbnf: str) -> None:
    """Let llama.cpp's own parser judge; its complaints become one line."""
    with capture_llama_log() as lines, _stderr_captured() as stderr:
        sampler = llama_cpp.llama_sampler_init_grammar(None, gbnf.encode("utf-8"), b"root")
    if sampler:
        llama_cpp.llama_sampler_free(sampler)
        return
    detail = [ln.strip() for ln in stderr() if ln.strip()][:1] or [ln for ln in lines][-1:]
    reason = detail[0] if detail else "llama.cpp could not parse it"
    reason = reason.removeprefix("parse: error parsing grammar: ")
    raise GrammarError(f"invalid grammar: {reason}")


@contextmanager
def _stderr_captured() -> Iterator[Any]:
    """Redirect file descriptor 2 into a temporary file; yields a reader of the lines."""
    captured: list[str] = []
    with _stderr_lock, tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            yield lambda: captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.extend(sink.read().decode("utf-8", errors="replace").splitlines())


def json_schema_grammar(schema: dict[str, Any] | str) -> str:
    """GBNF that only admits JSON documents valid for ``schema`` (llama.cpp's converter)."""
    text = schema if isinstance(schema, str) else json.dumps(schema)
    try:
        grammar = json_schema_to_gbnf(text)
    except Exception as exc:  # the converter raises bare ValueErrors/KeyErrors etc.
        raise GrammarError(f"unsupported JSON schema: {exc}") from None
    check_grammar(grammar)
    return grammar
