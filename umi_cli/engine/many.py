"""Several completions at once, over any backend.

A *many-stream* yields ``(index, piece)`` as the completions are decoded, ``(index, "")`` once
completion ``index`` has ended, and returns the completions in request order::

    completions = yield from stream_many(backend, requests)

A backend that decodes several sequences in one batch (the in-process llama.cpp backend) does it
natively (``stream_many``); one that serves several requests at once (``caps.parallel``) gets
them as concurrent requests; any other runs them one after another. A request that fails on its
own leaves the others running: the many-stream then raises :class:`PartialCompletions` with what
did complete. Closing a many-stream early stops every completion in it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, runtime_checkable

from umi_cli.engine.backend import Backend, CompletionStream
from umi_cli.engine.types import Completion, CompletionRequest
from umi_cli.errors import UmiError

#: Pieces of several completions (``(index, piece)``; ``(index, "")`` when one ends), returning
#: the completions in request order.
ManyStream = Generator[tuple[int, str], None, list[Completion]]


class PartialCompletions(UmiError):
    """Some completions of a many-stream failed: ``completions[i]`` is None where ``errors[i]``
    says why (one line each)."""

    def __init__(self, completions: list[Completion | None], errors: dict[int, str]) -> None:
        first = min(errors)
        super().__init__(f"{len(errors)} of {len(completions)} completions failed: {errors[first]}")
        self.completions = completions
        self.errors = errors


@runtime_checkable
class BatchedBackend(Protocol):
    """A backend that decodes several completions together (one batch per step)."""

    def stream_many(self, requests: Sequence[CompletionRequest]) -> ManyStream: ...


def stream_many(backend: Backend, requests: Sequence[CompletionRequest]) -> ManyStream:
    """The completions of ``requests`` on ``backend``: batched, concurrent or one by one."""
    if not requests:
        return []
    if isinstance(backend, BatchedBackend):
        return (yield from backend.stream_many(requests))
    if backend.caps.parallel > 1 and len(requests) > 1:
        return (yield from concurrent_requests(backend, requests, backend.caps.parallel))
    return (yield from sequential_requests(backend, requests))


def sequential_requests(backend: Backend, requests: Sequence[CompletionRequest]) -> ManyStream:
    """Each request in turn (a failing one is recorded and the next one runs)."""
    done: list[Completion | None] = []
    errors: dict[int, str] = {}
    for index, request in enumerate(requests):
        try:
            completion = yield from _indexed(index, backend.stream(request))
        except UmiError as exc:
            errors[index] = str(exc)
            completion = None
        done.append(completion)
        yield index, ""
    return _checked(done, errors)


def concurrent_requests(
    backend: Backend, requests: Sequence[CompletionRequest], workers: int
) -> ManyStream:
    """The requests as concurrent completions, at most ``workers`` at a time."""
    jobs = [_single_job(backend, request) for request in requests]
    outcomes = yield from interleave_indexed(jobs, workers=workers)
    done: list[Completion | None] = []
    errors: dict[int, str] = {}
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, UmiError):
            errors[index] = str(outcome)
            done.append(None)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            done.append(outcome[0])
    return _checked(done, errors)


#: One unit of concurrent work: makes (on its worker thread) a many-stream and drives it there.
Job = Callable[[], ManyStream]
#: A job's result: its completions, or what it raised.
JobOutcome = list[Completion] | BaseException


def interleave(
    jobs: Sequence[Job], *, workers: int | None = None
) -> Generator[tuple[int, int, str], None, list[JobOutcome]]:
    """Run ``jobs`` on worker threads; yield ``(job, index, piece)`` as they decode and return
    each job's outcome (its completions, or the exception it raised, in job order).

    Closing this generator stops every job at its next piece.
    """
    if not jobs:
        return []
    #: (job, (index, piece)) while it decodes, then (job, None, outcome) once.
    inbox: queue.Queue[tuple[int, tuple[int, str] | None, JobOutcome | None]] = queue.Queue()
    stop = threading.Event()

    def drive(number: int, job: Job) -> None:
        try:
            stream = job()
            try:
                while True:
                    try:
                        piece = next(stream)
                    except StopIteration as done:
                        inbox.put((number, None, done.value))
                        return
                    if stop.is_set():
                        return
                    inbox.put((number, piece, None))
            finally:
                stream.close()
        except BaseException as exc:  # handed to the consumer's thread, which decides
            inbox.put((number, None, exc))

    outcomes: dict[int, JobOutcome] = {}
    executor = ThreadPoolExecutor(max_workers=workers or len(jobs), thread_name_prefix="umi-many")
    try:
        for number, job in enumerate(jobs):
            executor.submit(drive, number, job)
        while len(outcomes) < len(jobs):
            number, piece, outcome = inbox.get()
            if piece is not None:
                yield number, piece[0], piece[1]
            elif outcome is not None:
                outcomes[number] = outcome
    finally:
        stop.set()
        executor.shutdown(wait=True, cancel_futures=True)
    return [outcomes[number] for number in range(len(jobs))]


def interleave_indexed(
    jobs: Sequence[Job], *, workers: int | None = None
) -> Generator[tuple[int, str], None, list[JobOutcome]]:
    """:func:`interleave` for jobs of one completion each: yields ``(job, piece)``."""
    inner = interleave(jobs, workers=workers)
    try:
        while True:
            try:
                job, _index, piece = next(inner)
            except StopIteration as done:
                return done.value
            yield job, piece
    finally:
        inner.close()


def _single_job(backend: Backend, request: CompletionRequest) -> Job:
    return lambda: _as_many(backend.stream(request))


def _as_many(stream: CompletionStream) -> ManyStream:
    completion = yield from _indexed(0, stream)
    yield 0, ""
    return [completion]


def _indexed(index: int, stream: CompletionStream) -> Generator[tuple[int, str], None, Completion]:
    """Pieces of one completion as ``(index, piece)``; closing it closes the completion."""
    try:
        while True:
            try:
                piece = next(stream)
            except StopIteration as done:
                return done.value
            if piece:
                yield index, piece
    finally:
        stream.close()


def _checked(done: list[Completion | None], errors: dict[int, str]) -> list[Completion]:
    if errors:
        raise PartialCompletions(done, errors)
    return [completion for completion in done if completion is not None]
