"""Progress of long file operations (download, assembly, hashing) as Rich bars on stderr."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

Advance = Callable[[int], None]


class TransferProgress:
    """One Rich bar per file (size, speed, ETA) plus one-line notes, all on ``console``.

    Code that fetches models takes ``progress: TransferProgress | None``; None means silent.
    """

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._progress: Progress | None = None

    def _bars(self) -> Progress:
        if self._progress is None:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=self.console,
            )
            self._progress.start()
        return self._progress

    @contextmanager
    def bar(self, description: str, total: int | None, initial: int = 0) -> Iterator[Advance]:
        """A bar for one file; yields a function to call with each chunk's byte count."""
        bars = self._bars()
        task = bars.add_task(description, total=total, completed=initial)
        try:
            yield lambda n: bars.advance(task, n)
        finally:
            bars.refresh()

    def note(self, message: str) -> None:
        """One line for the user (a corrupted file found, a source skipped)."""
        if self._progress is not None:
            self._progress.console.print(message, markup=False, highlight=False, soft_wrap=True)
        else:
            self.console.print(message, markup=False, highlight=False, soft_wrap=True)

    def close(self) -> None:
        """Stop the live display (the bars stay printed)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> TransferProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def tqdm_class(self, description: str) -> type:
        """A tqdm-compatible class for ``huggingface_hub`` that draws into this display."""
        owner = self

        class RichTqdm:
            def __init__(self, *args: Any, total: int | None = None, initial: int = 0, **_: Any):
                self._cm: Any = owner.bar(description, total, initial)
                self._advance = self._cm.__enter__()

            def update(self, n: int | float | None = 1) -> None:
                if n:
                    self._advance(int(n))

            def close(self) -> None:
                if self._cm is not None:
                    self._cm.__exit__(None, None, None)
                    self._cm = None

            def __enter__(self) -> RichTqdm:
                return self

            def __exit__(self, *exc: object) -> None:
                self.close()

        return RichTqdm


def note(progress: TransferProgress | None, message: str) -> None:
    """Report ``message`` through ``progress``, or to the log when running silently."""
    if progress is not None:
        progress.note(message)
    else:
        import logging

        logging.getLogger("umi.models").warning(message)
