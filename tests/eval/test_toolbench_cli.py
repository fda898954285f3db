"""`umi eval toolbench` end to end: the real CLI, real llama.cpp on the tiny GGUF, dev samples."""

from __future__ import annotations

import json
from pathlib import Path

from umi_cli.eval.metrics import aggregate
from umi_cli.eval.steps import load_trajectories, step_samples

DECISIONS = {"caller", "conclusion", "give up"}


def _records(folder: Path) -> list[dict]:
    lines = (folder / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_predictions_metrics_and_resume(run_umi, tiny_profile: str, dev_file: Path, tmp_path):
    out = tmp_path / "results"
    args = ["eval", "toolbench", str(dev_file), "--profile", tiny_profile, "-o", str(out)]
    first = run_umi(*args, "--limit", "4", "--json", timeout=300)
    assert first.returncode == 0, first.stderr
    records = _records(out)
    samples = step_samples(load_trajectories(dev_file))
    assert [r["id"] for r in records] == [s.id for s in samples[:4]]
    by_id = {s.id: s for s in samples}
    failed = [r for r in records if r.get("error")]  # a role's UmiError is a failed prediction
    assert len(failed) < len(records)
    for record in records:
        sample = by_id[record["id"]]
        assert record["reference"]["decision"] == sample.decision
        predicted = record["predicted"]
        if record in failed:
            assert predicted["decision"] == "error" and record["scores"]["plan"] == 0.0
            continue
        assert predicted["decision"] in DECISIONS
        assert record["stats"]["planner"]["prompt_tokens"] > 0
        if predicted["decision"] == "caller":
            # constrained decoding: the caller can only name an API of the sample's list
            assert predicted["api"] in sample.tool_names
            assert record["scores"]["hallucinated"] == 0.0
            assert record["stats"]["caller"]["generated_tokens"] > 0
    metrics_file = json.loads((out / "metrics.json").read_text())
    assert json.loads(first.stdout) == metrics_file
    expected = aggregate(r["scores"] for r in records)
    for key, value in expected.items():
        assert metrics_file["metrics"][key] == value
    assert metrics_file["metrics"]["hallu"] == 0.0
    assert metrics_file["metrics"]["errors"] == len(failed)
    assert metrics_file["paper"]["α-UMi 7B (paper)"]["plan_acc"] == 89.72

    # resume with a larger limit: the 4 done samples are kept byte for byte, 2 are added
    before = (out / "predictions.jsonl").read_bytes()
    second = run_umi(*args, "--limit", "6", timeout=300)
    assert second.returncode == 0, second.stderr
    assert "resuming: 4 of 6" in second.stderr
    after = (out / "predictions.jsonl").read_bytes()
    assert after.startswith(before)
    assert [r["id"] for r in _records(out)] == [s.id for s in samples[:6]]
    # the table shows our row beside the paper's
    assert "Plan ACC" in second.stdout and "GPT-4 (paper)" in second.stdout
    assert f"{tiny_profile} (alpha-umi" in second.stdout

    # other settings into the same folder are refused, with the flag's name
    third = run_umi(*args, "--limit", "6", "--no-constrain")
    assert third.returncode == 2
    assert "constrain" in third.stderr and "Traceback" not in third.stderr


def test_single_mode_uses_the_backbone(run_umi, tiny_profile: str, dev_file: Path, tmp_path):
    out = tmp_path / "single"
    result = run_umi(
        "eval", "toolbench", str(dev_file), "--profile", tiny_profile, "--mode", "backbone",
        "--limit", "2", "--sample-seed", "3", "-o", str(out), "--json", timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = _records(out)
    assert len(records) == 2
    samples = step_samples(load_trajectories(dev_file))
    import random

    shuffled = list(samples)
    random.Random(3).shuffle(shuffled)
    assert [r["id"] for r in records] == [s.id for s in shuffled[:2]]
    for record in records:
        assert set(record["stats"]) == {"backbone"}, record.get("error")
        assert record["predicted"]["decision"] in DECISIONS
    assert json.loads(result.stdout)["settings"]["mode"] == "backbone"


def test_teacher_forced_answers_only_the_conclusion_samples(
    run_umi, tiny_profile: str, dev_file: Path, tmp_path
) -> None:
    out = tmp_path / "forced"
    done = run_umi(
        "eval", "toolbench", str(dev_file), "--profile", tiny_profile, "--teacher-forced",
        "--limit", "2", "-o", str(out), "--json", timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    finished = [s for s in step_samples(load_trajectories(dev_file)) if s.answer]
    finished = [s for s in finished if s.decision == "conclusion"][:2]
    records = _records(out)
    assert [r["id"] for r in records] == [s.id for s in finished]
    for record, sample in zip(records, finished, strict=True):
        assert set(record["stats"]) == {"summarizer"}, record.get("error")  # no planner ran
        assert record["predicted"]["planner"] == sample.planner_text
        assert record["predicted"]["answer"] and record["scores"]["rouge_l"] is not None
    report = json.loads(done.stdout)
    assert report["settings"]["teacher_forced"] is True
    assert report["metrics"]["plan_acc"] == 100.0


def test_user_errors_are_one_line(run_umi, tiny_profile: str, tmp_path: Path) -> None:
    missing = run_umi("eval", "toolbench", str(tmp_path / "none.json"), "--profile", tiny_profile)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    empty = run_umi("eval", "toolbench", str(bad), "--profile", tiny_profile)
    assert empty.returncode == 2 and "no planner" in empty.stderr
    forced = run_umi("eval", "toolbench", str(bad), "--profile", tiny_profile, "--teacher-forced")
    assert forced.returncode == 2 and "Traceback" not in forced.stderr
    assert "holds no conclusion turns with a reference answer" in forced.stderr
    mode = run_umi("eval", "toolbench", str(bad), "--mode", "triple")
    assert mode.returncode == 2 and "--mode triple" in mode.stderr
    style = run_umi("eval", "toolbench", str(bad), "--prompt-style", "fancy")
    assert style.returncode == 2 and "--prompt-style fancy" in style.stderr


def test_sigkill_mid_evaluation_loses_and_repeats_no_prediction(
    umi_home, tiny_profile: str, dev_file: Path, tmp_path
):
    """A crash inside llama.cpp kills the process whatever we do; what was written survives."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "results"
    limit = 24
    command = [
        sys.executable, "-m", "umi_cli", "eval", "toolbench", str(dev_file),
        "--profile", tiny_profile, "-o", str(out), "--limit", str(limit), "--json",
    ]  # fmt: skip
    env = {**os.environ, "UMI_HOME": str(umi_home)}
    root = Path(__file__).resolve().parents[2]
    predictions = out / "predictions.jsonl"
    process = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 300
        while not (predictions.exists() and predictions.read_text().count("\n") >= 2):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no prediction appeared"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    first = _records(out)
    assert 2 <= len(first) < limit
    with predictions.open("a") as handle:  # what a kill during a write leaves behind
        handle.write('{"id": "0:1", "predicted": {"deci')
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = predictions.read_text(encoding="utf-8").splitlines()
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            assert line.startswith('{"id": "0:1", "predicted"')  # the torn line, left alone
    ids = [r["id"] for r in records]
    samples = step_samples(load_trajectories(dev_file))[:limit]
    assert sorted(ids) == sorted(s.id for s in samples)  # each sample exactly once
    assert records[: len(first)] == first
    assert json.loads(done.stdout)["metrics"]["samples"] == limit
