"""Two small text rules used everywhere: cutting an observation, and an error as one line."""

from __future__ import annotations

#: Longest one-line error kept in events and records.
ONE_LINE_CHARS = 300


def clip(text: str, limit: int) -> str:
    """FORMAT.md §6: the first ``limit`` characters plus ``"..."`` when the text is longer."""
    return text if len(text) <= limit else text[:limit] + "..."


def one_line(error: BaseException | str) -> str:
    """An exception (or text) as one line: whitespace runs collapsed, at most 300 characters."""
    text = " ".join(str(error).split()) or (
        type(error).__name__ if isinstance(error, BaseException) else ""
    )
    return text if len(text) <= ONE_LINE_CHARS else text[: ONE_LINE_CHARS - 3] + "..."
