"""An evaluation's output folder: settings, per-sample predictions (JSON Lines), metrics.

``predictions.jsonl`` gets one line per finished sample, flushed at once, so an interrupted run
loses at most the sample in flight; running again with the same ``-o`` skips what is there.
``run.json`` holds the settings; a folder written with other settings is refused rather than
mixed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from umi_cli.errors import UsageError

PREDICTIONS = "predictions.jsonl"
SETTINGS = "run.json"
METRICS = "metrics.json"


class ResultsFolder:
    """The ``-o`` folder of one evaluation run (created when missing)."""

    def __init__(self, path: Path, settings: dict[str, Any]) -> None:
        self.path = path
        self.settings = settings
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"-o {path}: cannot create the results folder ({exc})") from None
        self._check_settings()
        self._file: TextIO | None = None

    def _check_settings(self) -> None:
        settings_file = self.path / SETTINGS
        if settings_file.exists() and (self.path / PREDICTIONS).exists():
            try:
                previous = json.loads(settings_file.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                previous = None
            if previous != self.settings:
                changed = sorted(
                    key
                    for key in set(self.settings) | set(previous or {})
                    if (previous or {}).get(key) != self.settings.get(key)
                )
                raise UsageError(
                    f"-o {self.path}: holds predictions made with other settings "
                    f"({', '.join(changed) or 'unreadable run.json'}); use another -o folder"
                )
        settings_file.write_text(json.dumps(self.settings, indent=2) + "\n", encoding="utf-8")

    def records(self) -> Iterator[dict[str, Any]]:
        """The predictions written so far; a torn last line (killed mid-write) is skipped."""
        path = self.path / PREDICTIONS
        if not path.exists():
            return
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(record, dict) and "id" in record:
                    yield record

    def done_ids(self) -> set[str]:
        return {str(record["id"]) for record in self.records()}

    def append(self, record: dict[str, Any]) -> None:
        """Write one prediction line and flush it to disk."""
        if self._file is None:
            path = self.path / PREDICTIONS
            self._file = path.open("a", encoding="utf-8")
            if path.stat().st_size and not _ends_with_newline(path):
                self._file.write("\n")  # a torn line from a killed run stays on its own line
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def write_metrics(self, metrics: dict[str, Any]) -> Path:
        path = self.path / METRICS
        path.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
        return path

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
