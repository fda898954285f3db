"""Agent test fixtures: tiny role models in a user catalog, test tool specs, the tool server."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from agent_models import (
    CALLER_CURRENT,
    PLANNER_CALLS,
    SUMMARIZER,
    WEATHER_SPEC,
    catalog_entry,
)
from support.tiny_gguf import write_tiny_gguf


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory):
    """``make(prefer) -> Path``: tiny GGUFs written once per preference set."""
    folder = tmp_path_factory.mktemp("tiny_roles")
    made: dict[str, Path] = {}

    def make(prefer: dict[str, float]) -> Path:
        key = json.dumps(prefer, sort_keys=True)
        if key not in made:
            name = hashlib.sha1(key.encode()).hexdigest()[:10]
            made[key] = write_tiny_gguf(folder / f"{name}.gguf", prefer=prefer)
        return made[key]

    return make


@pytest.fixture
def test_profile(umi_home: Path, tiny_models):
    """``make(planner=..., caller=..., summarizer=..., ...) -> profile id`` in the user catalog."""
    import yaml

    from umi_cli import paths

    def make(
        *,
        planner: dict[str, float] = PLANNER_CALLS,
        caller: dict[str, float] = CALLER_CURRENT,
        summarizer: dict[str, float] = SUMMARIZER,
        prompt_format: str = "alpha-umi",
        max_tokens: int = 96,
        context: int = 4096,
        name: str = "tiny-test",
        backbone: dict[str, float] | None = None,
    ) -> str:
        models = {}
        roles = {}
        trio = (("planner", planner), ("caller", caller), ("summarizer", summarizer))
        for role, prefer in (("backbone", backbone),) if backbone is not None else trio:
            model_id = f"tiny-{role}"
            models[model_id] = catalog_entry(
                tiny_models(prefer), prompt_format, max_tokens, context
            )
            roles[role] = model_id
        catalog = {"models": models, "profiles": {name: {"roles": roles}}}
        file = paths.user_catalog_file()
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
        return name

    return make


@pytest.fixture
def weather_spec(tmp_path: Path) -> Path:
    path = tmp_path / "weather.yaml"
    path.write_text(WEATHER_SPEC, encoding="utf-8")
    return path
