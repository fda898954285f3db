"""Several sequences in one llama.cpp batch: the same text per sequence as alone, their own
grammars, stops, seeds and limits; the role slots intact afterwards; failures alone."""

from __future__ import annotations

import llama_cpp
import pytest

from umi_cli.engine import CompletionRequest, finish
from umi_cli.engine.llama import LlamaBackend
from umi_cli.engine.llama.batched import cells_needed, shared_prefix
from umi_cli.engine.many import PartialCompletions, stream_many
from umi_cli.engine.recording import RecordingBackend

LETTERS = 'root ::= [a-z]+ " " [a-z]+'
QUESTION = "<|im_start|>user\nName a colour and a fruit.<|im_end|>\n<|im_start|>assistant\n"


def request(prompt: str = QUESTION, **changes) -> CompletionRequest:
    fields = {"prompt": prompt, "max_tokens": 24, "temperature": 0.0, "slot": "moa"}
    return CompletionRequest(**(fields | changes))


def alone(model: LlamaBackend, requests: list[CompletionRequest]) -> list:
    """Each request on its own, from a fresh context."""
    done = []
    for item in requests:
        model.forget()
        done.append(finish(model.stream(item)))
    return done


@pytest.fixture
def model(plain: LlamaBackend) -> LlamaBackend:
    plain.forget()
    return plain


def test_greedy_sequences_decode_as_they_do_alone(model: LlamaBackend) -> None:
    requests = [
        request(),
        request(QUESTION + "I", max_tokens=17),
        request(QUESTION.replace("colour", "number"), grammar=LETTERS),
        request(QUESTION, grammar=LETTERS, max_tokens=30),
        request("<|im_start|>user\nSomething else entirely<|im_end|>\n", stop=("a",)),
    ]
    pieces: dict[int, str] = {index: "" for index in range(len(requests))}
    ended: list[int] = []

    def collect(item: tuple[int, str]) -> None:
        index, piece = item
        if piece:
            pieces[index] += piece
        else:
            ended.append(index)

    together = finish(model.stream_many(requests), collect)
    apart = alone(model, requests)
    assert [c.text for c in together] == [c.text for c in apart]
    assert [c.stop_reason for c in together] == [c.stop_reason for c in apart]
    assert [c.stats.generated_tokens for c in together] == [c.stats.generated_tokens for c in apart]
    assert [pieces[i] for i in range(len(requests))] == [c.text for c in together]
    assert sorted(ended) == list(range(len(requests)))  # each ends exactly once
    assert len({c.text for c in together}) > 1  # the prompts and grammars made a difference
    assert together[1].stats.generated_tokens <= 17
    assert together[2].text.isalpha() and together[3].text.replace(" ", "").isalpha()
    assert "a" not in together[4].text  # its own stop string cut it


def test_seeded_samples_are_those_of_a_lone_sequence(model: LlamaBackend) -> None:
    requests = [request(temperature=0.9, seed=seed) for seed in (1, 2, 3)]
    together = finish(model.stream_many(requests))
    apart = alone(model, requests)
    assert [c.text for c in together] == [c.text for c in apart]
    assert len({c.text for c in together}) == 3  # different seeds, different samples


def test_the_shared_prompt_is_evaluated_once_and_left_in_the_slot(model: LlamaBackend) -> None:
    prompts = [model.tokenize(QUESTION, add_bos=True)] * 3
    assert shared_prefix(prompts) == len(prompts[0]) - 1
    assert cells_needed(prompts, [24] * 3) == len(prompts[0]) - 1 + 3 * (1 + 24)
    together = finish(model.stream_many([request(temperature=0.8, seed=s) for s in range(3)]))
    assert together[0].stats.cached_tokens == 0
    assert [c.stats.cached_tokens for c in together[1:]] == [len(prompts[0]) - 1] * 2
    again = finish(model.stream(request()))
    assert again.stats.cached_tokens == len(prompts[0]) - 1  # the slot kept the prefix
    assert again.text == alone(model, [request()])[0].text
    memory = llama_cpp.llama_get_memory(model.llm.ctx)
    assert [llama_cpp.llama_memory_seq_pos_max(memory, seq) for seq in (1, 2)] == [-1, -1]


