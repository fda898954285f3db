"""Executing calls against a real loopback HTTP server: results, faults, safety, secrets."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from support.loopback_spec import write_spec
from support.tool_server import ToolServer
from tools_data import CANARY

from umi_cli.tools import ExecutionSettings, Toolbox
from umi_cli.tools.http.execute import Executor
from umi_cli.tools.http.validate import load_spec


class RecordedSleep:
    """Stands in for time.sleep: records the waits the executor asked for, returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
def toolbox(loopback_spec: Path, canary_env: str, sleeps: RecordedSleep):
    box = Toolbox.from_specs([load_spec(loopback_spec)], executor=Executor(sleep=sleeps))
    yield box
    box.close()


def _error(result) -> dict:
    assert not result.ok
    payload = json.loads(result.text)
    assert set(payload) >= {"error", "status"}
    return payload


def test_search_returns_shaped_json_and_sends_key_and_headers(toolbox, tool_server):
    result = toolbox.call("search_tracks_for_loopback", '{"q": "love", "limit": 2}')
    assert result.ok and result.status == 200
    assert json.loads(result.text) == [
        {"id": 1, "title": "Love Story", "artist": "Taylor Swift"},
        {"id": 2, "title": "Crazy in Love", "artist": "Beyonce"},
    ]
    request = tool_server.requests_to("/music/search")[-1]
    assert request.query == {"q": ["love"], "limit": ["2"]}
    assert request.header("X-Api-Key") == CANARY
    assert request.header("X-Client") == "umi-tests"
    assert result.size > 0 and result.seconds >= 0


def test_renamed_parameters_map_back_to_the_real_names(toolbox, tool_server):
    assert toolbox.json_schema("get_track_for_loopback")["required"] == ["is_id"]
    result = toolbox.call("get_track_for_loopback", {"is_id": 3})
    assert result.ok and json.loads(result.text)["title"] == "Yellow"
    echo = toolbox.call("echo_for_loopback", {"segment": "a", "is_from": "x"})
    assert json.loads(echo.text)["query"] == {"from": "x"}


def test_string_values_are_coerced_to_the_declared_types(toolbox, tool_server):
    result = toolbox.call("get_track_for_loopback", '{"is_id": "4"}')
    assert json.loads(result.text)["title"] == "Bohemian Rhapsody"


def test_post_body_parameters_go_in_a_json_body(toolbox, tool_server):
    result = toolbox.call("add_note_for_loopback", {"text": "hi", "tags": ["a", "b"]})
    assert result.ok and result.status == 201
    assert json.loads(tool_server.requests_to("/notes")[-1].body) == {
        "text": "hi",
        "tags": ["a", "b"],
    }


def test_text_bodies_pass_through(toolbox):
    result = toolbox.call("plain_text_for_loopback", "")
    assert result.ok and result.text == "plain words, not JSON"


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        (
            "no_such_api",
            "{}",
            "unknown API 'no_such_api'; available APIs: search_tracks_for_loopback",
        ),
        ("search_tracks_for_loopback", "{q: love", "Action Input is not valid JSON"),
        ("search_tracks_for_loopback", "[1, 2]", "must be a JSON object"),
        ("search_tracks_for_loopback", "{}", "missing required parameter 'q'"),
        ("search_tracks_for_loopback", {"q": "a", "limit": "many"}, "'limit' must be an integer"),
        ("search_tracks_for_loopback", {"q": "a", "genre": "x"}, "unknown parameter 'genre'"),
        ("current_weather_for_loopback", {"city": "Oslo", "units": "kelvin"}, "must be one of"),
    ],
)
def test_bad_calls_become_error_observations(toolbox, tool_server, name, arguments, message):
    before = len(tool_server.requests)
    payload = _error(toolbox.call(name, arguments))
    assert message in payload["error"]
    assert payload["status"] is None
    assert len(tool_server.requests) == before  # nothing was sent


