"""`umi models pull` against a real local hub server, through the real CLI in a subprocess."""

from __future__ import annotations

import hashlib
import socket
import time
from pathlib import Path

from hub_catalog import FILE, MODEL_ID
from support.hub_server import HubServer


def _store_file(umi_home: Path) -> Path:
    return umi_home / "cache" / "models" / f"{MODEL_ID}.gguf"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_pull_downloads_with_progress_and_verifies(run_umi, umi_home, hub, hub_model, hf_env, blob):
    result = run_umi("models", "pull", MODEL_ID, env={**hf_env, "HF_ENDPOINT": hub.endpoint})
    assert result.returncode == 0, result.stderr
    stored = _store_file(umi_home)
    assert hashlib.sha256(stored.read_bytes()).digest() == hashlib.sha256(blob).digest()
    assert "sha256 verified" in result.stdout
    assert str(stored) in result.stdout
    # the Rich bar: file name, completion, bytes of the total
    assert FILE in result.stderr and "100%" in result.stderr and "2.0 MB" in result.stderr
    assert [r.status for r in hub.downloads(FILE)] == [200]
    # present now: `path` answers, and a second pull does not download again
    assert run_umi("models", "path", MODEL_ID).stdout.strip() == str(stored)
    again = run_umi("models", "pull", MODEL_ID, env={**hf_env, "HF_ENDPOINT": hub.endpoint})
    assert again.returncode == 0 and len(hub.downloads(FILE)) == 1


def test_pull_a_profile_fetches_its_model_once(run_umi, umi_home, hub, hub_model, hf_env):
    result = run_umi("models", "pull", "tiny", env={**hf_env, "HF_ENDPOINT": hub.endpoint})
    assert result.returncode == 0, result.stderr
    assert len(hub.downloads(FILE)) == 1
    assert _store_file(umi_home).is_file()


def test_corrupted_transfer_is_reported_deleted_and_fetched_again(
    run_umi, umi_home, hub, hub_model, hf_env, blob
):
    hub.corrupt(FILE, times=1)
    result = run_umi("models", "pull", MODEL_ID, env={**hf_env, "HF_ENDPOINT": hub.endpoint})
    assert result.returncode == 0, result.stderr
    assert f"downloaded {FILE} is corrupted" in result.stderr
    assert "deleted; downloading it again" in result.stderr
    assert len(hub.downloads(FILE)) == 2
    assert _store_file(umi_home).read_bytes() == blob


def test_download_corrupted_every_time_fails_and_leaves_nothing(
    run_umi, umi_home, hub, hub_model, hf_env
):
    hub.corrupt(FILE, times=5)
    result = run_umi("models", "pull", MODEL_ID, env={**hf_env, "HF_ENDPOINT": hub.endpoint})
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"umi: error: cannot get model '{MODEL_ID}'")
    assert "corrupted" in last and "deleted" in last
    assert "Traceback" not in result.stderr
    models = umi_home / "cache" / "models"
    assert [p.name for p in models.iterdir() if p.name != ".verified.json"] == []


def test_truncated_transfer_still_yields_the_verified_file(
    run_umi, umi_home, hub, hub_model, hf_env, blob
):
    hub.truncate(FILE, times=1)
    result = run_umi("models", "pull", MODEL_ID, env={**hf_env, "HF_ENDPOINT": hub.endpoint})
    assert result.returncode == 0, result.stderr
    assert len(hub.downloads(FILE)) == 2
    assert _store_file(umi_home).read_bytes() == blob


def test_truncated_local_file_is_detected_and_fetched_again(
    run_umi, umi_home, hub, hub_model, hf_env, blob
):
    env = {**hf_env, "HF_ENDPOINT": hub.endpoint}
    assert run_umi("models", "pull", MODEL_ID, env=env).returncode == 0
    stored = _store_file(umi_home)
    stored.write_bytes(blob[:1000])
    missing = run_umi("models", "path", MODEL_ID)
    assert missing.returncode == 1
    assert f"run `umi models pull {MODEL_ID}`" in missing.stderr
    result = run_umi("models", "pull", MODEL_ID, env=env)
    assert result.returncode == 0, result.stderr
    assert (
        f"{stored} has 1000 bytes, expected {len(blob)} (truncated or corrupted)" in result.stderr
    )
    assert stored.read_bytes() == blob and len(hub.downloads(FILE)) == 2


