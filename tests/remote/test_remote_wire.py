"""The wire, flavor by flavor: where constraints and cache fields go, how each stream parses,
how server slots are leased, and the constraint degradation (said once)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from umi_cli.engine.remote.backend import RemoteBackend
from umi_cli.engine.remote.client import EndpointClient, retry_after
from umi_cli.engine.remote.flavors import FLAVORS, flavor_of
from umi_cli.engine.remote.settings import RemoteSettings
from umi_cli.engine.remote.slots import ANY_SLOT, SlotMap
from umi_cli.engine.remote.templates import ChatRenderer
from umi_cli.engine.remote.tokens import TokenCounter
from umi_cli.engine.remote.wire import WireError, chunks, completion_body
from umi_cli.engine.types import CompletionRequest
from umi_cli.models.refs import EndpointRef

GBNF = 'root ::= "yes" | "no"'
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def backend(flavor: str) -> RemoteBackend:
    ref = EndpointRef("m", "http://127.0.0.1:9", "m", flavor)  # type: ignore[arg-type]
    client = EndpointClient(ref, RemoteSettings())
    return RemoteBackend(
        ref, flavor_of(flavor), client, n_ctx=4096, parallel=1, counter=TokenCounter(),
        renderer=ChatRenderer(ref),
    )  # fmt: skip


def body(flavor: str, request: CompletionRequest, slot: int | None = None) -> dict:
    model = backend(flavor)
    try:
        return completion_body(
            model.flavor, model.ref, request, constraint=model.constraint(request), slot=slot,
            n_ctx=4096,
        )  # fmt: skip
    finally:
        model.close()


@pytest.mark.parametrize(
    ("flavor", "grammar_at", "schema_at"),
    [
        ("llama-server", ["grammar"], ["json_schema"]),
        ("llama-cpp-python", ["grammar"], ["grammar"]),  # the schema becomes GBNF here
        ("vllm", ["structured_outputs", "grammar"], ["structured_outputs", "json"]),
        ("ollama", None, ["format"]),
        ("openai", None, None),
    ],
)
def test_constraints_go_where_each_server_takes_them(flavor, grammar_at, schema_at, caplog):
    def at(data: dict, path: list[str] | None) -> object:
        for name in path or []:
            data = data[name]
        return data

    with caplog.at_level(logging.WARNING):
        with_grammar = body(flavor, CompletionRequest("p", grammar=GBNF))
        with_schema = body(flavor, CompletionRequest("p", json_schema=SCHEMA))
    if grammar_at:
        assert at(with_grammar, grammar_at) == GBNF
    if schema_at == ["grammar"]:
        assert "root ::=" in str(at(with_schema, schema_at))
    elif schema_at:
        assert at(with_schema, schema_at) == SCHEMA
    dropped = [r.getMessage() for r in caplog.records if "unconstrained" in r.getMessage()]
    assert len(dropped) == (grammar_at is None) + (schema_at is None)
    assert all(flavor in message for message in dropped)


def test_an_unconstrained_warning_is_said_once(caplog) -> None:
    model = backend("ollama")
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert model.constraint(CompletionRequest("p", grammar=GBNF)) == {}
    assert len(caplog.records) == 1
    assert (
        "takes no GBNF grammar; its completions run unconstrained" in caplog.records[0].getMessage()
    )


def test_llama_server_bodies_keep_the_prompt_cached_in_the_leased_slot() -> None:
    request = CompletionRequest("p", stop=("</s>",), max_tokens=7, temperature=0.0, seed=3)
    sent = body("llama-server", request, slot=2)
    assert sent["cache_prompt"] is True and sent["id_slot"] == 2
    assert (sent["max_tokens"], sent["seed"], sent["stop"], sent["stream"]) == (
        7,
        3,
        ["</s>"],
        True,
    )
    assert (sent["top_k"], sent["min_p"], sent["repeat_penalty"]) == (0, 0.0, 1.0)  # as in-process
    assert "id_slot" not in body("vllm", request, slot=2)


def test_ollama_bodies_are_raw_generate_requests() -> None:
    request = CompletionRequest("<|im_start|>assistant\n", stop=("\n",), max_tokens=5, seed=1)
    sent = body("ollama", request)
    assert sent["raw"] is True and sent["prompt"] == request.prompt
    assert sent["options"]["num_predict"] == 5 and sent["options"]["stop"] == ["\n"]
    assert sent["options"]["num_ctx"] == 4096 and sent["options"]["seed"] == 1


def test_openai_takes_four_stop_strings_the_rest_are_checked_here() -> None:
    request = CompletionRequest("p", stop=("a", "b", "c", "d", "e"))
    assert body("openai", request)["stop"] == ["a", "b", "c", "d"]


def sse(*events: object, done: bool = True) -> list[str]:
    lines = [": ping", "event: completion"]
    lines += [f"data: {json.dumps(event)}" for event in events]
    return [*lines, "data: [DONE]"] if done else lines


def test_llama_server_streams_carry_usage_and_timings() -> None:
    final = {
        "choices": [{"text": "", "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3,
                  "prompt_tokens_details": {"cached_tokens": 8}},
        "timings": {"cache_n": 8, "prompt_ms": 40.0, "predicted_ms": 30.0, "predicted_n": 3},
    }  # fmt: skip
    parsed = list(chunks(flavor_of("llama-server"), sse({"choices": [{"text": "hi"}]}, final)))
    assert [c.text for c in parsed] == ["hi", ""]
    usage = parsed[-1].usage
    assert parsed[-1].finish == "stop" and usage is not None
    assert (usage.prompt_tokens, usage.cached_tokens, usage.generated_tokens) == (12, 8, 3)
    assert (usage.prompt_seconds, usage.generation_seconds) == (0.04, 0.03)


def test_vllm_says_whether_a_stop_was_a_stop_string() -> None:
    events = [
        {"choices": [{"text": "x", "finish_reason": "stop", "stop_reason": "\n"}]},
        {"choices": [{"text": "", "finish_reason": "stop", "stop_reason": None}]},
        {"choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 1}},
    ]
    parsed = list(chunks(flavor_of("vllm"), sse(*events)))
    assert [c.stop_word for c in parsed] == [True, False, None]
    assert parsed[-1].usage is not None and parsed[-1].usage.generated_tokens == 1


def test_ollama_streams_are_json_lines_with_figures_at_the_end() -> None:
    lines = [
        json.dumps({"response": "he", "done": False}),
        json.dumps({"response": "y", "done": False}),
        json.dumps({"response": "", "done": True, "done_reason": "length", "eval_count": 2,
                    "prompt_eval_count": 9, "eval_duration": 5e8, "prompt_eval_duration": 1e8}),
    ]  # fmt: skip
    parsed = list(chunks(flavor_of("ollama"), lines))
    assert "".join(c.text for c in parsed) == "hey" and parsed[-1].finish == "length"
    usage = parsed[-1].usage
    assert usage is not None and (usage.generated_tokens, usage.prompt_tokens) == (2, 9)
    assert (usage.generation_seconds, usage.prompt_seconds) == (0.5, 0.1)


@pytest.mark.parametrize(
    ("lines", "needle", "server"),
    [
        (["data: {not json"], "not JSON", False),
        (["hello there"], "unexpected line", False),
        (["data: [1, 2]"], "not a JSON object", False),
        (['data: {"choices": [{"text": 5}]}'], "'text' is not a string", False),
        (['data: {"error": {"message": "out of memory"}}'], "out of memory", True),
    ],
)
def test_a_broken_stream_is_a_wire_error(lines, needle, server) -> None:
    with pytest.raises(WireError) as caught:
        list(chunks(flavor_of("llama-server"), lines))
    assert needle in str(caught.value) and caught.value.server is server


def test_slots_are_leased_by_shared_prefix_then_role() -> None:
    slots = SlotMap(3)
    planner = slots.lease("planner", "SYSTEM planner prompt step 1")
    caller = slots.lease("caller", "SYSTEM caller prompt")
    assert planner != caller
    slots.release(planner, "SYSTEM planner prompt step 1 thought")
    slots.release(caller, "SYSTEM caller prompt call")
    assert slots.lease("planner", "SYSTEM planner prompt step 1 thought obs") == planner
    other = slots.lease("planner", "SYSTEM planner prompt step 1 thought obs (another task)")
    assert other not in (planner,)  # the planner's slot is busy: another free one
    assert slots.lease("summarizer", "x") not in (planner, other)
    assert slots.lease("summarizer", "y") == ANY_SLOT  # every slot busy: the server chooses
    slots.release(other, "")
    slots.forget("planner")
    assert all(slot.role != "planner" for slot in slots.slots if not slot.busy)


def test_retry_after_is_seconds_or_a_date() -> None:
    assert retry_after("2") == 2.0 and retry_after(None) is None and retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after(later) or 0) <= 31


def test_every_flavor_speaks_a_known_wire() -> None:
    for flavor in FLAVORS.values():
        assert flavor.wire in ("openai", "ollama")
        assert flavor.grammar in ("gbnf", "json_schema", "none")