def test_http_errors_are_observations_with_status_and_body(toolbox):
    payload = _error(toolbox.call("get_track_for_loopback", {"is_id": 99}))
    assert payload["status"] == 404
    assert "no track 99" in payload["response"]


def test_5xx_is_retried_with_backoff_then_reported(toolbox, tool_server, sleeps):
    result = toolbox.call("fail_for_loopback", {})
    payload = _error(result)
    assert payload["status"] == 500 and result.service_down
    assert len(tool_server.requests_to("/fault/500")) == 3  # 1 + retries: 2
    assert sleeps.waits == [0.5, 1.0]


def test_a_transient_5xx_recovers(toolbox, tool_server, sleeps):
    result = toolbox.call("flaky_for_loopback", {})
    assert result.ok and json.loads(result.text) == {"ok": True}
    assert len(sleeps.waits) == 1


def test_429_waits_as_long_as_retry_after_says(toolbox, tool_server, sleeps):
    result = toolbox.call("rate_limited_for_loopback", {})
    assert result.ok and json.loads(result.text)["after"] == "retry"
    assert sleeps.waits == [2.0]


def test_429_with_a_retry_after_beyond_the_cap_is_not_waited_for(toolbox, tool_server, sleeps):
    result = toolbox.call("quota_exceeded_for_loopback", {})
    payload = _error(result)
    assert payload["status"] == 429 and payload["retry_after_seconds"] == 3600
    assert result.service_down and sleeps.waits == []
    assert len(tool_server.requests_to("/fault/429-always")) == 1


def test_slow_answers_time_out(toolbox):
    # The spec's timeout is 2 s; the server waits 5 s before answering.
    result = toolbox.call("slow_for_loopback", {"seconds": 5})
    payload = _error(result)
    assert "timeout" in payload["error"] and payload["status"] is None


def test_invalid_json_bodies_are_reported(toolbox):
    payload = _error(toolbox.call("invalid_json_for_loopback", {}))
    assert "invalid JSON" in payload["error"] and payload["status"] == 200
    assert payload["response"].startswith('{"data": [1, 2,')


def test_huge_bodies_stop_at_the_size_cap(tool_server, loopback_spec, canary_env):
    settings = ExecutionSettings(max_response_bytes=100_000)
    box = Toolbox.from_specs([load_spec(loopback_spec)], settings=settings)
    result = box.call("huge_for_loopback", {"mb": 64})
    box.close()
    assert result.ok
    assert result.size <= 100_000 + 70_000  # stopped within one network chunk of the cap
    assert len(result.text) == 1024 + 3 and result.text.endswith("...")


def test_observations_are_cut_to_1024_characters_plus_dots_by_default(
    tool_server, tmp_path, canary_env
):
    spec = write_spec(tmp_path, tool_server.base_url)
    box = Toolbox.load([str(spec)])
    long = box.call("echo_for_loopback", {"segment": "x" * 2000})
    short_box = Toolbox.load([str(spec)], settings=ExecutionSettings(max_observation_chars=50))
    short = short_box.call("echo_for_loopback", {"segment": "y"})
    box.close()
    short_box.close()
    assert len(long.text) == 1027 and long.text.endswith("...")
    assert len(short.text) == 53


def test_redirects_to_another_host_are_refused(toolbox, tool_server):
    payload = _error(toolbox.call("redirect_away_for_loopback", {}))
    assert "redirect to another host refused" in payload["error"]
    port = tool_server.other_base_url.rsplit(":", 1)[1]
    assert port in payload["error"]
    other_requests = [
        r
        for r in tool_server.requests
        if r.header(
            "Host",
        ).endswith(port)
    ]
    assert other_requests == []


def test_redirects_within_the_host_are_followed(toolbox, tool_server):
    result = toolbox.call("redirect_home_for_loopback", {})
    assert result.ok and json.loads(result.text)["total"] == 4
    assert tool_server.requests[-1].raw_target == "/music/search?q=love"


