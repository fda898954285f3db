"""`umi eval bfcl --mode moa`: the mixture's planner and caller on real BFCL items, tiny GGUFs."""

from __future__ import annotations

import json

import pytest
from moa_helpers import TIMEOUT

pytest.importorskip("bfcl_eval", reason="pip install --no-deps 'bfcl-eval==2026.3.23'")


def _bfcl(run_umi, tmp_path, mode: str) -> tuple[dict, dict]:
    out = tmp_path / mode
    args = ["eval", "bfcl", "--profile", "calling", "--mode", mode, "-s", "umi"]
    args += ["-c", "simple_python", "--limit", "1", "--seed", "0", "-o", str(out), "--json"]
    done = run_umi(*args, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    (record,) = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    return json.loads(done.stdout), record


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
