"""A backend that records every request it serves and the wall time inside: the seam benchmarks
and tests wrap instead of patching the engine."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from umi_cli.engine.backend import Backend, BackendCaps, CompletionStream
from umi_cli.engine.types import Completion, CompletionRequest


@dataclass
class RecordedCall:
    """One completion as the backend saw it: the request, its result and the seconds inside."""

    request: CompletionRequest
    completion: Completion | None = None
    seconds: float = 0.0


@dataclass
class RecordingBackend:
    """Wraps a backend; ``calls`` lists every completion streamed through it, in order."""

    inner: Backend
    calls: list[RecordedCall] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def caps(self) -> BackendCaps:
        return self.inner.caps

    @property
    def n_ctx(self) -> int:
        return self.inner.n_ctx

    def stream(self, request: CompletionRequest) -> CompletionStream:
        record = RecordedCall(request)
        self.calls.append(record)
        started = time.perf_counter()
        try:
            record.completion = yield from self.inner.stream(request)
        finally:
            record.seconds = time.perf_counter() - started
        return record.completion

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def render_chat(
        self,
        messages: list[dict[str, Any]],
        *,
        add_generation_prompt: bool = True,
        tools: list[dict[str, Any]] | None = None,
    ) -> str:
        return self.inner.render_chat(
            messages, add_generation_prompt=add_generation_prompt, tools=tools
        )

    def forget(self, slot: str | None = None) -> None:
        self.inner.forget(slot)

    def close(self) -> None:
        self.inner.close()
