"""The embedded pocket model (Qwen2.5-Coder-0.5B-Instruct Q4_K_M) for tests that need a real LLM.

Assembled once per machine through the real :class:`umi_cli.models.ModelStore` into a per-user
test cache (``~/.cache/umi-tests/models``, or ``$UMI_TEST_MODELS``), so repeated test sessions
neither re-copy 491 MB nor re-hash it (the store's verification record is reused).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from umi_cli import paths
from umi_cli.errors import UmiError
from umi_cli.models.catalog import read_catalog_file
from umi_cli.models.entry import PackageSource
from umi_cli.models.store import ModelStore

POCKET_ID = "qwen2.5-coder-0.5b-instruct-q4_k_m"


def models_cache_dir() -> Path:
    """The per-user folder that keeps models assembled for tests."""
    env = os.environ.get("UMI_TEST_MODELS")
    return Path(env) if env else Path.home() / ".cache" / "umi-tests" / "models"


def pocket_model_path() -> Path | None:
    """Path of the verified pocket GGUF, or None when the pocket packages are not installed."""
    entry = read_catalog_file(paths.builtin_catalog_file()).models[POCKET_ID]
    # Only the installed packages: tests never touch the network.
    local_only = replace(
        entry, sources=tuple(s for s in entry.sources if isinstance(s, PackageSource))
    )
    try:
        return ModelStore(models_cache_dir()).ensure(local_only, download=False)
    except UmiError:
        return None
