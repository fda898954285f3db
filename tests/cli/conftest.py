"""Fixtures for the agent commands: tiny role models in a user catalog, a loopback tool spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import CALLING, MUSIC_SPEC, QUITTING, SPEC, write_spec
from support.catalogs import catalog_entry
from support.tiny_gguf import write_tiny_gguf


def _model_entry(path: Path, max_tokens: int) -> dict:
    return catalog_entry(path, "alpha-umi", max_tokens)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The calling and quitting tiny GGUFs (written once per session)."""
    folder = tmp_path_factory.mktemp("cli_models")
    return {
        "calling": write_tiny_gguf(folder / "calling.gguf", prefer=CALLING),
        "quitting": write_tiny_gguf(folder / "quitting.gguf", prefer=QUITTING),
    }


def write_user_catalog(home: Path, models: dict[str, dict], profiles: dict[str, dict]) -> Path:
    """Write ``$UMI_HOME/config/models.yaml`` (JSON is valid YAML)."""
    catalog = home / "config" / "models.yaml"
    catalog.parent.mkdir(parents=True, exist_ok=True)
    catalog.write_text(json.dumps({"models": models, "profiles": profiles}, indent=2))
    return catalog


@pytest.fixture
def tiny_profiles(umi_home: Path, tiny_models: dict[str, Path]) -> Path:
    """Profiles ``tiny`` (always calls, then answers) and ``tiny-quitter`` (gives up)."""
    models = {
        "tiny-calling": _model_entry(tiny_models["calling"], 96),
        "tiny-quitting": _model_entry(tiny_models["quitting"], 24),
        "tiny-roomy": _model_entry(tiny_models["calling"], 140),
    }
    profiles = {
        "tiny": {
            "description": "test: plans a call, calls, answers",
            "roles": {r: "tiny-calling" for r in ("planner", "caller", "summarizer")},
        },
        "tiny-roomy": {
            "description": "test: like tiny, with room for calls with many arguments",
            "roles": {r: "tiny-roomy" for r in ("planner", "caller", "summarizer")},
        },
        "tiny-quitter": {
            "description": "test: gives up",
            "roles": {
                "planner": "tiny-quitting",
                "caller": "tiny-calling",
                "summarizer": "tiny-calling",
            },
        },
    }
    return write_user_catalog(umi_home, models, profiles)


@pytest.fixture
def weather_spec(tmp_path: Path) -> Path:
    return write_spec(tmp_path, "weather.yaml", SPEC)


@pytest.fixture
def music_spec(tmp_path: Path) -> Path:
    return write_spec(tmp_path, "music.yaml", MUSIC_SPEC)
