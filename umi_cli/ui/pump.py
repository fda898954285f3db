"""Drive an agent's event stream from a worker thread so that Ctrl-C stays responsive.

The main thread only waits for events and hands them to a consumer; a first Ctrl-C asks the agent
to cancel (the running step stops and the stream ends with its ``RunFinished``), a second one
raises ``KeyboardInterrupt`` at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from umi_cli.agent.events import Event, RunFinished

_DONE = object()


@dataclass
class PumpResult:
    finished: RunFinished | None
    interrupted: bool


@dataclass
class _Crash:
    error: BaseException


def pump(
    events: Iterable[Event],
    consumer: Callable[[Event], None],
    *,
    cancel: Callable[[], None],
    on_interrupt: Callable[[], None] | None = None,
    repeat_cancels: bool = False,
) -> PumpResult:
    """Consume ``events`` (iterated on a worker thread) until the stream ends.

    With ``repeat_cancels`` a second Ctrl-C cancels again instead of raising (the REPL must not
    lose an agent whose step is still unwinding).
    """
    inbox: queue.Queue[object] = queue.Queue()

    def produce() -> None:
        try:
            for event in events:
                inbox.put(event)
        except BaseException as exc:  # handed to the main thread, which re-raises it
            inbox.put(_Crash(exc))
        finally:
            inbox.put(_DONE)

    worker = threading.Thread(target=produce, name="umi-agent", daemon=True)
    worker.start()
    result = PumpResult(finished=None, interrupted=False)

    def interrupt() -> None:
        if result.interrupted and not repeat_cancels:
            raise KeyboardInterrupt
        result.interrupted = True
        cancel()
        if on_interrupt is not None:
            on_interrupt()

    while True:
        try:
            item = inbox.get(timeout=0.25)
        except queue.Empty:
            continue
        except KeyboardInterrupt:
            interrupt()
            continue
        if item is _DONE:
            break
        if isinstance(item, _Crash):
            raise item.error
        assert isinstance(item, Event)
        if isinstance(item, RunFinished):
            result.finished = item
        try:
            consumer(item)
        except KeyboardInterrupt:
            interrupt()
    worker.join()
    return result
