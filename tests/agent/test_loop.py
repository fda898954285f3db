"""The agent loop end to end: real llama.cpp on tiny GGUFs, real HTTP on loopback."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from agent_models import CALLER_DOWN, PLANNER_GIVES_UP, open_test_agent

from umi_cli.agent import format as fmt
from umi_cli.agent.events import (
    FinalAnswer,
    GaveUp,
    Observation,
    PlannerThought,
    RetryStarted,
    RunFinished,
    RunStarted,
    StepBudgetReached,
    TokenDelta,
    ToolCall,
)
from umi_cli.agent.trace import load_trace, write_trace


def agent_for(profile: str, spec: Path, server, **options):
    return open_test_agent(profile, [str(spec)], base_urls={"weather": server.base_url}, **options)


def of(kind, events):
    return [event for event in events if isinstance(event, kind)]


def test_plan_call_observe_then_budget_then_answer(test_profile, weather_spec, tool_server):
    agent = agent_for(test_profile(), weather_spec, tool_server, max_steps=1, seed=1)
    events = list(agent.run("What is the weather in Paris?"))

    assert isinstance(events[0], RunStarted)
    assert events[0].tools == ["current_for_weather", "down_for_weather"]
    thoughts = of(PlannerThought, events)
    assert [t.decision for t in thoughts] == ["caller", "conclusion"]
    assert thoughts[0].text.endswith("\n Next: caller.")
    assert thoughts[0].stats.generated_tokens > 0

    (call,) = of(ToolCall, events)
    assert call.api == "current_for_weather"
    assert call.arguments["city"] in ("paris", "tokyo", "oslo")
    (request,) = tool_server.requests_to("/weather/current")
    assert request.query["city"] == [call.arguments["city"]]
    (observation,) = of(Observation, events)
    assert observation.ok and observation.status == 200
    assert json.loads(observation.text)["city"].lower() == call.arguments["city"]

    (budget,) = of(StepBudgetReached, events)
    assert (budget.max_steps, budget.step) == (1, 2)
    (answer,) = of(FinalAnswer, events)
    assert answer.text and set(answer.text) <= set("z \n")
    streamed = {delta.role for delta in of(TokenDelta, events)}
    assert streamed == {"planner", "caller", "summarizer"}

    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert (finished.outcome, finished.answer, finished.error) == ("answered", answer.text, None)
    assert (finished.steps, finished.attempts) == (2, 1)
    assert finished.totals.generated_tokens == sum(
        e.stats.generated_tokens for e in events if hasattr(e, "stats")
    )

    trace = agent.last_trace()
    kinds = [turn["from"] for turn in trace["conversations"]]
    assert kinds == ["user", "assistant", "caller", "observation", "assistant", "conclusion"]
    assert trace["conversations"][3]["value"] == observation.text
    assert [f["role"] for f in trace["figures"]] == ["planner", "caller", "planner", "summarizer"]
    assert trace["tools"][0]["Name"] == "current_for_weather"


def test_trace_round_trips_through_a_file(test_profile, weather_spec, tool_server, tmp_path):
    agent = agent_for(test_profile(), weather_spec, tool_server, max_steps=1)
    list(agent.run("Weather in Oslo?"))
    path = write_trace(tmp_path / "out" / "trace.json", agent.last_trace())
    loaded = load_trace(path)
    assert loaded == json.loads(json.dumps(agent.last_trace()))
    assert loaded["instruction"] == "Weather in Oslo?"


def test_give_up_with_one_retry_records_both_attempts(test_profile, weather_spec, tool_server):
    profile = test_profile(planner=PLANNER_GIVES_UP)
    agent = agent_for(profile, weather_spec, tool_server, retries=1)
    events = list(agent.run("Weather in Tokyo?"))

    gave_up = of(GaveUp, events)
    assert [g.attempt for g in gave_up] == [1, 2]
    assert gave_up[0].reason.endswith("Next: give up.")
    (retry,) = of(RetryStarted, events)
    assert (retry.attempt, retry.previous_candidates) == (2, [])
    finished = events[-1]
    assert (finished.outcome, finished.attempts, finished.answer) == ("gave_up", 2, None)
    turns = agent.last_trace()["conversations"]
    assert [t["from"] for t in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[2]["value"] == fmt.retry_turn([])
    assert "all previous trails failed" in turns[2]["value"]
    assert tool_server.requests == []


def test_a_down_api_is_dropped_and_the_caller_moves_to_the_other(
    test_profile, weather_spec, tool_server
):
    tool_server.down = True
    profile = test_profile(caller=CALLER_DOWN)
    agent = agent_for(profile, weather_spec, tool_server, max_steps=2)
    events = list(agent.run("Weather in Paris?"))

    calls = of(ToolCall, events)
    assert [c.api for c in calls] == ["down_for_weather", "current_for_weather"]
    assert [r.path for r in tool_server.requests] == ["/weather/down", "/weather/current"]
    first, second = of(Observation, events)
    assert (first.ok, first.status) == (False, 503)
    assert "down_for_weather is not available now" in first.text
    assert second.ok and second.status == 200
    assert events[-1].outcome == "answered"


def test_a_repeated_call_is_answered_from_memory_and_the_summarizer_answers(
    test_profile, weather_spec, tool_server
):
    agent = agent_for(test_profile(), weather_spec, tool_server, max_steps=3)
    events = list(agent.run("Weather in Paris?"))

    calls = of(ToolCall, events)
    keys = [(c.api, json.dumps(c.arguments, sort_keys=True)) for c in calls]
    assert len(calls) == 2 and keys[0] == keys[1], keys  # the greedy tiny caller repeats
    # The server saw the call once; the repeat is answered from the earlier observation...
    assert len(tool_server.requests) == 1
    first, repeat = of(Observation, events)
    assert (repeat.ok, repeat.status, repeat.size, repeat.reused_from) == (True, None, 0, 1)
    assert repeat.text.startswith(first.text)
    assert f"{keys[0][0]} was already called with these arguments in step 1" in repeat.text
    # ...and the run ends there: the summarizer answers at once, without another planner turn.
    assert [t.decision for t in of(PlannerThought, events)] == ["caller", "caller"]
    (answer,) = of(FinalAnswer, events)
    assert answer.step == 2
    assert events[-1].outcome == "answered" and events[-1].steps == 2


def test_a_call_that_failed_on_what_it_sent_is_not_sent_again(
    test_profile, weather_spec, tool_server, tmp_path
):
    missing = tmp_path / "missing.yaml"  # `current` answers 404: no such track
    missing.write_text(weather_spec.read_text().replace("/weather/current", "/music/track/0"))
    agent = agent_for(test_profile(), missing, tool_server, max_steps=3)
    events = list(agent.run("Weather in Paris?"))

    calls = of(ToolCall, events)
    assert len(calls) == 3 and len({json.dumps(c.arguments) for c in calls}) == 1
    assert len(tool_server.requests) == 1  # the repeats were refused, never sent
    first, *repeats = of(Observation, events)
    assert (first.ok, first.status, first.failure) == (False, 404, "client")
    for observation in repeats:
        assert (observation.ok, observation.failure) == (False, "rejected")
        assert "already called with exactly these arguments in step 1" in observation.text


def test_cancel_from_another_thread_ends_the_run_as_failed(test_profile, weather_spec, tool_server):
    agent = agent_for(test_profile(max_tokens=200), weather_spec, tool_server)
    seen = []
    for event in agent.run("Weather in Paris?"):
        seen.append(event)
        if isinstance(event, TokenDelta) and len(seen) == 3:
            threading.Thread(target=agent.cancel).start()
    finished = seen[-1]
    assert isinstance(finished, RunFinished)
    assert (finished.outcome, finished.error) == ("failed", "cancelled")
    assert not of(ToolCall, seen)
    assert tool_server.requests == []
    # the same agent (same engine, same KV slots) runs again after a cancelled run
    agent.agent.options = agent.options.with_(max_steps=1)
    again = list(agent.run("Oslo?"))
    assert again[-1].outcome == "answered"
    assert len(tool_server.requests_to("/weather/current")) == 1


def test_memory_keeps_earlier_tasks_until_reset(test_profile, weather_spec, tool_server):
    agent = agent_for(test_profile(), weather_spec, tool_server, max_steps=1)
    first = list(agent.run("Weather in Paris?"))[-1]
    list(agent.run("And in Oslo?"))
    turns = agent.last_trace()["conversations"]
    assert turns[:3] == [
        {"from": "user", "value": "Weather in Paris?"},
        {"from": "conclusion", "value": first.answer},
        {"from": "user", "value": "And in Oslo?"},
    ]
    agent.reset()
    list(agent.run("Tokyo?"))
    assert agent.last_trace()["conversations"][0] == {"from": "user", "value": "Tokyo?"}


def test_unconstrained_run_completes_and_free_text_falls_back(
    test_profile, weather_spec, tool_server
):
    agent = agent_for(
        test_profile(), weather_spec, tool_server, max_steps=1, constrain=False, check_answers=False
    )
    events = list(agent.run("Weather in Paris?"))
    thoughts = of(PlannerThought, events)
    # free text has no control phrase: the authors' default (caller), then the forced conclusion
    assert [t.decision for t in thoughts] == ["caller", "conclusion"]
    assert thoughts[0].text.endswith(" Next: caller.")
    (call,) = of(ToolCall, events)
    assert not call.raw.startswith("Action:")
    (observation,) = of(Observation, events)
    assert not observation.ok
    assert events[-1].outcome == "answered"


def test_build_errors_become_a_failed_run_or_one_line_errors(test_profile, weather_spec):
    import pytest

    from umi_cli.errors import UmiError, UsageError

    with pytest.raises(UsageError, match="max_steps must be at least 1, got 0"):
        open_test_agent(test_profile(), [str(weather_spec)], max_steps=0)
    with pytest.raises(UmiError, match=r"no-such-profile"):
        open_test_agent("no-such-profile", [str(weather_spec)])


def test_a_backbone_profile_runs_the_single_model_loop(test_profile, weather_spec, tool_server):
    profile = test_profile(backbone={"a": 8.0}, max_tokens=48)
    agent = agent_for(profile, weather_spec, tool_server, check_answers=False)
    assert agent.mode.name == "backbone" and list(agent.mode.roles) == ["backbone"]
    events = list(agent.run("Weather in Paris?"))
    # free text without "Action:" is the backbone's final answer (FORMAT.md §2)
    (thought,) = of(PlannerThought, events)
    assert thought.decision == "conclusion"
    (answer,) = of(FinalAnswer, events)
    assert answer.text.startswith("aaaa")
    assert events[-1].outcome == "answered"
    assert {delta.role for delta in of(TokenDelta, events)} == {"backbone"}
    assert [f["role"] for f in agent.last_trace()["figures"]] == ["backbone"]


SHOP_SPEC = """\
name: shop
base_url: http://127.0.0.1:9
retries: 0
apis:
  - name: search
    path: /search
    description: Find items by kind.
    parameters:
      - {name: q, in: query, required: true, schema: {type: string, enum: [lamp, desk]}}
  - name: item
    path: /item
    description: One item by id.
    parameters:
      - {name: item_id, in: query, required: true, schema: {type: integer}}
