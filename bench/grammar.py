"""Benchmark: grammar-constrained caller generation, grammar-first chain against sample-then-check.

One caller turn of the demo music catalog (its schema-exact caller grammar, the caller's real
prompt) is generated on the same model, in the same process, two ways:

1. **grammar first** — the grammar sampler masks every vocabulary token at every step, then the
   chain samples (the engine's former behaviour);
2. **sample, then check** — the chain samples from the raw logits, only that token is checked
   against the grammar, and the full masked vocabulary is sampled only when it is refused
   (llama.cpp's ``common_sampler``; the engine's behaviour now).

Each path first runs once untimed (warm-up: the prompt is evaluated into the caller slot), then
``--repeat`` times timed; the prompt is then cached, so the figures are generation only (grammar
compilation included, as in a real call).
Prints tokens, seconds and tokens per second of each path, the part of those seconds spent choosing
tokens (sampling, grammar included) against decoding (llama.cpp forward passes, which dominate and
swing with the load on a shared machine), whether the outputs agree (greedy decoding must give the
same text), and the speedups: of the sampling time per token, and of the whole generation.

    python bench/grammar.py [--model PATH] [--temperature 0] [--max-tokens 96] [--repeat 1]

Without ``--model`` the pocket model is located through ``umi_cli.models`` (assembled from the
installed pocket packages when needed, never downloaded).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from umi_cli.agent.dialects import dialect_for
from umi_cli.agent.role_base import Decoding
from umi_cli.agent.roles import Caller
from umi_cli.engine import CompletionRequest, finish
from umi_cli.engine.llama import LlamaBackend, decode, open_file
from umi_cli.engine.llama.decode import TokenPieces, run_completion
from umi_cli.engine.llama.sampling import TokenSampler

POCKET_ID = "qwen2.5-coder-0.5b-instruct-q4_k_m"
DEMO_SPEC = Path(__file__).resolve().parents[1] / "umi_cli" / "demo" / "music_catalog.yaml"
TASK = "Find songs by Daft Punk and tell me which album 'One More Time' is on."
THOUGHT = "I should search the catalog for tracks by Daft Punk."


class TimedSampler(TokenSampler):
    """A TokenSampler that adds the time spent choosing tokens to ``TimedSampler.seconds``."""

    seconds = 0.0

    def sample(self) -> int:
        started = time.perf_counter()
        try:
            return super().sample()
        finally:
            TimedSampler.seconds += time.perf_counter() - started


def pocket_model() -> tuple[Path, str]:
    from umi_cli.models.catalog import load_catalog
    from umi_cli.models.store import ModelStore

    entry = load_catalog().model(POCKET_ID)
    return ModelStore().ensure(entry, download=False), entry.prompt_format


def caller_request(model: LlamaBackend, prompt_format: str, args) -> CompletionRequest:
    from umi_cli.tools import Toolbox

    toolbox = Toolbox.load([str(DEMO_SPEC)], base_urls={"music_catalog": "http://127.0.0.1:9"})
    history = [
        {"from": "user", "value": TASK},
        {"from": "assistant", "value": THOUGHT + "\n Next: caller."},
    ]
    decoding = Decoding(max_tokens=args.max_tokens, temperature=args.temperature, seed=0)
    caller = Caller(model, dialect_for(prompt_format), decoding=decoding)
    prompt = caller.prompt(toolbox.documents(), history, THOUGHT)
    return CompletionRequest(
        prompt=prompt,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        seed=0,
        grammar=toolbox.caller_grammar(),
        slot="caller",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="GGUF file (default: the pocket model)")
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per path")
    parser.add_argument("--n-ctx", type=int, default=4096)
    args = parser.parse_args(argv)

    if args.model is not None:
        path, prompt_format = args.model, "chat"
    else:
        path, prompt_format = pocket_model()
    model = open_file(path, n_ctx=args.n_ctx)
    request = caller_request(model, prompt_format, args)
    prompt = model.tokenize(request.prompt, add_bos=False)
    if str(model.metadata.get("tokenizer.ggml.add_bos_token", "")).lower() == "true":
        prompt = [model.llm.token_bos(), *prompt]  # as LlamaBackend.stream does
    pieces = TokenPieces(model.llm)
    print(f"model: {path.name}  prompt: {len(prompt)} tokens  vocab: {model.llm.n_vocab()}")
    print(f"grammar: {len(request.grammar or '')} chars  temperature: {args.temperature}\n")

    decode.TokenSampler = TimedSampler  # type: ignore[misc]  # run_completion builds samplers so
    results = {}
    for label, grammar_first in (("grammar first", True), ("sample, then check", False)):
        warm_up = run_completion(
            model.llm, model.slots, pieces, prompt, request, grammar_first=grammar_first
        )
        finish(warm_up)  # the prompt is in the slot afterwards
        tokens = seconds = 0.0
        TimedSampler.seconds = 0.0
        for _ in range(args.repeat):
            done = finish(
                run_completion(
                    model.llm, model.slots, pieces, prompt, request, grammar_first=grammar_first
                )
            )
            tokens += done.stats.generated_tokens
            seconds += done.stats.generation_seconds
        sampling = TimedSampler.seconds
        results[label] = (done.text, tokens, seconds, sampling)
        rate = tokens / seconds if seconds else 0.0
        print(
            f"{label:>20}: {tokens:5.0f} tokens  {seconds:7.2f} s  {rate:7.2f} tok/s  "
            f"sampling {sampling:6.2f} s ({1000 * sampling / tokens:6.1f} ms/token)  "
            f"decoding {seconds - sampling:6.2f} s"
        )
        print(f"{'':>20}  {done.text!r} ({done.stop_reason})")

    (old_text, old_n, old_s, old_pick), (new_text, new_n, new_s, new_pick) = results.values()
    print(f"\nsame output: {old_text == new_text}")
    if old_s and new_s and new_pick:
        print(f"sampling speedup (ms/token): {(old_pick / old_n) / (new_pick / new_n):.1f}x")
        print(f"generation speedup (tok/s): {(new_n / new_s) / (old_n / old_s):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
