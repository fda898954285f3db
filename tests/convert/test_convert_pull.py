"""pull → convert → quantize → register → load → generate, from a local hub on 127.0.0.1."""

from __future__ import annotations

import hashlib
from pathlib import Path

import gguf
import pytest
import yaml
from support.hub_server import HubServer
from tiny_llama import TinyConfig, random_weights, repo_files, write_checkpoint

from umi_cli import paths
from umi_cli.errors import UmiError, UsageError
from umi_cli.models.catalog import load_catalog
from umi_cli.models.convert import convert_from_hub
from umi_cli.models.convert.disk import require_free_space
from umi_cli.models.convert.pipeline import checkpoint_folder
from umi_cli.models.entry import ConvertSource, ModelEntry

REPO = "test/tiny-llama"


@pytest.fixture(scope="module")
def hub_repos(tmp_path_factory, sp_model, tiny_config) -> dict[str, dict[str, bytes]]:
    """The bin checkpoint has rows of 256 so that k-quants apply without fallback."""
    wide = TinyConfig(vocab_size=tiny_config.vocab_size, hidden=256, intermediate=512)
    root = tmp_path_factory.mktemp("repos")
    bin_folder = write_checkpoint(root / "bin", wide, random_weights(wide, 1), sp_model, "bin")
    st_folder = write_checkpoint(
        root / "st", tiny_config, random_weights(tiny_config, 2), sp_model, "sharded-safetensors"
    )
    return {REPO: repo_files(bin_folder), f"{REPO}-st": repo_files(st_folder)}


def _entry(model_id: str = "tiny-alpha", repo: str = REPO) -> ModelEntry:
    return ModelEntry(
        id=model_id,
        sources=(ConvertSource(repo, "main"),),
        sha256=None,
        size=None,
        prompt_format="alpha-umi",
        context_length=256,
        description="tiny test model",
    )


def _generate(path: Path) -> dict:
    from umi_cli.engine.llama.loading import open_llama

    llm = open_llama(str(path), n_ctx=128, verbose=False, seed=0)
    try:
        return llm.create_completion("user: hi</s>assistant: ", max_tokens=6, temperature=0.0)
    finally:
        llm.close()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "partial" in p.name or "f16" in p.name)


def test_pull_converts_quantizes_registers_and_generates(umi_home, monkeypatch, hub_repos):
    with HubServer(hub_repos) as endpoint:
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        path = convert_from_hub(_entry(), {"convert": {"repo": REPO, "revision": "main"}})
    assert path == paths.models_dir() / "tiny-alpha.gguf"
    reader = gguf.GGUFReader(path)
    assert reader.get_field("general.file_type").contents() == gguf.LlamaFileType.MOSTLY_Q4_K_M
    kinds = {t.tensor_type.name for t in reader.tensors}
    assert {"Q4_K", "Q6_K"} <= kinds  # real k-quants: rows of 256
    assert _leftovers(paths.models_dir()) == []  # F16 intermediate and partials gone
    assert not checkpoint_folder(ConvertSource(REPO)).exists()  # download removed once done

    entry = load_catalog().model("tiny-alpha")
    assert entry.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry.size == path.stat().st_size
    assert entry.sources == (ConvertSource(REPO, "main"),)
    assert "converted locally" in entry.description

    out = _generate(path)
    assert out["usage"]["completion_tokens"] > 0 or out["choices"][0]["finish_reason"] == "stop"


def test_truncated_download_then_rerun_resumes(umi_home, monkeypatch, hub_repos):
    hub = HubServer(hub_repos)
    hub.truncate("pytorch_model.bin", times=100)
    with hub as endpoint:
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        with pytest.raises(UmiError, match="run the same command again to resume"):
            convert_from_hub(_entry(), ConvertSource(REPO), quant="Q8_0")
        # nothing half-made is registered or left where the store would find it
        assert not paths.user_catalog_file().exists()
        assert not (paths.models_dir() / "tiny-alpha.gguf").exists()
        assert _leftovers(paths.models_dir()) == []
        hub.truncate("pytorch_model.bin", times=0)
        before = len(hub.downloads("config.json"))
        path = convert_from_hub(_entry(), ConvertSource(REPO), quant="Q8_0")
    assert path.is_file()
    assert len(hub.downloads("config.json")) == before  # small files were not fetched again
    ranges = [r.range for r in hub.downloads("pytorch_model.bin")]
    assert any(r and not r.startswith("bytes=0-") for r in ranges), ranges  # resumed
    assert load_catalog().model("tiny-alpha").sha256 is not None


