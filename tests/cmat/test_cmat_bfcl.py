"""`umi eval bfcl --mode cmat`: real bfcl-eval data and checker, tiny GGUFs, the real CLI.

The caller's grammar is forced per call (the wrong answer first, then the right one), so the
first, unchecked proposal and the checked, revised answer must score differently.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("bfcl_eval", reason="pip install --no-deps 'bfcl-eval==2026.3.23'")

from umi_cli.eval.bfcl import BfclRunner, accuracy_table
from umi_cli.eval.bfcl_data import BfclItem, load_category
from umi_cli.eval.bfcl_tools import BfclToolset
from umi_cli.tools.grammar import gbnf_literal


def answer_text(item: BfclItem, toolset: BfclToolset, shift: int) -> str:
    """The caller text of the item's first answer (``shift`` spoils its numbers)."""
    by_bfcl = {tool.bfcl_name: tool.name for tool in toolset.functions}
    ((function, parameters),) = (item.answers or [{}])[0].items()
    arguments = {}
    for name, accepted in parameters.items():
        value = next((v for v in accepted if v != ""), None)
        if isinstance(value, int) and not isinstance(value, bool):
            value += shift
        if value is not None:
            arguments[name] = value
    return f"Action: {by_bfcl[function]}\nAction Input: {json.dumps(arguments)}"


def wrong_then_right():
    """A grammar builder: the first call spoiled, every later one right."""
    built: list[str] = []

    def grammar(item: BfclItem, toolset: BfclToolset) -> str:
        built.append(item.id)
        return f"root ::= {gbnf_literal(answer_text(item, toolset, 1 if len(built) == 1 else 0))}\n"

    return grammar


def _runner(profile: str, grammar) -> BfclRunner:
    from umi_cli.agent.options import RunOptions
    from umi_cli.compose import open_roles
    from umi_cli.engine import BackendPool

    options = RunOptions(profile=profile, mode="cmat", seed=0, temperature=0.0, judge=False)
    return BfclRunner(open_roles(options, BackendPool()), grammar=grammar, mode="cmat")


def test_a_rejected_call_is_revised_and_both_answers_are_scored(cmat_profiles) -> None:
    item = load_category("simple_python", 1)[0]
    record = _runner("tiny-cmat-strict", wrong_then_right()).run(item, "umi")
    assert [check["verdict"] for check in record["checks"]] == ["reject"] * 3
    assert record["revisions"] == 2 and record["checks"][0]["reason"]
    assert record["unchecked"]["decision"] == "caller"
    assert record["unchecked"]["correct"] is False  # the first proposal, spoiled
    assert record["correct"] is True, record["error"]  # the last revision, sent anyway
    table = accuracy_table([record])
    assert table["umi"]["overall"]["accuracy"] == 100.0
    assert table["umi unchecked"]["overall"]["accuracy"] == 0.0


def test_an_accepted_call_is_the_unchecked_one(cmat_profiles) -> None:
    item = load_category("simple_python", 1)[0]
    record = _runner("tiny-cmat", wrong_then_right()).run(item, "umi")
    assert [check["verdict"] for check in record["checks"]] == ["accept"]
    assert record["revisions"] == 0
    assert record["correct"] is False and record["unchecked"]["correct"] is False
    assert record["unchecked"]["raw"] == record["raw"]


def test_the_cli_reports_the_system_with_and_without_the_checker(
    run_umi, cmat_profiles, tmp_path
) -> None:
    out = tmp_path / "bfcl"
    args = ["eval", "bfcl", "--profile", "tiny-cmat-strict", "--mode", "cmat", "-s", "umi"]
    args += ["-c", "simple_python", "--limit", "1", "-o", str(out), "--json"]
    done = run_umi(*args, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report["accuracy"]) == {"umi", "umi unchecked"}
    assert report["settings"]["mode"] == "cmat"
    (record,) = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(record["checks"]) == 3 and "thought" not in record
    bad = run_umi("eval", "bfcl", "--profile", "tiny-cmat", "--mode", "triple")
    assert bad.returncode == 2 and "--mode triple" in bad.stderr
