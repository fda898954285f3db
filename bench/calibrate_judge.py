"""Calibrate the planner's judge on the ToolBench development set (umi_cli/agent/judge.py).

The step samples after the first ``--skip`` (the evaluation prefix `umi eval toolbench --limit
200` scores) are asked the judge's questions with the profile's planner model:

- **answered**, on every sample with an observation in its history; positive when the reference
  planner turn concludes. Prints, per threshold, how the conclusion decision would score
  (accuracy over these samples, conclusion recall, false conclusions), and the best threshold.
- **relevant**, on the first step of each trajectory (every reference there calls an API): the
  distribution of P(yes), and the threshold below which ``--false-give-ups`` of them fall.

Records go to ``-o`` as JSON lines, one per sample, and a run resumes from them.

    python bench/calibrate_judge.py [--profile pocket] [--skip 200] [--limit 300] -o FILE
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from umi_cli.agent.judge import Judge, Question, question_for
from umi_cli.agent.options import RunOptions
from umi_cli.agent.roles import Planner
from umi_cli.compose import open_roles
from umi_cli.engine import BackendPool, PoolSettings
from umi_cli.eval.steps import StepSample, load_trajectories, step_samples

DEV = Path(__file__).resolve().parents[2] / "shared/data/alpha-umi/toolbench_ood_dev.json"
THRESHOLDS = [round(0.05 * step, 2) for step in range(1, 20)]


def judged(planner: Planner, sample: StepSample, question: Question) -> dict[str, Any]:
    assert planner.judge is not None
    started = time.perf_counter()
    verdict = planner.judge.ask(question, sample.tools, sample.history)
    return {
        "id": sample.id,
        "question": question,
        "reference": sample.decision,
        "p_yes": verdict.p_yes,
        "prompt_tokens": verdict.stats.prompt_tokens,
        "cached_tokens": verdict.stats.cached_tokens,
        "seconds": round(time.perf_counter() - started, 3),
    }


def answered_table(records: list[dict[str, Any]]) -> tuple[float, list[dict[str, Any]]]:
    """Per threshold: accuracy of "conclude iff P(yes) >= t" and its recall; the best t."""
    rows = []
    positives = sum(r["reference"] == "conclusion" for r in records)
    for threshold in THRESHOLDS:
        concluded = [r for r in records if r["p_yes"] >= threshold]
        hits = sum(r["reference"] == "conclusion" for r in concluded)
        correct = hits + sum(
            r["reference"] != "conclusion" and r["p_yes"] < threshold for r in records
        )
        rows.append({
            "threshold": threshold,
            "accuracy": round(100 * correct / len(records), 1),
            "recall": f"{hits}/{positives}",
            "false_conclusions": len(concluded) - hits,
        })  # fmt: skip
    best = max(rows, key=lambda row: (row["accuracy"], -row["threshold"]))
    return float(best["threshold"]), rows


def auc(records: list[dict[str, Any]]) -> float:
    """P(a conclusion sample scores above a non-conclusion one); 0.5 is no signal."""
    positives = [r["p_yes"] for r in records if r["reference"] == "conclusion"]
    negatives = [r["p_yes"] for r in records if r["reference"] != "conclusion"]
    if not positives or not negatives:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEV)
    parser.add_argument("--profile", default="pocket")
    parser.add_argument("--skip", type=int, default=200, help="samples kept for evaluation")
    parser.add_argument("--limit", type=int, default=300, help="samples to judge after them")
    parser.add_argument("--false-give-ups", type=float, default=0.05)
    parser.add_argument(
        "--question", choices=("answered", "relevant"), action="append",
        help="ask only this question (repeatable; default: both)",
    )  # fmt: skip
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()

    samples = step_samples(load_trajectories(args.data))[args.skip :][: args.limit]
    done = {}
    if args.output.exists():
        for line in args.output.read_text().splitlines():
            record = json.loads(line)
            done[record["id"]] = record
    pool = BackendPool(PoolSettings())
    with pool, args.output.open("a") as out:
        planner = None
        for index, sample in enumerate(samples):
            question = question_for(sample.history)
            if question is None or question not in (args.question or (question,)):
                continue
            if sample.id in done:
                continue
            if planner is None:
                roles = open_roles(RunOptions(profile=args.profile), pool, ["planner"])
                planner = roles["planner"]
                assert isinstance(planner, Planner)
                planner.judge = Judge(planner.backend, budget=planner.budget)
            record = judged(planner, sample, question)
            done[sample.id] = record
            out.write(json.dumps(record) + "\n")
            out.flush()
            print(f"{index + 1}/{len(samples)} {record}", flush=True)

    records = list(done.values())
    answered = [r for r in records if r["question"] == "answered"]
    relevant = [r for r in records if r["question"] == "relevant"]
    if answered:
        best, rows = answered_table(answered)
        print(f"\nanswered: {len(answered)} samples")
        print(f"{'threshold':>9} {'accuracy':>8} {'recall':>8} {'false concl.':>12}")
        for row in rows:
            print(f"{row['threshold']:>9} {row['accuracy']:>8} {row['recall']:>8} "
                  f"{row['false_conclusions']:>12}")  # fmt: skip
        print(f"best threshold: {best}; ROC AUC of P(yes) for conclusion: {auc(answered):.3f}")
        for decision in ("conclusion", "caller", "give up"):
            values = [r["p_yes"] for r in answered if r["reference"] == decision]
            if values:
                print(f"  P(yes) when the reference says {decision}: median "
                      f"{statistics.median(values):.3f} over {len(values)}")  # fmt: skip
    if relevant:
        values = sorted(r["p_yes"] for r in relevant)
        cut = values[int(args.false_give_ups * len(values))]
        print(f"\nrelevant: {len(relevant)} first steps; P(yes) min {values[0]:.3f}, median "
              f"{statistics.median(values):.3f}; {args.false_give_ups:.0%} fall below {cut:.3f}")
    seconds = [r["seconds"] for r in records]
    if seconds:
        print(f"\nseconds per judgement: median {statistics.median(seconds):.2f}")


if __name__ == "__main__":
    main()
