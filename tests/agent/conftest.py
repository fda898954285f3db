"""Agent test fixtures: tiny role models in a user catalog, test tool specs, the tool server."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_models import (
    CALLER_CURRENT,
    PLANNER_CALLS,
    SUMMARIZER,
    WEATHER_SPEC,
)
from support.catalogs import catalog_entry, tiny_model_maker


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory):
    """``make(prefer) -> Path``: tiny GGUFs written once per preference set."""
    return tiny_model_maker(tmp_path_factory.mktemp("tiny_roles"))


@pytest.fixture(scope="module")
def engine():
    """A backend pool for role tests that open tiny models directly."""
    from umi_cli.engine import BackendPool

    with BackendPool() as pool:
        yield pool


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
        judge: dict[str, float] | None = None,
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
        if judge is not None and "tiny-planner" in models:
            models["tiny-planner"]["judge"] = judge
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
