"""One BackendPool per process: each model reference is opened once and shared by every agent.

``umi batch`` over tasks with different tool selections, ``chat /profile`` switching between
profiles that share a model, eval and bench all get the same backend object for the same
reference. Openers are registered by reference kind: ``file`` (in-process llama.cpp) and
``endpoint`` (an OpenAI-compatible server), each imported on first use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from umi_cli.engine.backend import Backend
from umi_cli.models.refs import ModelRef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PoolSettings:
    """How in-process models are loaded: GPU layers (None: all when offload is supported)
    and CPU threads (None: the physical cores)."""

    n_gpu_layers: int | None = None
    n_threads: int | None = None


class BackendOpener(Protocol):
    """Opens references of one kind."""

    def open(self, ref: Any, n_ctx: int) -> Backend: ...

    def describe(self) -> dict[str, Any]: ...


def _llama(settings: PoolSettings) -> BackendOpener:
    from umi_cli.engine.llama.opener import LlamaOpener

    return LlamaOpener(n_gpu_layers=settings.n_gpu_layers, n_threads=settings.n_threads)


def _remote(settings: PoolSettings) -> BackendOpener:
    from umi_cli.engine.remote.opener import RemoteOpener

    return RemoteOpener()


#: Reference kind -> opener factory (imported on first use).
OPENERS: dict[str, Callable[[PoolSettings], BackendOpener]] = {"file": _llama, "endpoint": _remote}


class BackendPool:
    """Opens backends by reference, once each; a context manager that closes them all."""

    def __init__(
        self,
        settings: PoolSettings | None = None,
        *,
        wrap: Callable[[Backend], Backend] | None = None,
    ) -> None:
        """``wrap`` is applied to every backend opened (benchmarks record requests with it)."""
        self.settings = settings or PoolSettings()
        self.wrap = wrap
        self.loads = 0
        self._openers: dict[str, BackendOpener] = {}
        self._open: dict[str, Backend] = {}
        self._lock = threading.Lock()

    def open(self, ref: ModelRef, n_ctx: int) -> Backend:
        """The backend of ``ref``, opened on first use with ``n_ctx`` tokens of context.

        The first open fixes the context size; a later call asking for more gets the same
        backend (a completion that does not fit then fails with a clear error).
        """
        with self._lock:
            backend = self._open.get(ref.key)
            if backend is None:
                backend = self._opener(ref.kind).open(ref, n_ctx)
                if self.wrap is not None:
                    backend = self.wrap(backend)
                self._open[ref.key] = backend
                self.loads += 1
            elif n_ctx > backend.n_ctx:
                log.debug("%s already open with n_ctx=%d (asked %d)", ref.key, backend.n_ctx, n_ctx)
            return backend

    def opener(self, kind: str = "file") -> BackendOpener:
        """The opener of a reference kind (its settings are what `umi doctor` shows)."""
        with self._lock:
            return self._opener(kind)

    def _opener(self, kind: str) -> BackendOpener:
        if kind not in self._openers:
            self._openers[kind] = OPENERS[kind](self.settings)
        return self._openers[kind]

    @property
    def backends(self) -> list[Backend]:
        """What is open now, in opening order."""
        return list(self._open.values())

    def close_unused(self, keep: Iterable[Backend]) -> None:
        """Close every open backend not in ``keep`` (a profile switch frees the old models)."""
        kept = {id(backend) for backend in keep}
        with self._lock:
            for key, backend in list(self._open.items()):
                if id(backend) not in kept:
                    backend.close()
                    del self._open[key]

    def close(self) -> None:
        """Close every backend."""
        self.close_unused(())

    def __enter__(self) -> BackendPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
