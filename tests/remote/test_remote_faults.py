"""A server that is down, dies mid-stream, fails, is busy, is slow or speaks nonsense: each is a
clear one-line failure naming the model entry and the URL (no traceback); a batch goes on."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from remote_helpers import (
    TIMEOUT,
    endpoint_entry,
    free_port,
    one_error_line,
    tool_spec,
    trio,
    write_catalog,
)


def served_at(umi_home: Path, base_url: str, **extra: object) -> Path:
    """A catalog whose model ``far`` (and profile ``far``) is served at ``base_url``."""
    entry = endpoint_entry(base_url, "openai", **extra)
    return write_catalog(umi_home, {"far": entry}, {"far": trio("far")})


def test_nothing_answers_at_start(run_umi, umi_home) -> None:
    catalog = served_at(umi_home, f"http://127.0.0.1:{free_port()}/v1")
    done = run_umi("models", "try", "far", "hi")
    assert done.returncode == 1
    line = one_error_line(done.stderr)
    assert "model 'far': nothing answers at http://127.0.0.1:" in line
    number = next(
        n for n, text in enumerate(catalog.read_text().splitlines(), 1) if "base_url" in text
    )
    assert f"start the server or fix base_url in {catalog}:{number}" in line


@pytest.mark.parametrize(
    ("mode", "needles"),
    [
        ("m500", ["failed (HTTP 500: the model crashed)", "see the server's log"]),
        ("m429long", ["is busy (HTTP 429)", "asks to wait 3600 s"]),
        ("malformed", ["sent a malformed answer", "check that it is a openai server"]),
        ("cut", ["ended the stream before the completion finished"]),
        ("die", ["ended the stream before the completion finished"]),
        ("slow", ["sent nothing for 1 s", "raise timeout in"]),
    ],
)
def test_a_misbehaving_server_is_one_line(run_umi, umi_home, fault_server, mode, needles) -> None:
    served_at(umi_home, f"{fault_server.base_url}/{mode}", timeout=1)
    done = run_umi("models", "try", "far", "hi")
    assert done.returncode == 1, done.stdout
    line = one_error_line(done.stderr)
    assert f"model 'far': {fault_server.base_url}/{mode}/v1/completions" in line, line
    for needle in needles:
        assert needle in line, line


def test_busy_server_is_asked_again_after_retry_after(run_umi, umi_home, fault_server) -> None:
    served_at(umi_home, f"{fault_server.base_url}/m429")
    started = time.monotonic()
    done = run_umi("models", "try", "far", "hi", "--json")
    waited = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["text"] == "hello"
    assert waited >= 1.0  # it honoured Retry-After: 1 (a lower bound, not a speed figure)


def test_the_api_key_comes_from_the_environment_and_never_shows(
    run_umi, umi_home, fault_server
) -> None:
    key = "secret-key-4242"
    served_at(umi_home, f"{fault_server.base_url}/auth", api_key_env="UMI_TEST_SERVER_KEY")
    missing = run_umi("models", "try", "far", "hi", env={"UMI_TEST_SERVER_KEY": None})
    assert "$UMI_TEST_SERVER_KEY is not set" in one_error_line(missing.stderr)
    good = run_umi("--debug", "models", "try", "far", "hi", env={"UMI_TEST_SERVER_KEY": key})
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "hello"
    wrong_key = "wrong-key-9876543"
    bad = run_umi("--debug", "models", "try", "far", "hi", env={"UMI_TEST_SERVER_KEY": wrong_key})
    assert bad.returncode == 1
    assert "HTTP 401" in bad.stderr and "set $UMI_TEST_SERVER_KEY to a valid key" in bad.stderr
    for output in (good.stdout, good.stderr, bad.stdout, bad.stderr):
        assert key not in output and wrong_key not in output  # the server echoed it: redacted


def test_a_server_that_goes_away_fails_its_task_and_the_batch_goes_on(
    run_umi, umi_home, fault_server, tool_server, tmp_path
) -> None:
    served_at(umi_home, f"{fault_server.base_url}/die")
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps({"id": i, "query": f"q{i}"}) + "\n" for i in range(3)))
    out = tmp_path / "out.jsonl"
    spec = tool_spec(tmp_path, tool_server.base_url)
    done = run_umi("batch", tasks, "-o", out, "-p", "far", "--tools", spec, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == [0, 1, 2]
    assert all(r["outcome"] == "failed" for r in records)
    assert "ended the stream before the completion finished" in records[0]["error"]
    assert "nothing answers at" in records[1]["error"]  # the server is gone for the rest
    assert "Traceback" not in done.stderr
    with pytest.raises(httpx.HTTPError):
        httpx.get(fault_server.base_url + "/stats", timeout=2)
