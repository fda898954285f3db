"""Counting tokens for a served model: here when its GGUF is known, else by the server (each
text asked once and remembered), else an estimate that errs long.

Roles count often (fitting a prompt to its budget is a binary search over counts), so a remote
count is cached by text, and the server's own offset (the BOS its tokenize endpoint may add) is
measured once on the empty text and taken off.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal

from umi_cli.engine.remote.local import LocalVocab

log = logging.getLogger(__name__)

Counting = Literal["local", "server", "estimate"]
#: UTF-8 bytes per token assumed by the estimate (real vocabularies average 3-4 on prose).
BYTES_PER_TOKEN = 3.0


class TokenCounter:
    """``count(text)`` by the best means the endpoint has; ``how`` says which."""

    def __init__(
        self,
        *,
        local: LocalVocab | None = None,
        remote: Callable[[str], int] | None = None,
        cache_size: int = 4096,
        label: str = "model",
    ) -> None:
        self.local = local
        self.remote = remote
        self.how: Counting = "local" if local else "server" if remote else "estimate"
        self.remote_calls = 0
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._size = cache_size
        self._offset: int | None = None
        self._label = label
        self._warned = False
        self._lock = threading.Lock()

    def count(self, text: str) -> int:
        if self.local is not None:
            return self.local.count(text)
        if self.remote is None:
            return self._estimate(text)
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        if self._offset is None:
            self._offset = self._ask("")
        value = max(0, self._ask(text) - self._offset)
        with self._lock:
            self._cache[text] = value
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return value

    def bos_tokens(self) -> int:
        """Tokens the server puts before a prompt (its BOS), as far as can be told here."""
        if self.local is not None:
            return int(self.local.adds_bos)
        if self.remote is None:
            return 0
        if self._offset is None:
            self._offset = self._ask("")
        return self._offset

    def _ask(self, text: str) -> int:
        assert self.remote is not None
        self.remote_calls += 1
        return self.remote(text)

    def _estimate(self, text: str) -> int:
        if not self._warned:
            self._warned = True
            log.warning(
                "%s: the server counts no tokens and no local GGUF is given; prompt lengths are "
                "estimated (add endpoint gguf: for exact counts)",
                self._label,
            )
        return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)
