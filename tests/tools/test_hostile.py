"""Hostile APIs: answers that try to leak the key, crash the executor or eat the machine.

Each answer must become an observation (the executor never raises), with the key masked in
every text and log line, in bounded time and memory.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest
from support.loopback_spec import write_spec
from tools_data import CANARY

from umi_cli import secrets
from umi_cli.tools import Toolbox
from umi_cli.tools.http.execute import Executor
from umi_cli.tools.http.validate import load_spec


@pytest.fixture
def toolbox(loopback_spec: Path, canary_env: str):
    box = Toolbox.from_specs([load_spec(loopback_spec)], executor=Executor(sleep=lambda s: None))
    yield box
    box.close()


def test_a_key_echoed_in_headers_and_a_redirect_never_reaches_debug_output(
    run_umi, loopback_spec
):
    for api in ("echo_key", "redirect_key"):
        result = run_umi(
            "--debug", "tools", "call", f"loopback.{api}", "--spec", loopback_spec,
            env={"LOOPBACK_API_KEY": CANARY},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "receive_response_headers" in result.stderr  # httpcore's DEBUG lines ran
        assert CANARY not in result.stdout + result.stderr
        assert CANARY[: len(CANARY) // 2] not in result.stdout + result.stderr
        assert "***" in result.stdout + result.stderr


def test_a_key_cut_by_the_observation_limit_is_masked_before_the_cut(toolbox):
    result = toolbox.call("long_key_for_loopback", {})
    assert result.ok and len(result.text) <= 1024 + 3
    assert CANARY[:8] not in result.text and result.text.endswith("...")


def test_a_key_with_a_space_is_masked_in_its_form_encoded_shape(
    run_umi, tool_server, tmp_path
):
    spec = tmp_path / "q.yaml"
    spec.write_text(
        f"name: qkey\nbase_url: {tool_server.base_url}\nretries: 0\n"
        "auth: {type: api_key, in: query, name: key, env: QKEY}\n"
        "apis:\n  - {name: echo, path: /echo/x}\n"
    )
    key = "open sesame canary"
    result = run_umi("--debug", "tools", "call", "qkey.echo", "--spec", spec, env={"QKEY": key})
    assert result.returncode == 0, result.stderr
    assert tool_server.requests[-1].query["key"] == [key]  # it was sent
    everything = result.stdout + result.stderr
    for shape in (key, "open+sesame+canary", "open%20sesame%20canary"):
        assert shape not in everything


def test_deeply_nested_json_is_an_observation_not_a_crash(toolbox):
    result = toolbox.call("nested_for_loopback", {"depth": 5000})
    assert result.ok and result.text.startswith("[[[[")


def test_a_real_gzip_body_is_read(toolbox):
    result = toolbox.call("zipped_for_loopback", {})
    assert result.ok and json.loads(result.text)["words"][:2] == ["zipped", "zipped"]


def test_a_stacked_gzip_bomb_is_cut_at_the_size_cap_in_bounded_memory(toolbox):
    from support.tool_server import gzip_bomb

    assert len(gzip_bomb()) < 64_000  # a few KB on the wire, 512 MiB inflated
    tracemalloc.start()
    try:
        result = toolbox.call("gzip_bomb_for_loopback", {})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok  # the first 2 MB of zeros, cut like any huge body
    assert peak < 64_000_000, f"peak {peak / 1e6:.0f} MB"


def test_a_trickling_server_is_cut_off_at_the_call_timeout(tool_server, tmp_path, canary_env):
    spec = write_spec(tmp_path / "specs", tool_server.base_url, timeout=1.0)
    box = Toolbox.from_specs([load_spec(spec)], executor=Executor(sleep=lambda s: None))
    started = time.monotonic()
    result = box.call("trickle_for_loopback", {"seconds": 8})
    took = time.monotonic() - started
    box.close()
    assert not result.ok and "(timeout)" in json.loads(result.text)["error"]
    assert took < 4, took  # the 1 s deadline, not the server's 8 s


def test_an_empty_200_body_is_said_to_be_empty(toolbox):
    result = toolbox.call("empty_for_loopback", {})
    assert result.ok and result.text == "(the API answered HTTP 200 with an empty body)"


def test_a_refused_file_redirect_names_the_url(toolbox):
    result = toolbox.call("redirect_file_for_loopback", {})
    error = json.loads(result.text)["error"]
    assert error == "redirect to another host refused (file:///etc/passwd)"


def test_log_records_of_any_library_are_masked(caplog):
    import logging

    secrets.remember("another-canary-9c1")
    handler = caplog.handler
    secrets.install_log_redaction(logging.getLogger())
    try:
        logging.getLogger("somelib").warning("header x-key: %s", "another-canary-9c1")
        assert "another-canary-9c1" not in caplog.text and "x-key: ***" in caplog.text
    finally:
        handler.removeFilter(secrets._FILTER)
