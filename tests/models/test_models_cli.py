"""`umi models list | info | path | rm | try` on real files, through the real CLI."""

from __future__ import annotations

import json
import re

import pytest
from hub_catalog import MODEL_ID

TINY = "tiny-local"


@pytest.fixture
def tiny_model(user_catalog, tiny_gguf):
    """The tiny GGUF registered in the user catalog through a `path` source."""
    return user_catalog(
        {
            "models": {
                TINY: {
                    "description": "tiny random LLaMA",
                    "sources": [{"path": str(tiny_gguf)}],
                    "sha256": None,
                    "size": None,
                    "format": "chat",
                    "context_length": 512,
                    "defaults": {"temperature": 0.0, "max_tokens": 8},
                },
                "tiny-raw": {
                    "description": "the same file as an alpha-umi raw-completion model",
                    "sources": [{"path": str(tiny_gguf)}],
                    "sha256": None,
                    "size": None,
                    "format": "alpha-umi",
                    "context_length": 512,
                },
            }
        }
    )


def test_list_shows_a_path_model_as_present_where_it_lies(run_umi, tiny_model, tiny_gguf):
    result = run_umi("models", "list", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows[TINY]["state"] == "present" and rows[TINY]["path"] == str(tiny_gguf)
    assert rows["alpha-umi-planner-13b"]["state"] == "absent"
    table = run_umi("models", "list")
    assert TINY in table.stdout and "default profile: pocket" in table.stdout


def test_info_reads_the_gguf_header(run_umi, tiny_model, tiny_gguf):
    result = run_umi("models", "info", TINY, "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["architecture"] == "llama" and info["chat_template"] is True
    assert info["vocab_size"] > 256 and info["layers"] == 2 and info["path"] == str(tiny_gguf)
    assert info["catalog"]["format"] == "chat" and info["catalog"]["context_length"] == 512
    text = run_umi("models", "info", str(tiny_gguf))  # a bare file works too
    assert text.returncode == 0
    assert re.search(r"architecture: llama", text.stdout)
    assert re.search(r"chat template: yes", text.stdout)


def test_info_on_a_file_that_is_not_gguf_is_one_line(run_umi, tmp_path):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model at all")
    result = run_umi("models", "info", str(junk))
    assert result.returncode == 1
    assert result.stderr.startswith(f"umi: error: {junk} is not a readable GGUF file")
    assert len(result.stderr.strip().splitlines()) == 1


def test_path_and_rm_of_a_path_model(run_umi, tiny_model, tiny_gguf):
    assert run_umi("models", "path", TINY).stdout.strip() == str(tiny_gguf)
    refused = run_umi("models", "rm", TINY)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"umi: error: model '{TINY}' is your file {tiny_gguf}; umi does not delete it"
    )
    assert tiny_gguf.exists()


def test_rm_of_a_downloaded_model(run_umi, hub, hub_model, hf_env, umi_home):
    env = {**hf_env, "HF_ENDPOINT": hub.endpoint}
    assert run_umi("models", "pull", MODEL_ID, env=env).returncode == 0
    stored = umi_home / "cache" / "models" / f"{MODEL_ID}.gguf"
    removed = run_umi("models", "rm", MODEL_ID)
    assert removed.returncode == 0 and removed.stdout.strip() == f"removed {stored}"
    assert not stored.exists()
    again = run_umi("models", "rm", MODEL_ID)
    assert again.returncode == 1
    assert (
        again.stderr.strip() == f"umi: error: model '{MODEL_ID}' has no downloaded copy to remove"
    )
    missing = run_umi("models", "path", MODEL_ID)
    assert missing.stderr.strip() == (
        f"umi: error: model '{MODEL_ID}' is not present; run `umi models pull {MODEL_ID}`"
    )


def test_unknown_ids_exit_2_listing_known_ids(run_umi):
    for command in ("path", "rm", "info"):
        result = run_umi("models", command, "nope")
        assert result.returncode == 2, command
        assert result.stderr.startswith("umi: error: unknown model 'nope' (known models: ")
        assert "qwen2.5-coder-0.5b-instruct-q4_k_m" in result.stderr


def _figures(stderr: str) -> dict[str, float]:
    match = re.search(
        r"prompt (\d+) tok \((\d+) cached\) · generated (\d+) tok · prompt ([\d.]+) s · "
        r"gen ([\d.]+) s · ([\d.]+) tok/s",
        stderr,
    )
    assert match, stderr
    keys = ("prompt", "cached", "generated", "prompt_s", "gen_s", "tok_s")
    return dict(zip(keys, map(float, match.groups()), strict=True))


def test_try_streams_a_completion_and_prints_the_figures(run_umi, tiny_model):
    pytest.importorskip("llama_cpp")
    result = run_umi("models", "try", TINY, "hello", "--max-tokens", "6", "--seed", "1")
    assert result.returncode == 0, result.stderr
    figures = _figures(result.stderr)
    assert 1 <= figures["generated"] <= 6
    # the chat template wrapped the prompt: more tokens than the 5 bytes of "hello"
    assert figures["prompt"] > 5
    as_json = run_umi("models", "try", TINY, "hello", "--max-tokens", "6", "--seed", "1", "--json")
    data = json.loads(as_json.stdout)
    assert data["generated_tokens"] == figures["generated"]
    assert data["prompt_tokens"] == figures["prompt"]
    assert data["text"] == result.stdout.rstrip("\n")  # greedy (temperature 0): same text


def test_try_raw_format_sends_the_prompt_as_is(run_umi, tiny_model):
    pytest.importorskip("llama_cpp")
    result = run_umi("models", "try", "tiny-raw", "hello", "--max-tokens", "3", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # BOS + the five bytes of "hello": no chat template around it
    assert data["prompt_tokens"] == 6 and data["generated_tokens"] <= 3


def test_profiles_lists_roles_and_readiness(run_umi, user_catalog, tiny_gguf):
    entry = {
        "sources": [{"path": str(tiny_gguf)}],
        "sha256": None,
        "size": None,
        "format": "chat",
        "context_length": 512,
    }
    user_catalog(
        {
            "models": {TINY: entry},
            "profiles": {
                "tiny-trio": {"roles": {r: TINY for r in ("planner", "caller", "summarizer")}}
            },
        }
    )
    result = run_umi("models", "profiles", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["tiny-trio"]["ready"] is True
    assert rows["tiny-trio"]["roles"] == {r: TINY for r in ("planner", "caller", "summarizer")}
    assert rows["alpha-umi-13b"]["ready"] is False
    assert rows["pocket"]["default"] is True
    table = run_umi("models", "profiles")
    assert "tiny-trio" in table.stdout and f"all roles: {TINY}" in table.stdout
    assert "umi models pull alpha-umi-13b" in table.stdout
