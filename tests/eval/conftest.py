"""Evaluation fixtures: a user catalog under UMI_HOME whose test profile plays the tiny GGUF."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_catalog import write_catalog

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "alpha-umi"
DEV_FILE = DATA / "toolbench_ood_dev.json"

TINY_PROFILE = "tiny-eval"


@pytest.fixture
def tiny_profile(umi_home: Path, tiny_gguf: Path) -> str:
    """The name of a profile (α-UMi raw format) whose roles all use the tiny GGUF."""
    write_catalog(umi_home, tiny_gguf, prompt_format="alpha-umi", profile=TINY_PROFILE)
    return TINY_PROFILE


@pytest.fixture
def dev_file() -> Path:
    if not DEV_FILE.exists():
        pytest.skip("../shared/data/alpha-umi/toolbench_ood_dev.json not present")
    return DEV_FILE
