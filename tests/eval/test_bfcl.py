"""BFCL through umi: real bfcl-eval data and checker, real llama.cpp on tiny GGUFs.

A tiny model under a grammar that admits exactly one call text writes exactly that text, so the
right answer must score 1 and a wrong one 0. Planner decisions are steered with the tiny model's
``prefer`` boosts: "c" makes the constrained planner pick ``Next: caller.``, "g" ``give up``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.tiny_gguf import write_tiny_gguf

pytest.importorskip("bfcl_eval", reason="pip install --no-deps 'bfcl-eval==2026.3.23'")

from tiny_catalog import write_catalog

from umi_cli.eval.bfcl import BfclRunner
from umi_cli.eval.bfcl_data import BfclItem, check, load_category
from umi_cli.eval.bfcl_tools import BfclToolset, parse_caller_calls
from umi_cli.tools.grammar import gbnf_literal


@pytest.fixture(scope="module")
def steered_ggufs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("steered")
    return {
        "caller": write_tiny_gguf(folder / "caller.gguf", prefer={"c": 8.0}),
        "give up": write_tiny_gguf(folder / "giveup.gguf", prefer={"g": 8.0}),
    }


def _runner(umi_home: Path, gguf: Path, grammar: Any = None) -> BfclRunner:
    write_catalog(umi_home, gguf, prompt_format="alpha-umi", profile="steered")
    from umi_cli.agent.options import RunOptions
    from umi_cli.compose import open_roles
    from umi_cli.engine import BackendPool

    options = RunOptions(profile="steered", seed=0, temperature=0.0, max_tokens=200)
    return BfclRunner(open_roles(options, BackendPool()), grammar=grammar)


def answer_text(item: BfclItem, toolset: BfclToolset, shift: int = 0) -> str:
    """Caller text for the first accepted value of every parameter (``shift`` spoils numbers)."""
    by_bfcl = {tool.bfcl_name: tool.name for tool in toolset.functions}
    pairs = []
    for call in item.answers or []:
        ((function, parameters),) = call.items()
        arguments = {}
        for name, accepted in parameters.items():
            value = next((v for v in accepted if v != ""), None)
            if value is None:
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                value += shift
            arguments[name] = value
        pairs.append(f"Action: {by_bfcl[function]}\nAction Input: {json.dumps(arguments)}")
    return "\n".join(pairs)


def forcing(shift: int = 0):
    """A grammar builder admitting only the answer's text (spoiled by ``shift``)."""
    return lambda item, toolset: f"root ::= {gbnf_literal(answer_text(item, toolset, shift))}\n"


def test_checker_scores_known_answers_without_vendor_sdks() -> None:
    item = load_category("simple_python", 1)[0]
    assert check(item, [{"calculate_triangle_area": {"base": 10, "height": 5}}]) == (True, "")
    ok, error = check(item, [{"calculate_triangle_area": {"base": 10, "height": 6}}])
    assert not ok and "height" in error
    assert check(item, []) == (False, "made no call")


def test_parse_caller_calls_reads_every_pair() -> None:
    text = (
        'Action: a\nAction Input: {"x": 1}\nAction: b\nAction Input: {}\nAction: c\nAction Input: {'
    )
    assert parse_caller_calls(text) == [("a", {"x": 1}), ("b", {}), ("c", None)]


@pytest.mark.parametrize("category", ["simple_python", "multiple", "parallel"])
def test_forced_right_answer_scores_one(umi_home, steered_ggufs, category: str) -> None:
    runner = _runner(umi_home, steered_ggufs["caller"], forcing())
    item = load_category(category, 1)[0]
    record = runner.run(item, "umi")
    assert record["decision"] == "caller"
    assert record["raw"] == answer_text(item, BfclToolset(item.functions))
    assert record["correct"] is True, record["error"]
    assert len(record["calls"]) == len(item.answers)


@pytest.mark.parametrize("category", ["simple_python", "parallel"])
def test_forced_wrong_answer_scores_zero(umi_home, steered_ggufs, category: str) -> None:
    runner = _runner(umi_home, steered_ggufs["caller"], forcing(shift=1))
    item = load_category(category, 1)[0]
    record = runner.run(item, "umi")
    assert record["raw"] == answer_text(item, BfclToolset(item.functions), shift=1)
    assert record["correct"] is False
    assert "Invalid value" in record["error"] or "parallel" in record["error"].lower()


def test_irrelevance_is_right_only_without_a_call(umi_home, steered_ggufs) -> None:
    item = load_category("irrelevance", 1)[0]
    quiet = _runner(umi_home, steered_ggufs["give up"]).run(item, "umi")
    assert quiet["decision"] == "give up" and quiet["calls"] == [] and quiet["correct"] is True
    fake = {"determine_body_mass_index": {"weight": 70, "height": 1.8}}
    eager_item = BfclItem(item.id, item.category, item.request, item.functions, [
        {name: {k: [v] for k, v in args.items()}} for name, args in fake.items()
    ])  # fmt: skip
    eager = _runner(umi_home, steered_ggufs["caller"], forcing()).run(eager_item, "umi")
    assert eager["decision"] == "caller" and eager["calls"] and eager["correct"] is False


def test_cli_runs_every_system_and_writes_the_table(run_umi, umi_home, tiny_gguf, tmp_path):
    write_catalog(umi_home, tiny_gguf, prompt_format="chat", profile="tiny-chat")
    out = tmp_path / "bfcl"
    args = ["eval", "bfcl", "--profile", "tiny-chat", "--limit", "1", "--max-tokens", "32"]
    args += ["-c", "simple_python", "-c", "irrelevance", "-o", str(out)]
    result = run_umi(*args, "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["accuracy"]) == {"umi", "umi-free", "native"}
    for cells in report["accuracy"].values():
        assert cells["overall"]["total"] == 2
        assert cells["simple_python"]["total"] == 1 and cells["irrelevance"]["total"] == 1
    lines = (out / "predictions.jsonl").read_text().splitlines()
    assert len(lines) == 6
    # resumed: nothing left to predict, the same table
    again = run_umi(*args, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "resuming: 6 of 6" in again.stderr
    assert "simple_python" in again.stdout and "native" in again.stdout
    assert (out / "predictions.jsonl").read_text().splitlines() == lines
    unknown = run_umi("eval", "bfcl", "--profile", "tiny-chat", "-c", "java_only")
    assert unknown.returncode == 2 and "--category java_only" in unknown.stderr


def test_native_calls_tagged_fenced_or_absent() -> None:
    from umi_cli.agent.native_calls import parse_native_calls

    tagged = '<tool_call>\n{"name": "f", "arguments": {"x": 1}}\n</tool_call>\n<tool_call>\n{"bad"'
    assert parse_native_calls(tagged) == [("f", {"x": 1}), ("", None)]
    fenced = 'Sure:\n```json\n{"name": "g", "arguments": "{\\"y\\": 2}"}\n```'
    assert parse_native_calls(fenced) == [("g", {"y": 2})]
    assert parse_native_calls('The area is 25. {"note": "no call"}') == []
