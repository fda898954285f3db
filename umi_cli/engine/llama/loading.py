"""The one way umi (and its tests and benchmarks) opens a GGUF with ``llama_cpp.Llama``.

``Llama.__init__`` builds its ``llama_model_params`` from ``llama_model_default_params()`` and
loads the model in the same call, exposing no argument for ``use_extra_bufts``. So while a model
opens with extra buffer types turned off (see :mod:`umi_cli.engine.llama.extra_buffers`), that
default function is wrapped to return params with the field cleared; a lock keeps other loads
out of the window. The context's sequence count is set the same way (``n_seq_max``: several
sequences decoded in one batch, :mod:`umi_cli.engine.llama.batched`), with one unified KV
cache so that sequence 0 alone still has the whole ``n_ctx``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

import llama_cpp
import llama_cpp.llama_cpp as llama_c
from llama_cpp import Llama

from umi_cli.engine.llama.extra_buffers import machine_extra_buffers

log = logging.getLogger(__name__)
_lock = threading.Lock()


def supports_extra_buffer_switch() -> bool:
    """Whether this llama-cpp-python exposes ``llama_model_params.use_extra_bufts``."""
    return any(name == "use_extra_bufts" for name, *_ in llama_c.llama_model_params._fields_)


@contextlib.contextmanager
def _model_defaults(use_extra_bufts: bool) -> Iterator[None]:
    original = llama_c.llama_model_default_params

    def defaults() -> llama_c.llama_model_params:
        params = original()
        params.use_extra_bufts = use_extra_bufts
        return params

    llama_c.llama_model_default_params = defaults
    try:
        yield
    finally:
        llama_c.llama_model_default_params = original


@contextlib.contextmanager
def _context_defaults(n_seq_max: int) -> Iterator[None]:
    """Contexts created inside hold ``n_seq_max`` sequences in one unified KV cache (without
    it, llama.cpp gives each sequence ``n_ctx / n_seq_max`` cells)."""
    original = llama_c.llama_context_default_params

    def defaults() -> llama_c.llama_context_params:
        params = original()
        params.n_seq_max = n_seq_max
        params.kv_unified = True
        return params

    llama_c.llama_context_default_params = defaults
    try:
        yield
    finally:
        llama_c.llama_context_default_params = original


def open_llama(model_path: str, *, n_seq_max: int = 1, **kwargs: Any) -> Llama:
    """``Llama(model_path, **kwargs)`` with this machine's extra-buffer decision applied and a
    context of ``n_seq_max`` sequences."""
    decision = machine_extra_buffers()
    extra_bufts = decision.enabled
    if not extra_bufts and not supports_extra_buffer_switch():
        log.warning(
            "llama-cpp-python %s cannot turn off weight repacking (%s); upgrade it to 0.3.36 "
            "or later",
            llama_cpp.__version__,
            decision.reason,
        )
        extra_bufts = True
    if extra_bufts and n_seq_max <= 1:
        return Llama(model_path=model_path, **kwargs)
    with _lock, contextlib.ExitStack() as windows:
        if not extra_bufts:
            windows.enter_context(_model_defaults(use_extra_bufts=False))
        if n_seq_max > 1:
            windows.enter_context(_context_defaults(n_seq_max))
        return Llama(model_path=model_path, **kwargs)
