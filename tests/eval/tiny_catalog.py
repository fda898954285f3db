"""A user catalog under UMI_HOME whose profile plays one local GGUF in every role."""

from __future__ import annotations

import hashlib
from pathlib import Path


def write_catalog(home: Path, gguf: Path, *, prompt_format: str, profile: str) -> None:
    """A user ``models.yaml`` with one ``path`` model and a profile using it for all roles."""
    digest = hashlib.sha256(gguf.read_bytes()).hexdigest()
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "models.yaml").write_text(
        f"""models:
  tiny:
    description: tiny random-weight test model
    sources:
      - path: {gguf}
    sha256: {digest}
    size: {gguf.stat().st_size}
    format: {prompt_format}
    context_length: 4096
    defaults: {{temperature: 0.0, top_p: 1.0, max_tokens: 160}}
profiles:
  {profile}:
    description: the tiny model in every role
    roles:
      planner: tiny
      caller: tiny
      summarizer: tiny
""",
        encoding="utf-8",
    )
