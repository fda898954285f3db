"""Model references: where a profile's model is, as the engine's pool opens it.

A profile resolves to references, not paths, so a model can be a local GGUF file or (later) a
served endpoint without the roles knowing which.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar


@dataclass(frozen=True)
class FileRef:
    """A GGUF file on this machine, run in-process by llama.cpp."""

    path: Path
    kind: ClassVar[str] = "file"

    @property
    def key(self) -> str:
        """What makes two references the same model (one open per process)."""
        return str(Path(self.path).expanduser().resolve())

    def describe(self) -> str:
        return str(self.path)


ModelRef = FileRef
