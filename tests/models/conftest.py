"""Fixtures for the model catalog and store tests: a local hub, user catalogs, fake packages."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from hub_catalog import FILE, MODEL_ID, REPO, hub_entry
from support.hub_server import HubServer


@pytest.fixture(scope="session")
def blob() -> bytes:
    """2 MB of reproducible bytes standing in for a GGUF on the hub."""
    return random.Random(7).randbytes(2_000_000)


@pytest.fixture
def hub(blob: bytes) -> Iterator[HubServer]:
    """A running local hub serving ``REPO/FILE``; its ``endpoint`` goes in ``HF_ENDPOINT``."""
    server = HubServer({REPO: {FILE: blob}})
    with server:
        yield server


@pytest.fixture
def hf_env(tmp_path: Path) -> dict[str, str | None]:
    """Environment for CLI runs: an isolated HF cache, no token, offline mode off."""
    return {
        "HF_HOME": str(tmp_path / "hf_home"),
        "HF_HUB_OFFLINE": None,
        "TRANSFORMERS_OFFLINE": None,
        "HF_TOKEN": None,
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }


WriteCatalog = Callable[[dict], Path]


@pytest.fixture
def user_catalog(umi_home: Path) -> WriteCatalog:
    """Write the user's ``models.yaml`` under ``umi_home`` from a dict; returns its path."""

    def write(data: dict) -> Path:
        file = umi_home / "config" / "models.yaml"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return file

    return write


@pytest.fixture
def hub_model(user_catalog: WriteCatalog, blob: bytes) -> Path:
    """The user catalog registers ``tiny-hub`` (from the local hub) and a profile using it."""
    return user_catalog(
        {
            "models": {MODEL_ID: hub_entry(blob)},
            "profiles": {
                "tiny": {"roles": {r: MODEL_ID for r in ("planner", "caller", "summarizer")}}
            },
        }
    )