def test_corrupted_local_file_of_right_size_is_detected_and_fetched_again(
    run_umi, umi_home, hub, hub_model, hf_env, blob
):
    env = {**hf_env, "HF_ENDPOINT": hub.endpoint}
    assert run_umi("models", "pull", MODEL_ID, env=env).returncode == 0
    stored = _store_file(umi_home)
    damaged = bytearray(blob)
    damaged[123_456] ^= 0xFF
    stored.write_bytes(bytes(damaged))
    result = run_umi("models", "pull", MODEL_ID, env=env)
    assert result.returncode == 0, result.stderr
    assert f"{stored} is corrupted (sha256 " in result.stderr
    assert "fetching it again" in result.stderr
    assert stored.read_bytes() == blob


def test_unreachable_hub_fails_fast_with_one_line(run_umi, hub_model, hf_env):
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    result = run_umi("models", "pull", MODEL_ID, env={**hf_env, "HF_ENDPOINT": endpoint})
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"umi: error: cannot get model '{MODEL_ID}'")
    assert f"cannot reach the hub at {endpoint}" in lines[0]
    assert elapsed < 10, f"the issue's bound: fail within 10 s (took {elapsed:.1f} s)"


def test_present_model_keeps_working_when_the_hub_is_gone(
    run_umi, umi_home, blob, hub_model, hf_env
):
    with HubServer({"acme/tiny-GGUF": {FILE: blob}}) as endpoint:
        assert (
            run_umi("models", "pull", MODEL_ID, env={**hf_env, "HF_ENDPOINT": endpoint}).returncode
            == 0
        )
    offline = {**hf_env, "HF_ENDPOINT": f"http://127.0.0.1:{_closed_port()}"}
    result = run_umi("models", "pull", MODEL_ID, env=offline)
    assert result.returncode == 0, result.stderr
    assert run_umi("models", "path", MODEL_ID, env=offline).returncode == 0


def test_hf_hub_offline_refuses_to_download(run_umi, hub, hub_model, hf_env):
    env = {**hf_env, "HF_ENDPOINT": hub.endpoint, "HF_HUB_OFFLINE": "1"}
    result = run_umi("models", "pull", MODEL_ID, env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"umi: error: cannot get model '{MODEL_ID}': hub acme/tiny-GGUF/{FILE}@main: "
        "HF_HUB_OFFLINE is set (unset it to download)"
    ]
    assert hub.requests == []


def test_missing_file_on_the_hub_is_one_line(run_umi, user_catalog, hub, hf_env, blob):
    from hub_catalog import hub_entry

    user_catalog(
        {
            "models": {
                "ghost": hub_entry(
                    blob, sources=[{"hub": {"repo": "acme/tiny-GGUF", "file": "nope.gguf"}}]
                )
            }
        }
    )
    result = run_umi("models", "pull", "ghost", env={**hf_env, "HF_ENDPOINT": hub.endpoint})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "umi: error: cannot get model 'ghost': hub acme/tiny-GGUF/nope.gguf@main: "
        "file not found in the repository"
    ]


def test_pull_unknown_id_is_a_usage_error(run_umi):
    result = run_umi("models", "pull", "no-such-model")
    assert result.returncode == 2
    line = result.stderr.strip()
    assert line.startswith("umi: error: unknown model or profile 'no-such-model' (profiles: ")
    assert "pocket" in line and "qwen2.5-coder-0.5b-instruct-q4_k_m" in line


def test_convert_only_model_falls_back_to_conversion(run_umi, hf_env):
    """With no GGUF source, `pull` converts the checkpoint; a hub without it fails in one line."""
    result = run_umi("models", "pull", "alpha-umi-planner-13b", env=hf_env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("umi: error:")
    assert "shenwzh3/alpha-umi-planner-13b" in lines[0]
    assert "Traceback" not in result.stderr


def test_convert_flag_on_model_without_checkpoint_is_explained(run_umi, hf_env):
    result = run_umi(
        "models", "pull", "qwen2.5-coder-1.5b-instruct-q4_k_m", "--convert", env=hf_env
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "umi: error: model 'qwen2.5-coder-1.5b-instruct-q4_k_m' has no checkpoint to convert "
        "(no `convert` source)"
    ]