def test_kept_f16_is_reused_without_downloading_again(umi_home, monkeypatch, hub_repos):
    hub = HubServer(hub_repos)
    with hub as endpoint:
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        first = convert_from_hub(_entry(), ConvertSource(REPO), quant="Q8_0", keep_f16=True)
        f16 = paths.models_dir() / "tiny-alpha.f16.gguf"
        assert f16.is_file()
        first_sha = load_catalog().model("tiny-alpha").sha256
        first.unlink()
        stale = paths.models_dir() / ".tiny-alpha.gguf.partial"
        stale.write_bytes(b"half a file from a killed run")
        weight_gets = len(hub.downloads("pytorch_model.bin"))
        second = convert_from_hub(_entry(), ConvertSource(REPO), quant="Q4_0")
    assert len(hub.downloads("pytorch_model.bin")) == weight_gets
    assert not f16.exists() and not stale.exists()
    assert gguf.GGUFReader(second).get_field("general.file_type").contents() == (
        gguf.LlamaFileType.MOSTLY_Q4_0
    )
    assert load_catalog().model("tiny-alpha").sha256 not in (None, first_sha)


def test_cli_pull_convert_from_sharded_safetensors(run_umi, umi_home, hub_repos):
    catalog = {"models": {"tiny-st": _entry("tiny-st", f"{REPO}-st").to_dict()}}
    config = umi_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "models.yaml").write_text(yaml.safe_dump(catalog))
    with HubServer(hub_repos) as endpoint:
        env = {"HF_ENDPOINT": endpoint}
        bad = run_umi("models", "pull", "tiny-st", "--convert", "--quant", "Q9_9", env=env)
        result = run_umi("models", "pull", "tiny-st", "--convert", "--quant", "Q8_0", env=env)
    assert bad.returncode == 2
    assert (
        bad.stderr.strip()
        .splitlines()[-1]
        .startswith("umi: error: unknown quantization type 'Q9_9' for --quant")
    )
    assert "Traceback" not in bad.stderr
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().split(": ", 1)[1].split(" (")[0])
    assert path == umi_home / "cache" / "models" / "tiny-st.gguf"
    assert gguf.GGUFReader(path).get_field("general.file_type").contents() == (
        gguf.LlamaFileType.MOSTLY_Q8_0
    )
    assert "sha256" in (config / "models.yaml").read_text()
    assert _generate(path)["usage"]["prompt_tokens"] > 0


def test_unknown_quant_is_a_usage_error(umi_home, hub_repos):
    with pytest.raises(UsageError, match="--quant; choose one of"):
        convert_from_hub(_entry(), ConvertSource(REPO), quant="Q9_9")


def test_not_enough_space_names_the_amount(tmp_path):
    with pytest.raises(UmiError, match=r"needs 1000000000\.0 GB free under .*set UMI_HOME"):
        require_free_space({tmp_path / "x": 10**18}, what="converting")


def test_f16_request_takes_a_kept_f16_as_is(umi_home, monkeypatch, hub_repos):
    hub = HubServer(hub_repos)
    with hub as endpoint:
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        convert_from_hub(_entry(), ConvertSource(REPO), quant="Q8_0", keep_f16=True)
        kept = paths.models_dir() / "tiny-alpha.f16.gguf"
        kept_sha = hashlib.sha256(kept.read_bytes()).hexdigest()
        (paths.models_dir() / "tiny-alpha.gguf").unlink()
        weight_gets = len(hub.downloads("pytorch_model.bin"))
        path = convert_from_hub(_entry(), ConvertSource(REPO), quant="F16")
    assert len(hub.downloads("pytorch_model.bin")) == weight_gets
    assert not kept.exists()
    assert load_catalog().model("tiny-alpha").sha256 == kept_sha
    assert gguf.GGUFReader(path).get_field("general.file_type").contents() == (
        gguf.LlamaFileType.MOSTLY_F16
    )