def test_other_slots_survive_a_batch(model: LlamaBackend) -> None:
    first = finish(model.stream(request(slot="planner")))
    finish(model.stream_many([request(slot="caller"), request(slot="caller", seed=3)]))
    planner_prompt = model.tokenize(QUESTION, add_bos=True)
    follow = request(QUESTION + first.text + "<|im_end|>\n", slot="planner")
    continued = finish(model.stream(follow))
    assert continued.stats.cached_tokens >= len(planner_prompt)
    assert continued.text == alone(model, [follow])[0].text


def test_a_request_that_cannot_run_fails_alone(model: LlamaBackend) -> None:
    requests = [request(), request("x" * 1200), request(max_tokens=20)]
    with pytest.raises(PartialCompletions) as raised:
        finish(model.stream_many(requests))
    failed = raised.value
    assert list(failed.errors) == [1]
    assert "exceeds the model context of 1024 tokens" in failed.errors[1]
    assert failed.completions[1] is None
    assert failed.completions[0].text == alone(model, [request()])[0].text
    assert failed.completions[2].stats.generated_tokens <= 20


def test_sequences_that_do_not_fit_together_run_in_waves(model: LlamaBackend) -> None:
    long = [request(max_tokens=400, temperature=0.7, seed=s) for s in range(4)]
    prompts = [model.tokenize(QUESTION, add_bos=True)] * 4
    assert cells_needed(prompts, [400] * 4) > model.n_ctx  # not all at once
    together = finish(model.stream_many(long))
    assert [c.text for c in together] == [c.text for c in alone(model, long)]


def test_closing_early_leaves_a_clean_context(model: LlamaBackend) -> None:
    stream = model.stream_many([request(temperature=0.8, seed=s) for s in range(3)])
    for _ in range(4):
        next(stream)
    stream.close()
    memory = llama_cpp.llama_get_memory(model.llm.ctx)
    assert [llama_cpp.llama_memory_seq_pos_max(memory, seq) for seq in (1, 2)] == [-1, -1]
    assert finish(model.stream(request())).text == alone(model, [request()])[0].text


def test_backends_without_batches_run_the_requests_in_turn(model: LlamaBackend) -> None:
    wrapped = RecordingBackend(model)  # no stream_many, one completion at a time
    requests = [request(), request(grammar=LETTERS), request("y" * 1200)]
    with pytest.raises(PartialCompletions) as raised:
        finish(stream_many(wrapped, requests))
    assert [call.request for call in wrapped.calls] == requests
    completions = raised.value.completions
    expected = alone(model, requests[:2])
    assert [c.text for c in completions[:2]] == [c.text for c in expected]  # type: ignore[union-attr]
    assert list(raised.value.errors) == [2]


class Served(RecordingBackend):
    """The tiny model as a backend that takes two requests at once (as a server does)."""

    @property
    def caps(self):
        from dataclasses import replace

        return replace(self.inner.caps, parallel=2)


def test_backends_that_serve_several_get_concurrent_requests(model: LlamaBackend) -> None:
    served = Served(model)
    requests = [request(temperature=0.8, seed=s) for s in range(3)]
    seen: set[int] = set()
    together = finish(stream_many(served, requests), lambda item: seen.add(item[0]))
    assert seen == {0, 1, 2}
    assert sorted(call.request.seed for call in served.calls) == [0, 1, 2]
    assert [c.text for c in together] == [c.text for c in alone(model, requests)]


def test_an_empty_list_is_no_work(model: LlamaBackend) -> None:
    assert finish(stream_many(model, [])) == []
    assert finish(model.stream_many([])) == []


def test_the_moa_bench_prints_both_ratios(moa_ggufs, tmp_path) -> None:
    """bench/moa.py runs on a tiny model and reports figures for every N (it asserts nothing)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "bench/moa.py", "--model", str(moa_ggufs["plain"]), "--max-tokens", "6",
         "--n", "2", "3", "--n-ctx", "512", "--json"],
        cwd=root, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["rows"]
    assert [row["n"] for row in rows] == [1, 2, 3]
    assert rows[0]["batched_vs_one"] == 1.0 and rows[0]["sequential_vs_one"] == 1.0
    assert all(row["batched_tokens"] > 0 and row["sequential_tokens"] > 0 for row in rows)