def test_redirects_to_file_urls_are_refused(toolbox):
    payload = _error(toolbox.call("redirect_file_for_loopback", {}))
    assert "refused" in payload["error"]
    assert "root:" not in payload["error"]


@pytest.mark.parametrize("segment", ["../../music/search", "..", "//evil.example/x", "a/b?c=d#e"])
def test_path_parameters_cannot_leave_their_segment(toolbox, tool_server, segment):
    result = toolbox.call("echo_for_loopback", {"segment": segment})
    assert result.ok
    seen = json.loads(result.text)["path"]
    assert seen.startswith("/echo/") and seen.count("/") == 2, seen
    assert tool_server.requests[-1].raw_target.startswith("/echo/")
    assert tool_server.requests[-1].header("Host") == tool_server.base_url.removeprefix("http://")


def test_a_switchable_down_api_and_refused_connections(toolbox, tool_server, tmp_path):
    tool_server.down = True
    down = toolbox.call("down_for_loopback", {})
    assert _error(down)["status"] == 503 and down.service_down
    tool_server.down = False
    assert toolbox.call("down_for_loopback", {}).ok

    with ToolServer() as gone:
        dead_url = gone.base_url
    spec = load_spec(write_spec(tmp_path / "dead", dead_url))
    box = Toolbox.from_specs([spec], executor=Executor(sleep=RecordedSleep()))
    refused = box.call("search_tracks_for_loopback", {"q": "x"})
    box.close()
    payload = _error(refused)
    assert "cannot connect" in payload["error"] and refused.service_down


def test_base_url_override_points_a_tool_at_another_server(loopback_spec, canary_env):
    with ToolServer() as other:
        box = Toolbox.load([str(loopback_spec)], base_urls={"loopback": other.base_url})
        result = box.call("search_tracks_for_loopback", {"q": "yellow"})
        box.close()
        assert result.ok and len(other.requests_to("/music/search")) == 1


def test_missing_secret_is_reported_without_calling(loopback_spec, tool_server, monkeypatch):
    monkeypatch.delenv("LOOPBACK_API_KEY", raising=False)
    box = Toolbox.load([str(loopback_spec)])
    payload = _error(box.call("search_tracks_for_loopback", {"q": "x"}))
    assert "LOOPBACK_API_KEY" in payload["error"]
    assert tool_server.requests == []


def test_the_secret_never_appears_in_observations_errors_or_logs(
    toolbox, tool_server, caplog, sleeps
):
    caplog.set_level(logging.DEBUG)
    results = [
        toolbox.call("echo_for_loopback", {"segment": CANARY}),  # server echoes the key header
        toolbox.call("echo_for_loopback", {"segment": "x", "is_from": CANARY}),
        toolbox.call("fail_for_loopback", {}),
        toolbox.call("search_tracks_for_loopback", {"q": CANARY, "limit": "x"}),
        toolbox.call("redirect_away_for_loopback", {}),
        toolbox.call("slow_for_loopback", {"seconds": 3}),
    ]
    assert tool_server.requests_to("/echo")[0].header("X-Api-Key") == CANARY  # it was sent
    for result in results:
        assert CANARY not in result.text
    assert "***" in results[0].text
    assert CANARY not in caplog.text
    assert caplog.records  # the executor did log


def test_secret_in_a_query_parameter_is_scrubbed_from_logs(
    tool_server, tmp_path, caplog, canary_env
):
    spec = write_spec(tmp_path, tool_server.base_url)
    text = spec.read_text().replace("in: header, name: X-Api-Key", "in: query, name: key")
    spec.write_text(text)
    caplog.set_level(logging.DEBUG)
    box = Toolbox.load([str(spec)])
    result = box.call("echo_for_loopback", {"segment": "q"})
    box.close()
    assert tool_server.requests[-1].query["key"] == [CANARY]
    assert CANARY not in result.text and CANARY not in caplog.text
