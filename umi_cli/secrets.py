"""Secrets umi holds (API keys read from the environment): scrubbed from every text it writes.

A secret is registered when umi reads it (:func:`remember`); from then on :func:`redact` replaces
it, and the forms it takes on the wire (percent-encoded, form-encoded with ``+``, JSON-escaped),
with ``***``. Log records of every library pass through :class:`RedactingFilter`, which
:func:`install_log_redaction` puts on the root handlers, so ``--debug`` output is safe to paste.
"""

from __future__ import annotations

import json
import logging
import threading
from urllib.parse import quote, quote_plus

MASK = "***"
#: Shorter values are not treated as secrets (they would mask ordinary text everywhere).
MIN_LENGTH = 4

_lock = threading.Lock()
_forms: list[str] = []  # every registered form, longest first


def forms(secret: str) -> set[str]:
    """The texts a secret can appear as: itself, URL- and form-encoded, JSON-escaped."""
    found = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    found.add(json.dumps(secret)[1:-1])
    found.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    return {form for form in found if len(form) >= MIN_LENGTH}


def remember(secret: str | None) -> None:
    """Register a secret (idempotent); empty and very short values are ignored."""
    if not secret or len(secret) < MIN_LENGTH:
        return
    with _lock:
        fresh = forms(secret) - set(_forms)
        if fresh:
            _forms.extend(fresh)
            _forms.sort(key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every registered secret form replaced by ``***``."""
    for form in tuple(_forms):
        if form in text:
            text = text.replace(form, MASK)
    return text


def forget_all() -> None:
    """Drop every registered secret (tests)."""
    with _lock:
        _forms.clear()


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and traceback text) with the secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _forms:
            message = record.getMessage()
            record.msg, record.args = redact(message), None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
            if record.stack_info:
                record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of ``logger`` (default: the root logger)."""
    for handler in (logger or logging.getLogger()).handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
