"""Engine: each file loaded once, clear errors for missing or broken files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from umi_cli.engine import BackendPool
from umi_cli.engine.llama import LlamaOpener, open_file
from umi_cli.errors import UmiError
from umi_cli.models.refs import FileRef


def test_same_file_is_loaded_once(tiny_gguf: Path, tmp_path: Path) -> None:
    link = tmp_path / "alias.gguf"
    link.symlink_to(tiny_gguf)
    with BackendPool() as pool:
        first = pool.open(FileRef(tiny_gguf), 4096)
        assert pool.open(FileRef(link), 4096) is first
        assert pool.open(FileRef(Path(os.path.relpath(tiny_gguf))), 4096) is first
        assert pool.backends == [first] and pool.loads == 1


def test_cpu_build_uses_threads_and_no_gpu_layers() -> None:
    opener = LlamaOpener(n_threads=3, n_gpu_layers=0)
    assert (opener.n_threads, opener.n_gpu_layers) == (3, 0)
    assert LlamaOpener(n_gpu_layers=7).n_gpu_layers == 7
    assert LlamaOpener().n_threads >= 1


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(UmiError, match="model file not found"):
        open_file(tmp_path / "absent.gguf")


def test_broken_model_file_is_one_line(tmp_path: Path, capfd) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf file at all")
    with pytest.raises(UmiError) as caught:
        open_file(bad)
    assert "cannot load model" in str(caught.value) and "GGUF" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert capfd.readouterr() == ("", "")
