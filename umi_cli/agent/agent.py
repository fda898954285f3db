"""The agent: a mode over a toolbox, with a chat's memory; every run is a stream of events.

``run`` never raises: a failure ends the stream with a failed :class:`RunFinished` (a user's
mistake as one line; our own bug as ``internal error: ...`` with its traceback in the log).
The agent, its toolbox and its backends are closed by whoever opened them (``with agent:``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from umi_cli.agent import format as fmt
from umi_cli.agent.context import Cancelled, RunContext
from umi_cli.agent.events import Event, Outcome, RunFinished, RunStarted
from umi_cli.agent.modes.base import Mode
from umi_cli.agent.options import RunOptions
from umi_cli.agent.transcript import Transcript
from umi_cli.errors import UmiError
from umi_cli.text import one_line
from umi_cli.tools.toolbox import Toolbox

log = logging.getLogger(__name__)


class Agent:
    """A mode, its tools and the options of its runs, with multi-turn memory."""

    def __init__(
        self, *, mode: Mode, toolbox: Toolbox, options: RunOptions, profile: str = ""
    ) -> None:
        self.mode = mode
        self.toolbox = toolbox
        self.options = options
        self.profile = profile or options.profile
        self._memory: list[fmt.Turn] = []
        self._cancelled = threading.Event()

    @property
    def memory(self) -> list[fmt.Turn]:
        """Earlier tasks' user turns and answers, as the roles see them."""
        return list(self._memory)

    def cancel(self) -> None:
        """Stop the running step (thread-safe); the run ends as failed / ``cancelled``."""
        self._cancelled.set()

    def reset(self) -> None:
        """Forget earlier tasks."""
        self._memory.clear()

    def run(self, task: str) -> Iterator[Event]:
        """Run one task, yielding events; never raises (failures end in ``RunFinished``)."""
        started = time.perf_counter()
        self._cancelled.clear()
        transcript = Transcript(self._memory)
        ctx = RunContext(
            toolbox=self.toolbox,
            options=self.options,
            transcript=transcript,
            cancelled=self._cancelled,
        )
        outcome: Outcome = "failed"
        error = None
        begun = RunStarted(task=task, profile=self.profile, tools=self.toolbox.names())
        try:
            yield ctx.emit(begun)
            outcome = yield from self.mode.run(task, ctx)
        except Cancelled:
            error = "cancelled"
        except UmiError as exc:  # the user can fix it: one line
            error = one_line(exc)
        except Exception as exc:  # our bug: a failed outcome, with the traceback in the log
            log.debug("internal error in the run of %r", task, exc_info=True)
            error = (
                f"internal error: {type(exc).__name__}: {one_line(exc)} "
                "(run with --debug for the traceback)"
            )
        answer = transcript.answer if outcome == "answered" else None
        finished = RunFinished(
            outcome=outcome,
            answer=answer,
            steps=ctx.step,
            attempts=max(transcript.attempts, 1),
            totals=transcript.totals,
            wall_seconds=time.perf_counter() - started,
            error=error,
        )
        self._memory = transcript.memory_after(outcome)
        yield finished

    def close(self) -> None:
        """Close the toolbox (the backends belong to the pool that opened them)."""
        self.toolbox.close()

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
