"""A conversion killed mid-way (SIGKILL: no cleanup code runs) leaves nothing registered, and the
next run finishes the job, reusing what was complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from support.hub_server import HubServer
from tiny_llama import TinyConfig, random_weights, repo_files, write_checkpoint

from umi_cli.models.entry import ConvertSource, ModelEntry

REPO = "test/tiny-llama-kill"
ROOT = Path(__file__).resolve().parents[2]


def _start_pull(umi_home: Path, endpoint: str) -> subprocess.Popen:
    env = dict(os.environ, UMI_HOME=str(umi_home), HF_ENDPOINT=endpoint)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "umi_cli",
            "models",
            "pull",
            "tiny-kill",
            "--convert",
            "--quant",
            "Q4_K_M",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_when_present(process: subprocess.Popen, path: Path) -> str | None:
    """SIGKILL ``process`` as soon as ``path`` exists; None when killed, else its stderr."""
    while process.poll() is None:
        if path.exists():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return None
        time.sleep(0.002)
    return process.stderr.read()


def _registered(umi_home: Path) -> dict:
    catalog = yaml.safe_load((umi_home / "config" / "models.yaml").read_text()) or {}
    return catalog.get("models", {}).get("tiny-kill", {})


def test_killed_conversion_and_quantization_resume(tmp_path, umi_home, sp_model):
    cfg = TinyConfig(vocab_size=512, hidden=512, intermediate=1536, layers=4, heads=8, kv_heads=2)
    folder = write_checkpoint(tmp_path / "hf", cfg, random_weights(cfg, 3), sp_model, "bin")
    entry = ModelEntry(
        id="tiny-kill",
        sources=(ConvertSource(REPO),),
        sha256=None,
        size=None,
        prompt_format="alpha-umi",
        context_length=256,
        description="tiny model killed mid-way",
    )
    config = umi_home / "config"
    config.mkdir(parents=True)
    (config / "models.yaml").write_text(yaml.safe_dump({"models": {"tiny-kill": entry.to_dict()}}))
    models = umi_home / "cache" / "models"
    final = models / "tiny-kill.gguf"
    hub = HubServer({REPO: repo_files(folder)})
    with hub as endpoint:
        # 1. killed while writing the F16 intermediate
        killed = _kill_when_present(
            _start_pull(umi_home, endpoint), models / ".tiny-kill.f16.gguf.partial"
        )
        assert killed is None, killed
        assert not final.exists() and not (models / "tiny-kill.f16.gguf").exists()
        assert _registered(umi_home).get("sha256") is None

        # 2. killed while llama.cpp quantizes: the finished F16 is there, nothing else
        killed = _kill_when_present(
            _start_pull(umi_home, endpoint), models / ".tiny-kill.gguf.partial"
        )
        assert killed is None, killed
        assert (models / "tiny-kill.f16.gguf").is_file() and not final.exists()
        assert _registered(umi_home).get("sha256") is None
        weights_fetched = len(hub.downloads("pytorch_model.bin"))

        # 3. runs to the end, without downloading the weights again
        done = _start_pull(umi_home, endpoint)
        _, stderr = done.communicate(timeout=300)
        assert done.returncode == 0, stderr
    assert len(hub.downloads("pytorch_model.bin")) == weights_fetched
    assert final.is_file()
    assert sorted(p.name for p in models.iterdir() if p.suffix in (".gguf", ".partial")) == [
        "tiny-kill.gguf"
    ]
    assert _registered(umi_home)["size"] == final.stat().st_size
