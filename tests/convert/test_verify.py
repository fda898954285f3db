"""`verify_model` checks a converted GGUF and catches a vocabulary whose EOS is wrong."""

from __future__ import annotations

import json
import shutil

import pytest

from umi_cli.errors import UmiError
from umi_cli.models.convert import convert_checkpoint
from umi_cli.models.verify import verify_model

pytest.importorskip("llama_cpp")


@pytest.fixture(scope="module")
def converted(tiny_checkpoint, tmp_path_factory):
    return convert_checkpoint(tiny_checkpoint, tmp_path_factory.mktemp("v") / "m.gguf")


def test_a_converted_model_passes_every_check(converted, tiny_config):
    report = verify_model(converted, vocab_size=tiny_config.vocab_size, max_tokens=4)
    assert report.ok, report.to_dict()
    names = [c.name for c in report.checks]
    assert names == ["load", "architecture", "vocabulary", "bos/eos", "eos in prompt", "completion"]
    assert "tokenizes to EOS 2" in report.checks[4].detail


def test_wrong_expectations_and_a_wrong_eos_fail(converted, tiny_checkpoint, tmp_path):
    report = verify_model(converted, architecture="qwen2", vocab_size=32000, max_tokens=1)
    failed = {c.name for c in report.checks if not c.ok}
    assert failed == {"architecture", "vocabulary"}

    folder = tmp_path / "hf"
    shutil.copytree(tiny_checkpoint, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | {"eos_token_id": 5}))
    broken = convert_checkpoint(folder, tmp_path / "broken.gguf")
    report = verify_model(broken, max_tokens=1)
    assert not report.ok
    assert [c.name for c in report.checks if not c.ok] == ["eos text"]


def test_missing_or_corrupt_file(tmp_path):
    with pytest.raises(UmiError, match="no such model file"):
        verify_model(tmp_path / "nope.gguf")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF" + b"\0" * 64)
    report = verify_model(junk)
    assert not report.ok and report.checks[0].name == "load"


def test_cli_verify_a_file(run_umi, converted, tiny_checkpoint, tmp_path):
    good = run_umi("models", "verify", str(converted))
    assert good.returncode == 0, good.stderr
    assert "ok   eos in prompt" in good.stdout
    as_json = run_umi("models", "verify", str(converted), "--json")
    assert '"ok": true' in as_json.stdout

    folder = tmp_path / "hf"
    shutil.copytree(tiny_checkpoint, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | {"eos_token_id": 5}))
    broken = convert_checkpoint(folder, tmp_path / "broken.gguf")
    bad = run_umi("models", "verify", str(broken))
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines()[-1].endswith("failed verification (eos text)")
