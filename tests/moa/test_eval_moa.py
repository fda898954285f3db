"""`umi eval bfcl|toolbench --mode moa`: the mixture's roles on real benchmark items, tiny GGUFs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from moa_helpers import TIMEOUT

DEV_FILE = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "alpha-umi"
DEV_FILE = DEV_FILE / "toolbench_ood_dev.json"


needs_bfcl = pytest.mark.skipif(
    importlib.util.find_spec("bfcl_eval") is None,
    reason="pip install --no-deps 'bfcl-eval==2026.3.23'",
)


def _bfcl(run_umi, tmp_path, mode: str, *extra: str) -> tuple[dict, dict]:
    out = tmp_path / "-".join((mode, *extra))
    args = ["eval", "bfcl", "--profile", "calling", "--mode", mode, "-s", "umi", *extra]
    args += ["-c", "simple_python", "--limit", "1", "--seed", "0", "-o", str(out), "--json"]
    done = run_umi(*args, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    (record,) = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    return json.loads(done.stdout), record


@needs_bfcl
def test_the_mixture_answers_bfcl_items_with_its_proposals_counted(
    run_umi, moa_catalog, tmp_path
) -> None:
    report, record = _bfcl(run_umi, tmp_path, "moa")
    assert report["settings"]["mode"] == "moa" and set(report["accuracy"]) == {"umi"}
    # the tiny caller may run out of tokens inside its arguments: the call is there, scored
    assert record["decision"] == "caller" and record["raw"].startswith("Action: "), record
    assert isinstance(record["agreed"], bool)
    _, single = _bfcl(run_umi, tmp_path, "alpha-umi")
    assert "agreed" not in single
    # three planner proposals and an aggregate (and the caller's) against one of each
    assert record["stats"]["generated_tokens"] > 2 * single["stats"]["generated_tokens"]


@needs_bfcl
def test_the_caller_rule_is_the_runs(run_umi, moa_catalog, tmp_path) -> None:
    report, record = _bfcl(run_umi, tmp_path, "moa", "--moa-caller", "aggregate")
    assert report["settings"]["moa_caller"] == "aggregate"
    assert record["agreed"] is False  # aggregate: the aggregator writes every call
    wrong = run_umi("eval", "bfcl", "--profile", "calling", "--moa-caller", "aggregate")
    assert wrong.returncode == 2 and "--moa-caller applies to --mode moa only" in wrong.stderr
    bad = run_umi("eval", "bfcl", "--profile", "calling", "--mode", "moa", "--moa-caller", "x")
    assert bad.returncode == 2 and "--moa-caller x: unknown" in bad.stderr


def test_toolbench_steps_in_moa_mode_count_every_proposal(run_umi, moa_catalog, tmp_path) -> None:
    if not DEV_FILE.exists():
        pytest.skip("../shared/data/alpha-umi/toolbench_ood_dev.json not present")
    out = tmp_path / "tb"
    done = run_umi(
        "eval", "toolbench", str(DEV_FILE), "--profile", "calling", "--mode", "moa",
        "--moa-caller", "aggregate", "--limit", "2", "-o", str(out), "--json", timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["settings"]["moa_caller"] == "aggregate"
    records = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(records) == 2
    for record in records:
        assert record["stats"]["planner proposer"]["generated_tokens"] > 0, record.get("error")
        if record["predicted"]["decision"] == "caller":  # aggregate: proposals, then the aggregate
            assert {"caller", "caller proposer"} <= set(record["stats"])
