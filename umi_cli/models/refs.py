"""Model references: where a profile's model is, as the engine's pool opens it.

A profile resolves to references, not paths: a local GGUF file (:class:`FileRef`, run in-process)
or a served endpoint (:class:`EndpointRef`, an OpenAI-compatible server), and the roles never
know which.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

#: The servers an endpoint can be (their capabilities are data in ``umi_cli.engine.remote``).
Flavor = Literal["llama-server", "llama-cpp-python", "vllm", "ollama", "openai"]
FLAVORS: tuple[str, ...] = ("llama-server", "llama-cpp-python", "vllm", "ollama", "openai")
#: Seconds an endpoint may stay silent (before its first byte, between stream chunks).
DEFAULT_TIMEOUT = 60.0


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


@dataclass(frozen=True)
class EndpointRef:
    """A model served over HTTP by an OpenAI-compatible server.

    ``model_id`` is the catalog entry (for messages), ``model`` the name the server knows.
    ``base_url`` is the server's root (a trailing ``/v1`` is dropped). ``api_key_env`` names the
    environment variable holding the key. ``gguf`` is an optional local copy of the served GGUF:
    tokens are then counted and chat templates rendered on this machine. ``parallel`` overrides
    how many requests the server takes at once; ``timeout`` is the seconds it may stay silent.
    ``lines`` gives the catalog line of each field, for messages that name the fix.
    """

    model_id: str
    base_url: str
    model: str
    flavor: Flavor = "openai"
    api_key_env: str | None = None
    gguf: Path | None = None
    parallel: int | None = None
    timeout: float = DEFAULT_TIMEOUT
    origin: Path | None = None
    lines: tuple[tuple[str, int], ...] = ()
    kind: ClassVar[str] = "endpoint"

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", normalize_base_url(self.base_url))

    @property
    def key(self) -> str:
        return f"{self.flavor} {self.base_url} {self.model}"

    def describe(self) -> str:
        return f"{self.model} at {self.base_url} ({self.flavor})"

    def at(self, field: str = "base_url") -> str:
        """``file:line`` of ``field`` in the catalog (``models.yaml:12``), for messages."""
        if self.origin is None:
            return f"model '{self.model_id}'"
        line = dict(self.lines).get(field) or dict(self.lines).get("endpoint")
        return f"{self.origin}:{line}" if line else str(self.origin)

    def to_dict(self) -> dict[str, object]:
        """The ``endpoint:`` mapping as written in a ``models.yaml``."""
        data: dict[str, object] = {
            "base_url": self.base_url,
            "model": self.model,
            "flavor": self.flavor,
        }
        if self.api_key_env:
            data["api_key_env"] = self.api_key_env
        if self.gguf is not None:
            data["gguf"] = str(self.gguf)
        if self.parallel is not None:
            data["parallel"] = self.parallel
        if self.timeout != DEFAULT_TIMEOUT:
            data["timeout"] = self.timeout
        return data


def normalize_base_url(url: str) -> str:
    """``http://host:8080/v1/`` -> ``http://host:8080`` (routes are added per flavor)."""
    url = url.strip().rstrip("/")
    return url.removesuffix("/v1").rstrip("/")


ModelRef = FileRef | EndpointRef
