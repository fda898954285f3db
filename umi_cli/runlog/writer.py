"""The run log as an event consumer: every run, chat turn and batch task becomes one row.

:class:`RunLogWriter` is called with each event of a run (as any consumer is); it keeps the
events (``token`` events aside) from ``run_started`` and records the run when ``run_finished``
arrives. A run that never finishes (a second Ctrl-C) is recorded as ``unfinished`` by
:meth:`RunLogWriter.close`. What the events do not say — the mode, the tool documents the models
saw, the chat memory before the task, the prompt format — comes from a :class:`RunSetting`, asked
for when the run starts (so a chat that switches profile logs each turn with its own).

The log must never break a run: a failure to write it is one warning line (``warn``, default
stderr), and the run goes on. One writer follows one stream of events; concurrent runs (batch
jobs) each get their own writer, and may share one :class:`RunLog`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from umi_cli.errors import UmiError
from umi_cli.runlog.model import ALPHA_UMI_FORMAT, Event, LoggedRun, Turn
from umi_cli.runlog.store import RunLog


class EventLike(Protocol):
    """What the writer needs of an event: its JSON form (``Event.to_dict``)."""

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RunSetting:
    """What a run's events do not carry: how it was set up."""

    mode: str
    documents: list[dict[str, Any]] = field(default_factory=list)
    memory: list[Turn] = field(default_factory=list)
    prompt_format: str = ""
    profile: str | None = None  # None: the profile ``run_started`` names

    @classmethod
    def of_agent(cls, agent: Any) -> RunSetting:
        """The setting of an :class:`~umi_cli.agent.agent.Agent` as it is now (call it when
        its run starts: ``memory`` is then the chat's memory before the task)."""
        roles: Mapping[str, Any] = getattr(agent.mode, "roles", {})
        return cls(
            mode=str(agent.mode.name),
            documents=[dict(doc) for doc in agent.toolbox.documents()],
            memory=[dict(turn) for turn in agent.memory],
            prompt_format=prompt_format_of(roles),
            profile=str(agent.profile),
        )


def prompt_format_of(roles: Mapping[str, Any]) -> str:
    """``alpha-umi`` when every role's dialect is the α-UMi wire format, ``chat:<style>`` for
    chat dialects; several formats are joined with ``+`` (sorted)."""
    formats = set()
    for role in roles.values():
        dialect = getattr(role, "dialect", None)
        name = str(getattr(dialect, "name", "unknown"))
        style = getattr(dialect, "style", None)
        formats.add(f"{name}:{style}" if name != ALPHA_UMI_FORMAT and style else name)
    return "+".join(sorted(formats))


SettingSource = RunSetting | Callable[[], RunSetting]


class RunLogWriter:
    """Records each run of an event stream in the run log at ``path`` (or into ``log``)."""

    def __init__(
        self,
        setting: SettingSource,
        *,
        path: Path | None = None,
        log: RunLog | None = None,
        command: str = "run",
        warn: Callable[[str], None] | None = None,
    ) -> None:
        if path is None and log is None:
            raise ValueError("RunLogWriter needs a path or a RunLog")
        self.setting = setting
        self.path = path if path is not None else log.path if log is not None else None
        self.command = command
        self.recorded: list[int] = []  # ids of the runs written so far
        self._log = log
        self._own_log = log is None
        self._warn = warn or _stderr_warning
        self._warned = False
        self._events: list[Event] | None = None
        self._current: RunSetting | None = None

    def __call__(self, event: EventLike) -> None:
        if getattr(event, "name", None) == "token":  # before to_dict: tokens are many
            return
        data = event.to_dict()
        kind = data.get("event")
        if kind == "token":
            return
        if kind == "run_started":
            if self._events is not None:  # the previous run never finished
                self._record()
            self._events, self._current = [], self._resolve()
        if self._events is None:
            return
        self._events.append(data)
        if kind == "run_finished":
            self._record()

    def close(self) -> None:
        """Record a run left unfinished, then close the log if this writer opened it."""
        if self._events is not None:
            self._record()
        if self._own_log and self._log is not None:
            self._log.close()
            self._log = None

    def _resolve(self) -> RunSetting | None:
        try:
            return self.setting() if callable(self.setting) else self.setting
        except Exception as exc:  # a setting that cannot be read must not stop the run
            self._warning(f"the run is logged without its setting ({type(exc).__name__}: {exc})")
            return None

    def _record(self) -> None:
        events, setting = self._events or [], self._current
        self._events, self._current = None, None
        setting = setting or RunSetting(mode="")
        run = LoggedRun.from_events(
            events,
            setting.profile,
            setting.mode,
            setting.memory,
            documents=setting.documents,
            command=self.command,
            prompt_format=setting.prompt_format,
        )
        try:
            self.recorded.append(self._open().record(run))
        except UmiError as exc:
            self._warning(f"the run was not logged: {exc} (--no-log turns logging off)")

    def _open(self) -> RunLog:
        if self._log is None:
            assert self.path is not None
            self._log = RunLog(self.path)
        return self._log

    def _warning(self, message: str) -> None:
        """Say that a run was not (fully) logged; once per writer, so a chat is not flooded."""
        if self._warned:
            return
        self._warned = True
        self._warn(f"umi: warning: {message}")


def _stderr_warning(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


class NoRunLog:
    """The consumer used when logging is off: takes events, writes nothing."""

    recorded: Sequence[int] = ()

    def __call__(self, event: EventLike) -> None:
        return None

    def close(self) -> None:
        return None


Consumer = RunLogWriter | NoRunLog


def run_loggers(
    *, no_log: bool = False, command: str = "run"
) -> Callable[[SettingSource], Consumer]:
    """A maker of run-log consumers, the settings read once (``--no-log``, ``UMI_NO_LOG``,
    ``log: false``; a bad settings file is a ConfigError now): a batch makes one per task."""
    from umi_cli.runlog.settings import log_settings

    settings = log_settings(no_log)

    def make(setting: SettingSource) -> Consumer:
        if not settings.enabled:
            return NoRunLog()
        return RunLogWriter(setting, path=settings.path, command=command)

    return make


def run_logger(setting: SettingSource, *, no_log: bool = False, command: str = "run") -> Consumer:
    """The consumer that logs the runs of one event stream, or :class:`NoRunLog` when logging
    is off."""
    return run_loggers(no_log=no_log, command=command)(setting)
