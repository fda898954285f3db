"""Engine: each file loaded once, clear errors for missing or broken files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from umi_cli.engine import Engine
from umi_cli.errors import UmiError


def test_same_file_is_loaded_once(tiny_gguf: Path, tmp_path: Path) -> None:
    engine = Engine()
    link = tmp_path / "alias.gguf"
    link.symlink_to(tiny_gguf)
    first = engine.load(tiny_gguf)
    assert engine.load(link) is first
    assert engine.load(Path(os.path.relpath(tiny_gguf))) is first
    assert list(engine.models) == [tiny_gguf.resolve()]


def test_cpu_build_uses_threads_and_no_gpu_layers() -> None:
    engine = Engine(n_threads=3, n_gpu_layers=0)
    assert (engine.n_threads, engine.n_gpu_layers) == (3, 0)
    assert Engine(n_gpu_layers=7).n_gpu_layers == 7
    assert Engine().n_threads >= 1


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(UmiError, match="model file not found"):
        Engine().load(tmp_path / "absent.gguf")


def test_broken_model_file_is_one_line(tmp_path: Path, capfd) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf file at all")
    with pytest.raises(UmiError) as caught:
        Engine().load(bad)
    assert "cannot load model" in str(caught.value) and "GGUF" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert capfd.readouterr() == ("", "")
