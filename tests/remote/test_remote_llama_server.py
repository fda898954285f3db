"""Against llama.cpp's own ``llama-server`` (slots, /props, /tokenize, /apply-template).

The binary is not part of the project (it is built from source, never in CI): these tests run
when ``UMI_LLAMA_SERVER`` names one, or ``llama-server`` is on PATH, and are skipped otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from remote_helpers import (
    TIMEOUT,
    Served,
    endpoint_entry,
    file_entry,
    free_port,
    tool_spec,
    trio,
    wait_until_up,
    without_figures,
    write_catalog,
)

BINARY = os.environ.get("UMI_LLAMA_SERVER") or shutil.which("llama-server")
pytestmark = pytest.mark.skipif(not BINARY, reason="no llama-server (set UMI_LLAMA_SERVER)")


@pytest.fixture(scope="module")
def llama_server(served_gguf: Path, tmp_path_factory: pytest.TempPathFactory):
    port = free_port()
    log = tmp_path_factory.mktemp("llama_server_bin") / "server.log"
    command = [
        str(BINARY), "-m", str(served_gguf), "--host", "127.0.0.1", "--port", str(port),
        "--parallel", "2", "-c", "8192", "--threads", "1",
    ]  # fmt: skip
    with log.open("w") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    served = wait_until_up(Served(process, f"http://127.0.0.1:{port}"), "/health", log)
    try:
        yield served
    finally:
        served.stop()


def test_llama_server_capabilities_come_from_the_server(llama_server, served_gguf) -> None:
    from umi_cli.engine.llama import open_file
    from umi_cli.engine.remote import RemoteOpener
    from umi_cli.models.refs import EndpointRef

    ref = EndpointRef("there", llama_server.base_url, "tiny", "llama-server")
    remote = RemoteOpener().open(ref, 4096)
    local = open_file(served_gguf, 512)
    try:
        caps = remote.caps
        assert (caps.grammar, caps.kv_slots, caps.parallel) == ("gbnf", True, 2)
        assert remote.slots is not None and len(remote.slots.slots) == 2
        assert remote.renderer.how == "server" and remote.counter.how == "server"
        messages = [{"role": "user", "content": "hi"}]
        assert remote.render_chat(messages) == local.render_chat(messages)
        for text in ("hello world", "<|im_start|>user\nhi<|im_end|>"):
            assert remote.count_tokens(text) == local.count_tokens(text)
    finally:
        remote.close()
        local.close()


def test_llama_server_episode_matches_in_process_and_reuses_slots(
    run_umi, umi_home, llama_server, served_gguf, tool_server, tmp_path
) -> None:
    write_catalog(
        umi_home,
        {
            "here": file_entry(served_gguf),
            "there": endpoint_entry(llama_server.base_url, "llama-server"),
        },
        {"here": trio("here"), "there": trio("there")},
    )
    spec = tool_spec(tmp_path, tool_server.base_url)
    runs = {}
    for profile in ("here", "there"):
        done = run_umi(
            "run", "--json", "-p", profile, "--tools", str(spec), "--max-steps", "2",
            "Find songs about love", timeout=TIMEOUT,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        runs[profile] = [json.loads(line) for line in done.stdout.splitlines()]
    here, there = (without_figures(runs[p]) for p in ("here", "there"))
    here[0]["profile"] = there[0]["profile"] = "?"
    assert there == here
    planners = [e for e in runs["there"] if e["event"] == "planner"]
    assert planners[-1]["stats"]["cached_tokens"] > 0  # the planner's slot kept its prefix
