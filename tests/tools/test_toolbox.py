"""Toolbox loading rules and response shaping."""

from __future__ import annotations

from pathlib import Path

import pytest

from umi_cli.errors import ConfigError, UsageError
from umi_cli.tools import Toolbox
from umi_cli.tools.http.shape import parse_json_path, shape_response


def _spec(folder: Path, name: str, tool: str = "t", api: str = "a") -> Path:
    path = folder / name
    path.write_text(
        f"name: {tool}\nbase_url: https://x.example\napis: [{{name: {api}, path: /a}}]\n"
    )
    return path


def test_load_by_file_and_by_installed_name(tmp_path, umi_home):
    user = umi_home / "config" / "tool_specs"
    user.mkdir(parents=True)
    _spec(user, "mine.yaml", tool="mine")
    assert Toolbox.load(["mine"]).names() == ["a_for_mine"]
    assert Toolbox.load([str(_spec(tmp_path, "f.yaml", tool="f"))]).names() == ["a_for_f"]
    everything = Toolbox.load()
    assert "a_for_mine" in everything.names() and "search_for_deezer" in everything.names()


def test_user_spec_replaces_a_built_in_of_the_same_name(umi_home):
    user = umi_home / "config" / "tool_specs"
    user.mkdir(parents=True)
    _spec(user, "deezer.yaml", tool="deezer", api="only")
    assert [n for n in Toolbox.load().names() if n.endswith("_for_deezer")] == ["only_for_deezer"]


def test_unknown_selectors_and_overrides_are_usage_errors(tmp_path, umi_home):
    with pytest.raises(UsageError, match=r"unknown tool 'nope' \(installed: .*deezer"):
        Toolbox.load(["nope"])
    with pytest.raises(UsageError, match=r"tool spec file not found: missing\.yaml"):
        Toolbox.load(["missing.yaml"])
    with pytest.raises(UsageError, match="base URL given for unknown tool"):
        Toolbox.load(["deezer"], base_urls={"other": "http://127.0.0.1:1"})


def test_two_tools_rendering_to_the_same_api_name_are_refused(tmp_path):
    first = _spec(tmp_path, "one.yaml", tool="x y")
    second = _spec(tmp_path, "two.yaml", tool="X-Y")
    with pytest.raises(ConfigError, match=r"API name a_for_x_y is also used by tool 'x y'"):
        Toolbox.load([str(first), str(second)])


def test_documents_names_and_function_definitions_line_up():
    box = Toolbox.load(["deezer", "rest_countries"])
    assert [d["Name"] for d in box.documents()] == box.names()
    definitions = box.function_definitions()
    assert [d["name"] for d in definitions] == box.names()
    assert definitions[0]["parameters"] == box.json_schema("search_for_deezer")


def test_json_paths_and_fields():
    body = {"data": [{"id": 1, "a": {"b": 2}, "x": 0}, {"id": 2, "a": {"b": 3}}], "n": 2}
    assert parse_json_path("$.data[*].a.b") == ["data", "*", "a", "b"]
    assert shape_response(body, "data[*].a.b", ()) == [2, 3]
    assert shape_response(body, "data[1]", ()) == {"id": 2, "a": {"b": 3}}
    assert shape_response(body, "data", ("id", "a.b")) == [{"id": 1, "a.b": 2}, {"id": 2, "a.b": 3}]
    assert shape_response(body, "missing.path", ()) is None
    assert shape_response(body, None, ()) == body
