"""Stored events back into :class:`~umi_cli.agent.events.Event` objects (for the Rich views).

The log keeps ``Event.to_dict()`` forms; :func:`event_from_dict` looks the type up in
``EVENT_TYPES`` and rebuilds the dataclass, nested :class:`CompletionStats` included. A type
this umi does not know, or a dict that lacks a required field, gives None (it is skipped, never
an error: a log may come from another umi version).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable, Iterator
from typing import Any

from umi_cli.agent.events import EVENT_TYPES, Event
from umi_cli.engine.types import CompletionStats

_STATS_FIELDS: dict[type[Event], frozenset[str]] = {}


def _stats_fields(cls: type[Event]) -> frozenset[str]:
    """The fields of ``cls`` typed :class:`CompletionStats` (looked up once per class)."""
    if cls not in _STATS_FIELDS:
        hints = typing.get_type_hints(cls)
        names = (name for name, kind in hints.items() if kind is CompletionStats)
        _STATS_FIELDS[cls] = frozenset(names)
    return _STATS_FIELDS[cls]


def stats_from_dict(data: Any) -> CompletionStats:
    """A :class:`CompletionStats` from its dict form (unknown keys ignored, missing ones 0)."""
    if isinstance(data, CompletionStats):
        return data
    if not isinstance(data, dict):
        return CompletionStats()
    names = {field.name for field in dataclasses.fields(CompletionStats)}
    return CompletionStats(**{key: value for key, value in data.items() if key in names})


def event_from_dict(data: dict[str, Any]) -> Event | None:
    """The event a ``to_dict()`` form describes, or None when it cannot be rebuilt."""
    cls = EVENT_TYPES.get(str(data.get("event", "")))
    if cls is None:
        return None
    stats = _stats_fields(cls)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if not field.init or field.name not in data:
            continue
        value = data[field.name]
        values[field.name] = stats_from_dict(value) if field.name in stats else value
    try:
        return cls(**values)
    except TypeError:  # a required field is missing
        return None


def events_from_dicts(items: Iterable[dict[str, Any]]) -> Iterator[Event]:
    """Every event that can be rebuilt, in order."""
    for item in items:
        event = event_from_dict(item)
        if event is not None:
            yield event
