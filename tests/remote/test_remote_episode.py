"""The same agent episode in-process and against a real server: the same events.

The tiny GGUF runs in-process and behind ``python -m llama_cpp.server``; a constrained, greedy
episode (planner, caller, a real tool call on loopback, summarizer) must produce the same
events either way, timings and token figures aside. Then `umi models try` and `info` on the
served model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from remote_helpers import (
    TIMEOUT,
    endpoint_entry,
    file_entry,
    tool_spec,
    trio,
    without_figures,
    write_catalog,
)


@pytest.mark.parametrize(
    ("fmt", "local_gguf"),
    [
        ("alpha-umi", False),  # tokens counted by the server (/extras/tokenize/count)
        ("chat", True),  # the chat template rendered here from the GGUF; prefilled turns
    ],
)
def test_remote_episode_gives_the_events_of_the_in_process_one(
    run_umi, umi_home, llama_cpp_server, served_gguf, tool_server, tmp_path, fmt, local_gguf
) -> None:
    extra = {"gguf": str(served_gguf)} if local_gguf else {}
    write_catalog(
        umi_home,
        {
            "here": file_entry(served_gguf, fmt),
            "there": endpoint_entry(llama_cpp_server.base_url, "llama-cpp-python", fmt, **extra),
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
    for run in (here, there):
        run[0]["profile"] = "?"  # the one field that names the profile
    assert [e["event"] for e in here].count("call") >= 1  # a real episode: it called the API
    assert there == here
    # every completion was served (an answer check that dropped nothing carries no figures)
    served = [e for e in runs["there"] if "stats" in e and e["event"] != "answer_check"]
    assert all(e["stats"]["prompt_tokens"] > 0 < e["stats"]["generated_tokens"] for e in served)
    sent = [e for e in here if e["event"] == "observation" and e["reused_from"] is None]
    assert len(tool_server.requests_to("/music/search")) == 2 * len(sent)  # each run sent them


def test_models_try_on_a_server_prints_the_figures_of_a_local_run(
    run_umi, umi_home, llama_cpp_server, served_gguf
) -> None:
    write_catalog(
        umi_home,
        {
            "here": file_entry(served_gguf, "chat"),
            "there": endpoint_entry(
                llama_cpp_server.base_url, "llama-cpp-python", "chat", gguf=str(served_gguf)
            ),
        },
        {},
    )
    results = {}
    for model in ("here", "there"):
        done = run_umi("models", "try", model, "Say hi", "--max-tokens", "12", "--json")
        assert done.returncode == 0, done.stderr
        results[model] = json.loads(done.stdout)
    here, there = results["here"], results["there"]
    assert set(there) == set(here)
    assert there["text"] == here["text"] and there["stop_reason"] == here["stop_reason"]
    assert there["prompt_tokens"] == here["prompt_tokens"]
    shown = run_umi("models", "try", "there", "Say hi", "--max-tokens", "12")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == here["text"].strip()
    assert "generated" in shown.stderr and "tok/s" in shown.stderr and "stop:" in shown.stderr


def test_models_info_asks_the_server(run_umi, umi_home, llama_cpp_server) -> None:
    write_catalog(
        umi_home, {"there": endpoint_entry(llama_cpp_server.base_url, "llama-cpp-python")}, {}
    )
    done = run_umi("models", "info", "there", "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["serves"] and info["serves"][0].endswith("served.gguf")
    assert info["capabilities"] == {
        "grammar": "gbnf", "prefix_cache": "none", "tokens": "server", "chat_template": "none",
        "parallel": 1,
    }  # fmt: skip
    text = run_umi("models", "info", "there")
    assert "llama-cpp-python" in text.stdout and "served.gguf" in text.stdout


def test_remote_token_counts_are_asked_once_per_text(llama_cpp_server, served_gguf) -> None:
    from umi_cli.engine.llama import open_file
    from umi_cli.engine.remote import RemoteOpener
    from umi_cli.models.refs import EndpointRef

    ref = EndpointRef("there", llama_cpp_server.base_url, "tiny", "llama-cpp-python")
    remote = RemoteOpener().open(ref, 4096)
    local = open_file(Path(served_gguf), 512)
    try:
        texts = ["hello world", "Action: x\nAction Input: {}", "<|im_start|>user\nhi<|im_end|>"]
        for text in texts * 3:
            assert remote.count_tokens(text) == local.count_tokens(text)
        assert remote.counter.remote_calls == len(texts) + 1  # + the empty text, once
        assert remote.caps.local_tokenizer is False and remote.caps.grammar == "gbnf"
    finally:
        remote.close()
        local.close()
