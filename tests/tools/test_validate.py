"""Spec validation: every problem of a file at once, each as file:line: field: problem (fix)."""

from __future__ import annotations

from pathlib import Path

import pytest

from umi_cli.errors import ConfigError
from umi_cli.paths import builtin_tool_specs_dir
from umi_cli.tools.http.validate import load_spec, validate_file

BROKEN = sorted((Path(__file__).parent / "broken").glob("*.yaml"))
SHIPPED = sorted(builtin_tool_specs_dir().glob("*.yaml"))


def _expected(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        f"{path}:{line.removeprefix('# expect: ')}"
        for line in lines
        if line.startswith("# expect: ")
    ]


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_spec_reports_exactly_the_expected_problems(path: Path):
    expected = _expected(path)
    assert expected, f"{path} lists no expected problems"
    assert [str(problem) for problem in validate_file(path)] == expected


def test_the_broken_corpus_covers_each_kind_of_problem():
    text = "\n".join("\n".join(_expected(p)) for p in BROKEN)
    for needle in (
        "unknown key (did you mean",
        "missing required field",
        "duplicate API name",
        "duplicate parameter",
        "has no parameter",
        "must be a number, got a string",
        "syntax error",
        "duplicate key",
        "secrets are never written",
    ):
        assert needle in text


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_specs_are_valid(path: Path):
    assert validate_file(path) == []
    spec = load_spec(path)
    assert spec.apis


def test_shipped_specs_cover_the_promised_services():
    names = {load_spec(p).name for p in SHIPPED}
    assert {"deezer", "open_meteo", "wikipedia", "rest_countries", "open_library"} <= names
    keyed = [load_spec(p) for p in SHIPPED if load_spec(p).auth is not None]
    assert any(s.auth.env == "RAPIDAPI_KEY" for s in keyed)


def test_load_spec_raises_one_line_naming_the_first_problem_and_the_count():
    path = next(p for p in BROKEN if p.stem == "unknown_keys")
    with pytest.raises(ConfigError) as info:
        load_spec(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:2: descripton: unknown key")
    assert message.endswith(f"(+4 more; run: umi tools validate {path})")


def test_cli_validate_exits_1_with_all_problems_and_0_when_clean(run_umi):
    bad = run_umi("tools", "validate", *map(str, BROKEN))
    assert bad.returncode == 1
    for path in BROKEN:
        for line in _expected(path):
            assert line in bad.stdout.splitlines()
    assert "Traceback" not in bad.stderr
    good = run_umi("tools", "validate", *map(str, SHIPPED))
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.count(": ok") == len(SHIPPED)
    folder = run_umi("tools", "validate", str(builtin_tool_specs_dir()))
    assert folder.returncode == 0
