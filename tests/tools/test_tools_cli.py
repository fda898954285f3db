"""`umi tools` driven through the real CLI in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from tools_data import CANARY

from umi_cli.paths import builtin_tool_specs_dir


def test_list_shows_every_shipped_tool(run_umi):
    table = run_umi("tools", "list")
    assert table.returncode == 0, table.stderr
    for name in ("search_for_deezer", "forecast_for_open_meteo", "page_summary_for_wikipedia"):
        assert name in table.stdout
    rows = json.loads(run_umi("tools", "list", "--json").stdout)
    tools = {row["tool"] for row in rows}
    assert {"deezer", "open_meteo", "wikipedia", "rest_countries", "open_library"} <= tools
    keyed = [row for row in rows if row["auth_env"]]
    assert any(row["auth_env"] == "RAPIDAPI_KEY" for row in keyed)


def test_list_includes_user_specs_from_the_umi_home(run_umi, umi_home, tool_server):
    from support.loopback_spec import write_spec

    write_spec(umi_home / "config" / "tool_specs", tool_server.base_url)
    rows = json.loads(run_umi("tools", "list", "--json").stdout)
    assert any(row["name"] == "search_tracks_for_loopback" for row in rows)


def test_show_prints_the_document_lines_and_json_schema(run_umi):
    result = run_umi("tools", "show", "deezer")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    document = json.loads(next(line for line in lines if line.startswith('{"Name": "search_for')))
    assert list(document) == ["Name", "function", "input"]
    assert "# JSON Schema of search_for_deezer" in result.stdout
    payload = json.loads(run_umi("tools", "show", "track_for_deezer", "--json").stdout)
    assert [p["document"]["Name"] for p in payload] == ["track_for_deezer"]
    assert payload[0]["json_schema"]["required"] == ["is_id"]


def test_show_unknown_name_is_one_line_usage_error(run_umi):
    result = run_umi("tools", "show", "nope")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("umi: error: unknown tool or API 'nope'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_call_prints_the_observation_and_sends_the_key(run_umi, loopback_spec, tool_server):
    result = run_umi(
        "tools", "call", "loopback.search tracks", "--spec", str(loopback_spec),
        "--arg", "q=love", "--arg", "limit=2",
        env={"LOOPBACK_API_KEY": CANARY},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"id": 1, "title": "Love Story", "artist": "Taylor Swift"},
        {"id": 2, "title": "Crazy in Love", "artist": "Beyonce"},
    ]
    request = tool_server.requests_to("/music/search")[-1]
    assert request.query == {"q": ["love"], "limit": ["2"]}
    assert request.header("X-Api-Key") == CANARY


def test_call_with_base_url_override_and_json_values(run_umi, tool_server, tmp_path):
    from support.loopback_spec import write_spec

    spec = write_spec(tmp_path, "https://unreachable.example")
    result = run_umi(
        "tools", "call", "loopback.add_note_for_loopback", "--spec", str(spec),
        "--base-url", tool_server.base_url, "--arg", 'tags=["x", "y"]', "--arg", "text=hello",
        "--json", env={"LOOPBACK_API_KEY": CANARY},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["ok"] and payload["status"] == 201
    assert json.loads(payload["observation"]) == {"id": 7, "text": "hello", "tags": ["x", "y"]}


def test_failed_call_exits_1_and_never_prints_the_secret(run_umi, loopback_spec, tool_server):
    env = {"LOOPBACK_API_KEY": CANARY}
    echo = run_umi(
        "--debug", "tools", "call", "loopback.echo", "--spec", str(loopback_spec),
        "--arg", "segment=x", env=env,
    )  # fmt: skip
    assert echo.returncode == 0
    assert "x-api-key" in echo.stdout and CANARY not in echo.stdout + echo.stderr
    failed = run_umi(
        "--debug", "tools", "call", "loopback.fail", "--spec", str(loopback_spec), env=env
    )
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["status"] == 500
    assert CANARY not in failed.stdout + failed.stderr
    missing = run_umi(
        "tools", "call", "loopback.search_tracks", "--spec", str(loopback_spec), env=env
    )
    assert missing.returncode == 1
    assert "missing required parameter 'q'" in json.loads(missing.stdout)["error"]


def test_call_with_bad_target_is_a_usage_error(run_umi, loopback_spec):
    result = run_umi("tools", "call", "loopback.nope", "--spec", str(loopback_spec))
    assert result.returncode == 2
    assert "tool 'loopback' has no API 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_user_spec_is_one_clear_line(run_umi, umi_home):
    folder = umi_home / "config" / "tool_specs"
    folder.mkdir(parents=True)
    (folder / "bad.yaml").write_text("name: bad\nbase_url: https://x.example\napis: [{name: a}]\n")
    result = run_umi("tools", "list")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"umi: error: {folder / 'bad.yaml'}:3: apis[0].path: missing required field (add path: ...)"
    )


def test_every_shipped_spec_validates_via_the_cli(run_umi):
    files = sorted(str(p) for p in Path(builtin_tool_specs_dir()).glob("*.yaml"))
    result = run_umi("tools", "validate", *files)
    assert result.returncode == 0, result.stdout
