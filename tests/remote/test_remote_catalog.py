"""Endpoint entries in models.yaml: validation names file, line and field; profiles mix local and
remote roles; `umi models list` shows them without asking anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from remote_helpers import endpoint_entry, file_entry, write_catalog

from umi_cli.errors import ConfigError
from umi_cli.models import EndpointRef, FileRef, ModelStore, load_catalog, resolve_profile
from umi_cli.models.catalog_schema import parse_catalog
from umi_cli.models.refs import FLAVORS

GOOD = """\
models:
  planner-7b:
    description: a 7B planner on a GPU box
    endpoint:
      base_url: http://gpu-box:8000/v1/
      model: alpha-umi-planner-7b
      flavor: vllm
      api_key_env: VLLM_API_KEY
      parallel: 8
      timeout: 30
    format: alpha-umi
    context_length: 4096
"""


def test_an_endpoint_entry_becomes_an_endpoint_ref(tmp_path: Path) -> None:
    file = tmp_path / "models.yaml"
    entry = parse_catalog(GOOD, file).models["planner-7b"]
    ref = entry.endpoint
    assert isinstance(ref, EndpointRef) and entry.sources == () and entry.sha256 is None
    assert ref.base_url == "http://gpu-box:8000"  # the /v1 is the flavor's business
    assert (ref.model, ref.flavor, ref.api_key_env) == (
        "alpha-umi-planner-7b",
        "vllm",
        "VLLM_API_KEY",
    )
    assert ref.parallel == 8 and ref.timeout == 30.0
    assert ref.at("base_url") == f"{file}:5" and ref.at("api_key_env") == f"{file}:8"
    assert ref.kind == "endpoint" and ref.key != FileRef(tmp_path).key
    again = parse_catalog(json.dumps({"models": {"planner-7b": entry.to_dict()}}), file)
    assert again.models["planner-7b"].endpoint == EndpointRef(
        "planner-7b", ref.base_url, ref.model, "vllm", "VLLM_API_KEY", None, 8, 30.0,
        origin=file, lines=again.models["planner-7b"].endpoint.lines,
    )  # fmt: skip


def test_every_flavor_has_capabilities() -> None:
    from umi_cli.engine.remote import FLAVORS as CAPABILITIES

    assert set(CAPABILITIES) == set(FLAVORS)


@pytest.mark.parametrize(
    ("change", "line", "needle"),
    [
        (("flavor: vllm", "flavor: tgi"), 7, "field 'flavor': expected one of llama-server"),
        (("base_url: http://gpu-box:8000/v1/", "base_url: gpu-box"), 5, "http:// or https://"),
        (("      model: alpha-umi-planner-7b\n", ""), 5, "missing field 'model'"),
        (("api_key_env: VLLM_API_KEY", "api_key_env: sk-123"), 8, "not the key itself"),
        (("parallel: 8", "parallel: 0"), 9, "field 'parallel'"),
        (("timeout: 30", "timeout: soon"), 10, "field 'timeout'"),
        (("timeout: 30", "temperature: 0"), 10, "unknown field 'temperature'"),
        (
            ("    format: alpha-umi", "    sha256: null\n    format: alpha-umi"),
            11,
            "field 'sha256'",
        ),
    ],
)
def test_a_bad_endpoint_is_one_line_naming_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], line: int, needle: str
) -> None:
    file = tmp_path / "models.yaml"
    with pytest.raises(ConfigError) as caught:
        parse_catalog(GOOD.replace(*change), file)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{file}:{line}: model 'planner-7b': "), message
    assert needle in message


def test_a_profile_mixes_a_remote_planner_with_a_local_caller(
    umi_home: Path, tiny_gguf: Path
) -> None:
    write_catalog(
        umi_home,
        {
            "remote-7b": endpoint_entry("http://127.0.0.1:9/v1", "llama-server"),
            "local-tiny": file_entry(tiny_gguf),
        },
        {"mixed": {"roles": {"planner": "remote-7b", "caller": "local-tiny",
                             "summarizer": "local-tiny"}}},
    )  # fmt: skip
    roles = resolve_profile("mixed", catalog=load_catalog(), store=ModelStore())
    planner, caller = roles["planner"][1], roles["caller"][1]
    assert isinstance(planner, EndpointRef) and planner.base_url == "http://127.0.0.1:9"
    assert isinstance(caller, FileRef) and roles["summarizer"][1] is caller


def test_models_list_shows_endpoints_without_asking_them(run_umi, umi_home: Path) -> None:
    write_catalog(umi_home, {"far": endpoint_entry("http://127.0.0.1:9", "ollama")}, {})
    done = run_umi("models", "list", "--json")
    assert done.returncode == 0, done.stderr
    (row,) = [row for row in json.loads(done.stdout) if row["id"] == "far"]
    assert row["state"] == "endpoint" and row["where"] == "tiny at http://127.0.0.1:9 (ollama)"
    assert row["endpoint"]["flavor"] == "ollama"
    table = run_umi("models", "list")
    assert "served" in table.stdout and "http://127.0.0.1:9" in table.stdout


def test_file_commands_on_an_endpoint_say_what_to_do(run_umi, umi_home: Path) -> None:
    write_catalog(umi_home, {"far": endpoint_entry("http://127.0.0.1:9", "vllm")}, {})
    for command in (("path", "far"), ("rm", "far"), ("pull", "far"), ("verify", "far")):
        done = run_umi("models", *command)
        assert done.returncode == 1, done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert "served at http://127.0.0.1:9" in line, line
