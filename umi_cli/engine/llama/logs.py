"""Route llama.cpp's own log lines into Python ``logging`` (logger ``umi.llama``).

llama.cpp writes through a C callback; we install ours once, join continuation fragments into
lines and log each line at DEBUG level (llama.cpp's warnings and errors marked ``[warn]`` /
``[error]``): they are diagnostics, shown with ``--debug``; failures that matter to the user
surface as :class:`~umi_cli.errors.UmiError` from the engine instead. :func:`capture_llama_log`
also collects the lines emitted by the current thread, to turn a failure into one clean message.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import llama_cpp

logger = logging.getLogger("umi.llama")
logger.addHandler(logging.NullHandler())  # never Python's last-resort stderr handler

# enum ggml_log_level { NONE = 0, DEBUG = 1, INFO = 2, WARN = 3, ERROR = 4, CONT = 5 }
_MARKS = {3: "[warn] ", 4: "[error] "}
_CONT = 5

_lock = threading.Lock()
_installed = False
_local = threading.local()
_pending: dict = {"level": 2, "text": ""}


def _emit(level: int, line: str) -> None:
    line = line.rstrip()
    if not line:
        return
    captured = getattr(_local, "captured", None)
    if captured is not None:  # logged when the capture ends (stderr may be redirected now)
        captured.append((level, line))
    else:
        logger.debug("%s%s", _MARKS.get(level, ""), line)


@llama_cpp.llama_log_callback
def _on_log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    try:
        piece = text.decode("utf-8", errors="replace") if text else ""
        if level != _CONT:
            if _pending["text"]:
                _emit(_pending["level"], _pending["text"])
            _pending["level"], _pending["text"] = level, ""
        _pending["text"] += piece
        *lines, rest = _pending["text"].split("\n")
        for line in lines:
            _emit(_pending["level"], line)
        _pending["text"] = rest
    except Exception:  # a C callback must never raise
        pass


def install_llama_log() -> None:
    """Send llama.cpp's (and ggml's) log output to the ``umi.llama`` logger; idempotent."""
    global _installed
    with _lock:
        if _installed:
            return
        llama_cpp.llama_log_set(_on_log, ctypes.c_void_p(0))
        _installed = True


@contextmanager
def capture_llama_log() -> Iterator[list[str]]:
    """Collect the llama.cpp log lines emitted by this thread inside the block.

    After the block, the list holds the warning and error lines (the ones that explain a
    failure); every line is also logged.

    The lines are logged when the block ends, not while it runs: llama-cpp-python redirects the
    process's stderr while it loads a model, which would swallow them.
    """
    install_llama_log()
    previous = getattr(_local, "captured", None)
    records: list[tuple[int, str]] = []
    lines: list[str] = []
    _local.captured = records
    try:
        yield lines
    finally:
        if _pending["text"]:
            _emit(_pending["level"], _pending["text"])
            _pending["text"] = ""
        _local.captured = previous
        lines.extend(line for level, line in records if level in _MARKS)
        for level, line in records:
            _emit(level, line)
