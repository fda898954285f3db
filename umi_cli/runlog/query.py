"""Which runs a listing, an export or a clean-up means: a filter turned into an SQL condition."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from umi_cli.runlog.model import iso

_NOT_NAME_CHAR = re.compile(r"[^\u4e00-\u9fa5a-zA-Z0-9_]")
_UNDERSCORE_RUN = re.compile(r"_+")


def tool_key(name: str) -> str:
    """A tool name as it ends α-UMi API names (``"Open-Meteo"`` -> ``"open_meteo"``).

    The standardization of FORMAT.md §5, as ``umi_cli.tools.naming.standardize`` does it; kept
    here so that the log does not load the tools layer.
    """
    text = _UNDERSCORE_RUN.sub("_", _NOT_NAME_CHAR.sub("_", name)).lower().strip("_")
    return "get_" + text if text[:1].isdigit() else text


def like_pattern(text: str) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern matching ``text`` anywhere (``%`` and ``_`` literal)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class RunFilter:
    """Runs to select; every field that is set must hold.

    ``tool`` is an α-UMi API name (``search_artist_for_deezer``) or a tool name (``deezer``,
    standardized as the API names are): a run matches when it offered that API, or any API of
    that tool. ``search`` is a substring of the task, the answer or the error (ASCII letters
    match in either case). ``since`` is inclusive, ``before`` exclusive; naive times are UTC.
    """

    outcome: str | None = None
    tool: str | None = None
    search: str | None = None
    since: datetime | None = None
    before: datetime | None = None

    def where(self) -> tuple[str, list[Any]]:
        """The condition on table ``runs`` (``"1"`` when nothing is set) and its parameters."""
        clauses: list[str] = []
        values: list[Any] = []
        if self.outcome is not None:
            clauses.append("runs.outcome = ?")
            values.append(self.outcome)
        if self.tool:
            suffix = like_pattern("_for_" + tool_key(self.tool))[:-1]  # ends with the suffix
            clauses.append(
                "EXISTS (SELECT 1 FROM run_tools WHERE run_tools.run_id = runs.id"
                " AND (run_tools.api = ? OR run_tools.api LIKE ? ESCAPE '\\'))"
            )
            values.extend([self.tool, suffix])
        if self.search:
            pattern = like_pattern(self.search)
            clauses.append(
                "(runs.task LIKE ? ESCAPE '\\' OR runs.answer LIKE ? ESCAPE '\\'"
                " OR runs.error LIKE ? ESCAPE '\\')"
            )
            values.extend([pattern, pattern, pattern])
        if self.since is not None:
            clauses.append("runs.started_at >= ?")
            values.append(iso(self.since))
        if self.before is not None:
            clauses.append("runs.started_at < ?")
            values.append(iso(self.before))
        return (" AND ".join(clauses) or "1"), values
