"""What the catalog says about a model: its sources, checksum, prompt format and defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from umi_cli.models.refs import EndpointRef

PromptFormat = Literal["alpha-umi", "chat"]
PROMPT_FORMATS: tuple[str, ...] = ("alpha-umi", "chat")
ROLES: tuple[str, ...] = ("planner", "caller", "summarizer", "backbone", "checker")


@dataclass(frozen=True)
class HubSource:
    """A file in a Hugging Face repository (honours ``HF_ENDPOINT``)."""

    repo: str
    file: str
    revision: str = "main"

    kind = "hub"

    def describe(self) -> str:
        return f"hub {self.repo}/{self.file}@{self.revision}"

    def to_dict(self) -> dict[str, Any]:
        return {"hub": {"repo": self.repo, "file": self.file, "revision": self.revision}}


@dataclass(frozen=True)
class PackagePart:
    """One chunk of a GGUF shipped inside an installed Python package (``path`` is relative)."""

    package: str
    path: str


@dataclass(frozen=True)
class PackageSource:
    """Installed Python packages whose data files, concatenated in order, make the GGUF."""

    parts: tuple[PackagePart, ...]

    kind = "package"

    def describe(self) -> str:
        first = self.parts[0].package
        return f"package {first}" + (
            f" (+{len(self.parts) - 1} parts)" if len(self.parts) > 1 else ""
        )

    def to_dict(self) -> dict[str, Any]:
        parts = [{"package": p.package, "path": p.path} for p in self.parts]
        return {"package": {"parts": parts}}


@dataclass(frozen=True)
class PathSource:
    """A GGUF file already on this machine."""

    path: Path

    kind = "path"

    def describe(self) -> str:
        return f"path {self.path}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path)}


@dataclass(frozen=True)
class ConvertSource:
    """A PyTorch/safetensors checkpoint on the hub, converted to GGUF on this machine."""

    repo: str
    revision: str = "main"

    kind = "convert"

    def describe(self) -> str:
        return f"convert {self.repo}@{self.revision}"

    def to_dict(self) -> dict[str, Any]:
        return {"convert": {"repo": self.repo, "revision": self.revision}}


Source = HubSource | PackageSource | PathSource | ConvertSource


@dataclass(frozen=True)
class GenerationDefaults:
    """Sampling settings of each completion, as the model's authors ran it."""

    temperature: float = 0.5
    top_p: float = 1.0
    max_tokens: int = 512


@dataclass(frozen=True)
class ModelEntry:
    """One model of the catalog. ``sha256``/``size`` are None only for unverified sources.

    A served model has an ``endpoint`` instead of sources (then ``sources`` is empty and
    ``sha256``/``size`` are None).
    """

    id: str
    sources: tuple[Source, ...]
    sha256: str | None
    size: int | None
    prompt_format: PromptFormat
    context_length: int
    defaults: GenerationDefaults = field(default_factory=GenerationDefaults)
    system_prefix: bool = False
    description: str = ""
    roles: tuple[str, ...] = ()
    #: The planner judge's thresholds calibrated for this model (``answered``, ``relevant``);
    #: None: the model decides from its own text (:mod:`umi_cli.agent.judge`).
    judge: dict[str, float] | None = None
    #: The catalog file this entry came from (for messages).
    origin: Path | None = None
    endpoint: EndpointRef | None = None

    @property
    def filename(self) -> str:
        """The name of the file in the model store."""
        return f"{self.id}.gguf"

    def to_dict(self) -> dict[str, Any]:
        """The entry as it is written in a ``models.yaml``."""
        data: dict[str, Any] = {"description": self.description}
        if self.endpoint is not None:
            data["endpoint"] = self.endpoint.to_dict()
        else:
            data["sources"] = [s.to_dict() for s in self.sources]
            data["sha256"] = self.sha256
            data["size"] = self.size
        data |= {
            "format": self.prompt_format,
            "context_length": self.context_length,
            "defaults": {
                "temperature": self.defaults.temperature,
                "top_p": self.defaults.top_p,
                "max_tokens": self.defaults.max_tokens,
            },
        }
        if self.system_prefix:
            data["system_prefix"] = True
        if self.roles:
            data["roles"] = list(self.roles)
        if self.judge is not None:
            data["judge"] = dict(self.judge)
        return data


@dataclass(frozen=True)
class Profile:
    """Which model plays each role, and optionally the mode (``alpha-umi``, ``backbone``...)
    that uses them; ``line`` is where the profile starts in ``origin``."""

    id: str
    roles: dict[str, str]
    description: str = ""
    origin: Path | None = None
    mode: str | None = None
    line: int | None = None
    #: The moa mode's settings (``proposers``, ``layers``...; see ``umi_cli.agent.moa.settings``).
    moa: dict[str, Any] = field(default_factory=dict)

    def where(self) -> str:
        """``file:line`` of the profile, for messages."""
        if self.origin is None:
            return f"profile '{self.id}'"
        return f"{self.origin}:{self.line}" if self.line else str(self.origin)
