"""Engine fixtures: one Engine per module with the tiny model loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from umi_cli.engine import Engine, LoadedModel


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


@pytest.fixture(scope="module")
def tiny(engine: Engine, tiny_gguf: Path) -> LoadedModel:
    """The tiny model, loaded once per test module (slots are forgotten between tests)."""
    return engine.load(tiny_gguf)


@pytest.fixture
def model(tiny: LoadedModel) -> LoadedModel:
    tiny.forget()
    return tiny
