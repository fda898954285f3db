"""SHA-256 of model files, and a record of files already verified so we hash them only once."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

CHUNK = 4 * 1024 * 1024


def sha256_file(path: Path, advance: Callable[[int], None] | None = None) -> str:
    """Hex SHA-256 of ``path``; ``advance`` is called with the size of each chunk read."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if advance:
                advance(len(chunk))
    return digest.hexdigest()


class VerificationRecords:
    """``{path: {size, mtime_ns, sha256}}`` kept in a JSON file beside the models.

    A record is trusted while the file keeps the same size and modification time; any change
    (a truncated or rewritten file) makes it stale, and the file is hashed again.
    """

    def __init__(self, file: Path) -> None:
        self.file = file

    def _load(self) -> dict[str, dict]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, dict]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.file.parent, prefix=".verified.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.replace(tmp, self.file)

    def lookup(self, path: Path) -> str | None:
        """The recorded sha256 of ``path`` if the file is unchanged since it was recorded."""
        record = self._load().get(str(path.resolve()))
        if not record:
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        if record.get("size") == stat.st_size and record.get("mtime_ns") == stat.st_mtime_ns:
            return record.get("sha256")
        return None

    def recorded(self, path: Path) -> str | None:
        """The sha256 recorded for ``path`` whether or not the file changed since."""
        record = self._load().get(str(path.resolve()))
        return record.get("sha256") if record else None

    def remember(self, path: Path, sha256: str) -> None:
        stat = path.stat()
        data = self._load()
        data[str(path.resolve())] = {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": sha256,
        }
        self._save(data)

    def forget(self, path: Path) -> None:
        data = self._load()
        if data.pop(str(path.resolve()), None) is not None:
            self._save(data)
