"""`umi eval compare`: metrics.json files of several benchmarks, one table each, and an SVG.

The metrics files are made by the functions the eval commands use (``summarize``,
``accuracy_table``, the leaderboards), so a change of shape there shows here.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from umi_cli.errors import UsageError
from umi_cli.eval import compare as comparing
from umi_cli.eval.bfcl import accuracy_table
from umi_cli.eval.metrics import score_step
from umi_cli.eval.toolbench import PAPER_ROWS, summarize

SVG = "{http://www.w3.org/2000/svg}"


def toolbench_report(profile: str, hits: int, mode: str = "alpha-umi") -> dict[str, Any]:
    """A step-level report over 6 samples, ``hits`` of them right, as `umi eval toolbench`."""
    records = []
    for n in range(6):
        right = n < hits
        scores = score_step(
            reference_decision="caller", predicted_decision="caller" if right else "conclusion",
            tool_names=["a_for_t"], reference_api="a_for_t", reference_arguments={"x": 1},
            predicted_api="a_for_t" if right else None, predicted_arguments={"x": 1},
        )  # fmt: skip
        records.append({"scores": scores, "seconds": 0.5, "stats": {}})
    settings = {"data": "/x/dev.json", "profile": profile, "mode": mode, "constrain": True,
                "prompt_style": "readable", "temperature": None, "seed": 0, "max_tokens": None,
                "sample_seed": None}  # fmt: skip
    return {"metrics": summarize(records), "settings": settings, "paper": PAPER_ROWS}


def bfcl_report() -> dict[str, Any]:
    outcomes = [
        ("umi", "simple_python", True),
        ("umi", "multiple", True),
        ("native", "simple_python", False),
        ("native", "multiple", True),
    ]
    records = [{"system": s, "category": c, "correct": ok} for s, c, ok in outcomes]
    settings = {"benchmark": "bfcl", "profile": "pocket", "prompt_style": "readable"}
    return {"accuracy": accuracy_table(records), "settings": settings, "items": 2}


def complexfuncbench_report() -> dict[str, Any]:
    runner = pytest.importorskip("umi_cli.eval.complexfuncbench.runner")
    from umi_cli.eval.complexfuncbench.metrics import TaskScore

    def record(matched: int) -> dict[str, Any]:
        score = TaskScore(task_id=matched, reference_calls=2, calls=3, matched=matched, repeated=0,
                          missed=3 - matched, invalid=0, complexeval_matched=matched,
                          complexeval_success=matched == 2)  # fmt: skip
        return {"scores": dataclasses.asdict(score), "seconds": 2.0, "outcome": "answered",
                "steps": 3, "tokens": 100}  # fmt: skip

    settings = {"benchmark": "complexfuncbench", "split": "dev", "profile": "pocket",
                "mode": "alpha-umi", "prompt_style": "readable"}  # fmt: skip
    metrics = runner.summarize([record(2), record(1)])
    return {"metrics": metrics, "settings": settings, "leaderboard": runner.leaderboard()}


def suite_report() -> dict[str, Any]:
    from umi_cli.eval.tasks import summarize as totals

    records = [
        {"passed": passed, "outcome": outcome, "steps": 2, "calls": 1, "repeated_calls": 0,
         "seconds": 1.0, "tokens": 50}
        for passed, outcome in [(True, "answered"), (False, "gave_up"), (True, "answered"),
                                (False, "failed")]
    ]  # fmt: skip
    settings = {"suite": "/x/demo/tasks.jsonl", "profile": "pocket", "mode": None,
                "prompt_style": "readable"}  # fmt: skip
    return {"totals": totals(records), "settings": settings, "tasks": records}


def folder(root: Path, name: str, report: Mapping[str, Any]) -> Path:
    path = root / name
    path.mkdir()
    (path / "metrics.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, Path]:
    return {
        "tb-a": folder(tmp_path, "tb-a", toolbench_report("pocket", 3)),
        "tb-b": folder(tmp_path, "tb-b", toolbench_report("pocket-1.5b", 5, "backbone")),
        "bfcl": folder(tmp_path, "bfcl", bfcl_report()),
        "cfb": folder(tmp_path, "cfb", complexfuncbench_report()),
        "suite": folder(tmp_path, "suite", suite_report()),
    }


def test_the_table_puts_systems_beside_the_paper(run_umi, runs: dict[str, Path]) -> None:
    done = run_umi("eval", "compare", *map(str, runs.values()))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for title in ("ToolBench step-level evaluation", "BFCL accuracy", "ComplexFuncBench end to end",
                  "Task suite tasks.jsonl"):  # fmt: skip
        assert title in out
    for label in ("pocket (alpha-umi, readable)", "pocket-1.5b (backbone, readable)",
                  "α-UMi 7B (paper)", "GPT-4 (paper)", "pocket · umi", "pocket · native",
                  "GPT-4o", "pocket (readable)"):  # fmt: skip
        assert label in out, label
    plan_a = json.loads((runs["tb-a"] / "metrics.json").read_text())["metrics"]["plan_acc"]
    assert f"{plan_a:.2f}" in out and "89.72" in out and "Hallu. ↓" in out
    assert "Dim rows: the paper's published figures." in out
    assert "Dim rows: the leaderboard's published figures." in out


def test_json_rows_are_the_files_figures(run_umi, runs: dict[str, Path]) -> None:
    done = run_umi("eval", "compare", *map(str, runs.values()), "--json")
    assert done.returncode == 0, done.stderr
    tables = {table["benchmark"]: table for table in json.loads(done.stdout)}
    assert list(tables) == ["toolbench", "bfcl", "complexfuncbench", "tasks:tasks.jsonl"]
    toolbench = tables["toolbench"]
    files = {name: json.loads((runs[name] / "metrics.json").read_text()) for name in runs}
    assert toolbench["rows"]["pocket (alpha-umi, readable)"] == {
        key: files["tb-a"]["metrics"][key]
        for key in ("plan_acc", "act_em", "hallu", "arg_f1", "rouge_l")
    }
    assert toolbench["reference"] == PAPER_ROWS
    assert [m["key"] for m in toolbench["metrics"]] == ["plan_acc", "act_em", "hallu", "arg_f1",
                                                         "rouge_l"]  # fmt: skip
    assert toolbench["sources"]["pocket-1.5b (backbone, readable)"] == str(
        runs["tb-b"] / "metrics.json"
    )
    bfcl = tables["bfcl"]
    assert [m["key"] for m in bfcl["metrics"]] == ["simple_python", "multiple", "overall"]
    accuracy = files["bfcl"]["accuracy"]
    assert bfcl["rows"]["pocket · native"] == {
        k: v["accuracy"] for k, v in accuracy["native"].items()
    }
    cfb = tables["complexfuncbench"]
    assert (
        cfb["rows"]["pocket (alpha-umi, readable)"]["success_rate"]
        == (files["cfb"]["metrics"]["success_rate"])
    )
    assert cfb["reference"] == files["cfb"]["leaderboard"]["rows"]
    assert cfb["reference_kind"] == "leaderboard"
    suite = tables["tasks:tasks.jsonl"]["rows"]["pocket (readable)"]
    totals = files["suite"]["totals"]
    assert suite == {"pass_rate": totals["pass_rate"], "answered": 50.0, "gave_up": 25.0,
                     "failed": 25.0}  # fmt: skip


def test_the_svg_draws_every_value(run_umi, runs: dict[str, Path], tmp_path: Path) -> None:
    chart = tmp_path / "charts" / "compare.svg"
    done = run_umi("eval", "compare", str(runs["tb-a"]), str(runs["tb-b"]), str(runs["cfb"]),
                   "--svg", str(chart), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    tables = json.loads(done.stdout)
    root = ET.fromstring(chart.read_text(encoding="utf-8"))
    assert root.tag == f"{SVG}svg" and float(root.get("width", 0)) >= 640
    texts = [element.text or "" for element in root.iter(f"{SVG}text")]
    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]
    values = [
        value
        for table in tables
        for rows in (table["rows"], table["reference"])
        for row in rows.values()
        for key, value in row.items()
        if value is not None and key in {m["key"] for m in table["metrics"]}
    ]
    assert len(bars) == len(values)  # one bar per value, and only those
    for value in values:
        assert f"{value:.1f}" in texts  # the value is written on its bar
    for table in tables:
        assert table["title"] in texts
        for metric in table["metrics"]:
            assert (metric["title"] + (" ↓" if metric["lower_is_better"] else "")) in texts
    assert "pocket (alpha-umi, readable)" in texts and "α-UMi 7B (paper)" in texts
    assert "GPT-4o (leaderboard)" in texts  # legend
    assert {"0", "20", "40", "60", "80", "100"} <= set(texts)  # the axis
    assert len({p.get("id") for p in root.iter(f"{SVG}pattern")}) == 3 + 7  # hatches, unique


def test_the_same_label_twice_keeps_both_rows(run_umi, tmp_path: Path) -> None:
    one = folder(tmp_path, "first", toolbench_report("pocket", 2))
    two = folder(tmp_path, "second", toolbench_report("pocket", 4))
    done = run_umi("eval", "compare", str(one), str(two / "metrics.json"), "--json")
    rows = json.loads(done.stdout)[0]["rows"]
    assert list(rows) == ["pocket (alpha-umi, readable)", "pocket (alpha-umi, readable) [second]"]


def test_bad_inputs_are_one_line(run_umi, tmp_path: Path) -> None:
    missing = run_umi("eval", "compare", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "nope: no such file" in missing.stderr
    other = folder(tmp_path, "other", {"hello": 1})
    unknown = run_umi("eval", "compare", str(other))
    assert unknown.returncode == 2
    assert "not the metrics of a benchmark umi knows (toolbench, bfcl" in unknown.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert "not a JSON metrics file" in run_umi("eval", "compare", str(broken)).stderr
    good = folder(tmp_path, "good", toolbench_report("pocket", 1))
    (tmp_path / "blocker").write_text("")
    svg = run_umi("eval", "compare", str(good), "--svg", str(tmp_path / "blocker" / "c.svg"))
    assert svg.returncode == 1 and "--svg" in svg.stderr and "cannot write the chart" in svg.stderr
    for result in (missing, unknown, svg):
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_a_new_benchmark_is_one_reader(tmp_path: Path) -> None:
    @comparing.reader
    def latency(report: Mapping[str, Any]) -> comparing.BenchmarkResult | None:
        if "p50_ms" not in report:
            return None
        return comparing.BenchmarkResult(
            benchmark="latency", title="Latency", metrics=(comparing.Metric("p50_ms", "p50"),),
            rows={"me": {"p50_ms": report["p50_ms"]}}, reference={"them": {"p50_ms": 120.0}},
        )  # fmt: skip

    try:
        path = folder(tmp_path, "lat", {"p50_ms": 250})
        [table] = comparing.compare([path])
        assert (table.rows, table.reference) == (
            {"me": {"p50_ms": 250}},
            {"them": {"p50_ms": 120.0}},
        )
        from umi_cli.eval.chart_svg import axis_top, render_svg

        assert axis_top([250.0, 120.0]) == 300  # not a percentage: a round axis above the top
        assert "250.0" in render_svg([table])
    finally:
        comparing.READERS.remove(latency)
    with pytest.raises(UsageError, match="not the metrics of a benchmark"):
        comparing.read_result(path)
