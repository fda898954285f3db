"""Fixtures of the remote-backend tests: the tiny model served by llama-cpp-python's own server
(``python -m llama_cpp.server``) and a misbehaving server, both real processes on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from remote_helpers import CALLING, start_fault_server, start_llama_cpp_server
from support.tiny_gguf import write_tiny_gguf


@pytest.fixture(scope="session")
def served_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny GGUF both the server and the in-process engine run."""
    return write_tiny_gguf(tmp_path_factory.mktemp("served") / "served.gguf", prefer=CALLING)


@pytest.fixture(scope="session")
def llama_cpp_server(served_gguf: Path, tmp_path_factory: pytest.TempPathFactory):
    """``python -m llama_cpp.server`` serving the tiny GGUF (started once per session)."""
    pytest.importorskip("fastapi", reason="pip install 'llama-cpp-python[server]'")
    served = start_llama_cpp_server(served_gguf, tmp_path_factory.mktemp("llama_server"))
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def fault_server(tmp_path: Path):
    """The misbehaving server (``remote_fault_server``), a fresh process per test."""
    served = start_fault_server(tmp_path)
    try:
        yield served
    finally:
        served.stop()
