"""Benchmark: N Mixture-of-Agents proposals decoded in one llama.cpp batch against one by one.

One proposer prompt (the MoA reference's user turn) is completed N times with different seeds
at the proposer temperature, N = 1, 2, 3, 5: **batched** (umi's ``stream_many``: the shared
prompt evaluated once, one ``llama_decode`` per step for all N sequences) and **sequential**
(N ordinary completions in the same slot, so the prompt is evaluated once there too). Prints
wall time, generated tokens and both ratios to one proposal (N = 1); the target is 3 proposals
in at most 1.6x the wall time of one, against about 3x for sequential sampling.

    python bench/moa.py [--model PATH] [--max-tokens 128] [--n 1 2 3 5] [--repeats 1] [--json]

Without ``--model`` the pocket model is used (assembled from the installed pocket packages).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from engine import locate_model

from umi_cli.engine import CompletionRequest, finish
from umi_cli.engine.llama import LlamaBackend, LlamaOpener
from umi_cli.engine.many import stream_many
from umi_cli.engine.types import Completion
from umi_cli.models.refs import FileRef

QUESTION = (
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
    "Explain in a few paragraphs how a hash map works, what happens on a collision, and when "
    "a balanced tree is the better choice.<|im_end|>\n<|im_start|>assistant\n"
)


def requests(n: int, max_tokens: int) -> list[CompletionRequest]:
    return [
        CompletionRequest(QUESTION, max_tokens=max_tokens, temperature=0.7, seed=seed, slot="moa")
        for seed in range(n)
    ]


def batched(model: LlamaBackend, n: int, max_tokens: int) -> tuple[float, list[Completion]]:
    model.forget()
    started = time.perf_counter()
    done = finish(stream_many(model, requests(n, max_tokens)))
    return time.perf_counter() - started, done


def sequential(model: LlamaBackend, n: int, max_tokens: int) -> tuple[float, list[Completion]]:
    model.forget()
    started = time.perf_counter()
    done = [finish(model.stream(request)) for request in requests(n, max_tokens)]
    return time.perf_counter() - started, done


def best(run, model: LlamaBackend, n: int, max_tokens: int, repeats: int):
    """The fastest of ``repeats`` runs (less noise from the rest of the machine)."""
    return min((run(model, n, max_tokens) for _ in range(repeats)), key=lambda result: result[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="GGUF file (default: the pocket model)")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--n", type=int, nargs="+", default=[1, 2, 3, 5])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    model = LlamaOpener().open(FileRef(locate_model(args.model)), args.n_ctx)
    sizes = sorted(set([1, *args.n]))
    rows = []
    try:
        finish(model.stream(requests(1, 4)[0]))  # warm-up: pages the weights in
        for n in sizes:
            wall_b, done_b = best(batched, model, n, args.max_tokens, args.repeats)
            wall_s, done_s = best(sequential, model, n, args.max_tokens, args.repeats)
            rows.append(
                {
                    "n": n,
                    "batched_s": wall_b,
                    "sequential_s": wall_s,
                    "batched_tokens": sum(c.stats.generated_tokens for c in done_b),
                    "sequential_tokens": sum(c.stats.generated_tokens for c in done_s),
                }
            )
    finally:
        model.close()
    one = next(row for row in rows if row["n"] == 1)
    for row in rows:
        row["batched_vs_one"] = row["batched_s"] / one["batched_s"]
        row["sequential_vs_one"] = row["sequential_s"] / one["sequential_s"]
    if args.json:
        print(json.dumps({"model": str(args.model or "pocket"), "rows": rows}, indent=2))
        return
    print(f"proposals of up to {args.max_tokens} tokens, temperature 0.7, one seed each")
    print(f"{'N':>3} {'batched s':>10} {'tok':>5} {'x one':>6}   {'sequential s':>12} {'tok':>5}"
          f" {'x one':>6}")  # fmt: skip
    for row in rows:
        print(
            f"{row['n']:>3} {row['batched_s']:>10.2f} {row['batched_tokens']:>5} "
            f"{row['batched_vs_one']:>6.2f}   {row['sequential_s']:>12.2f} "
            f"{row['sequential_tokens']:>5} {row['sequential_vs_one']:>6.2f}"
        )


if __name__ == "__main__":
    main()