"""


def test_a_chat_planner_naming_an_api_keeps_the_schema_exact_grammar(test_profile, tmp_path):
    """The caller narrows to the API the thought names, with that API's own schema: ``q`` is
    required and an enum. (A grammar rebuilt from the α-UMi document made every argument
    optional, and this caller, which likes ``}``, then wrote ``{}``.)"""
    spec = tmp_path / "shop.yaml"
    spec.write_text(SHOP_SPEC, encoding="utf-8")
    # The chat planner's first thought opens "... APIs that need no id: search_for_shop. Call";
    # this planner goes on with " search_for_shop", so the thought names that API.
    profile = test_profile(
        planner={"Ġsearch_for_shop": 9.0},
        caller={"}": 9.0, "i": 6.0},
        prompt_format="chat",
    )
    agent = open_test_agent(profile, [str(spec)], max_steps=1)
    events = list(agent.run("Find me a lamp."))
    (thought, *_rest) = of(PlannerThought, events)
    assert "Call search_for_shop" in thought.text and thought.decision == "caller"
    (call,) = of(ToolCall, events)
    assert call.api == "search_for_shop"
    assert call.arguments in ({"q": "lamp"}, {"q": "desk"})


def test_an_internal_error_is_a_failed_run_with_its_traceback_in_the_debug_log(
    test_profile, weather_spec, tool_server, caplog
):
    agent = agent_for(test_profile(), weather_spec, tool_server, max_steps=1)

    def broken(name, arguments):
        raise RuntimeError("boom")

    agent.toolbox.call = broken  # a bug in our own code, not something the user can fix
    with caplog.at_level("DEBUG", logger="umi_cli.agent.agent"):
        finished = list(agent.run("Weather in Paris?"))[-1]
    assert finished.outcome == "failed"
    assert finished.error == (
        "internal error: RuntimeError: boom (run with --debug for the traceback)"
    )
    (record,) = [r for r in caplog.records if r.name == "umi_cli.agent.agent"]
    assert record.exc_info is not None and "boom" in str(record.exc_info[1])


#: One vocabulary token holding a whole native tool call (spaces in GPT-2 byte form).
NATIVE_CALL = (
    '<tool_call>{"name":Ġ"current_for_weather",Ġ"arguments":Ġ{"city":Ġ"paris"}}</tool_call>'
)


def test_the_native_mode_runs_the_models_own_tool_calls(
    test_profile, weather_spec, tool_server
):
    profile = test_profile(caller={NATIVE_CALL: 9.0}, prompt_format="chat")  # native: the caller
    agent = agent_for(
        profile, weather_spec, tool_server, max_steps=1, mode="native", check_answers=False
    )
    assert agent.mode.name == "native" and list(agent.mode.roles) == ["native"]
    events = list(agent.run("Weather in Paris?"))
    thoughts = of(PlannerThought, events)
    decisions = [(t.role, t.decision) for t in thoughts]
    assert decisions == [("native", "caller"), ("native", "conclusion")]
    (call,) = of(ToolCall, events)
    assert (call.api, call.arguments, call.role) == ("current_for_weather", {"city": "paris"}, None)
    (observation,) = of(Observation, events)
    assert observation.ok and json.loads(observation.text)["city"].lower() == "paris"
    assert tool_server.requests_to("/weather/current")[0].query["city"] == ["paris"]
    assert events[-1].outcome == "answered"
    trace = agent.last_trace()
    assert [t["from"] for t in trace["conversations"]] == [
        "user", "assistant", "caller", "observation", "assistant", "conclusion"
    ]
    assert trace["conversations"][1]["value"].endswith("Next: caller.")
    assert [f["role"] for f in trace["figures"]] == ["native", "native"]
