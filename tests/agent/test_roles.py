"""The roles on real llama.cpp: constrained planner/caller, context truncation, chat prompts."""

from __future__ import annotations

import pytest
from agent_models import CALLER_CURRENT, PLANNER_CALLS, PLANNER_GIVES_UP

from umi_cli.agent import chat_prompts
from umi_cli.agent import format as fmt
from umi_cli.agent.dialects import AlphaUmiDialect, ChatDialect
from umi_cli.agent.role_base import Decoding
from umi_cli.agent.roles import Caller, Planner, Summarizer, decision_grammar
from umi_cli.engine import finish

TOOLS = [
    {
        "Name": "current_for_weather",
        "function": 'This is the subfunction for tool "weather", you can use this tool.'
        'The description of this function is: "The current weather in a city"',
        "input": {"city": "string, the city"},
    },
    {
        "Name": "forecast_for_weather",
        "function": 'This is the subfunction for tool "weather", you can use this tool.',
        "input": {"city": "string, the city", "days": "integer, how many days"},
    },
]
HISTORY = [{"from": "user", "value": "What is the weather in Paris?"}]


def load(engine, tiny_models, prefer):
    from umi_cli.models.refs import FileRef

    return engine.open(FileRef(tiny_models(prefer)), 4096)


RAW = AlphaUmiDialect()


def test_prompt_budget_matches_the_authors_runner():
    planner = Planner(None, RAW, decoding=Decoding(max_tokens=512), context=4096)  # type: ignore[arg-type]
    assert planner.budget == 3576


def test_decision_grammar_compiles():
    from umi_cli.engine.llama.grammar import check_grammar

    check_grammar(decision_grammar())
    check_grammar(decision_grammar(["conclusion"]))
    assert decision_grammar(["conclusion", "give up"]) == 'root ::= "conclusion." | "give up."\n'


def test_constrained_planner_picks_by_preference(engine, tiny_models):
    calls = Planner(load(engine, tiny_models, PLANNER_CALLS), RAW, decoding=Decoding(64, 0.0))
    result = finish(calls.plan(TOOLS, HISTORY))
    assert result.output.decision == "caller"
    assert result.output.text.endswith("\n Next: caller.")
    assert result.stats.generated_tokens > 0
    gives_up = Planner(load(engine, tiny_models, PLANNER_GIVES_UP), RAW, decoding=Decoding(64, 0.0))
    assert finish(gives_up.plan(TOOLS, HISTORY)).output.decision == "give up"
    forced = finish(calls.plan(TOOLS, HISTORY, decisions=["conclusion"]))
    assert forced.output.decision == "conclusion"
    assert forced.output.text.endswith("\n Next: conclusion.")


def test_constrained_caller_writes_a_known_api_with_json_arguments(engine, tiny_models):
    # '"' preferred: free strings close at once (the tiny model would fill max_tokens otherwise)
    model = load(engine, tiny_models, {**CALLER_CURRENT, '"': 9.0})
    caller = Caller(model, RAW, decoding=Decoding(128, 0.0))
    history = [*HISTORY, {"from": "assistant", "value": "Call it.\n Next: caller."}]
    streamed: list[str] = []
    result = finish(caller.call(TOOLS, history, "Call it.\n Next: caller."), streamed.append)
    assert result.output.name == "current_for_weather"
    assert isinstance(result.output.arguments_dict(), dict)
    assert "".join(streamed).strip() == result.output.text
    assert result.raw.startswith("Action: current_for_weather\nAction Input: ")


def test_long_history_is_cut_from_the_left_to_context_minus_max_tokens(engine, tiny_models):
    model = load(engine, tiny_models, PLANNER_CALLS)
    planner = Planner(model, RAW, decoding=Decoding(64, 0.0), context=1024)
    history = [*HISTORY]
    for index in range(40):
        history += [
            {"from": "assistant", "value": f"Step {index}: look again.\n Next: caller."},
            {"from": "caller", "value": 'Action: current_for_weather\nAction Input: {"city": "x"}'},
            {"from": "observation", "value": f"reading number {index} " * 4},
        ]
    full = fmt.planner_prompt(TOOLS, history)
    assert model.count_tokens(full) > 1024
    result = finish(planner.plan(TOOLS, history))
    assert result.truncated
    assert full.endswith(result.prompt)
    assert model.count_tokens(result.prompt) <= 1024 - 64 - 8
    assert model.count_tokens(full[len(full) - len(result.prompt) - 8 :]) > 1024 - 64 - 8
    assert result.output.decision == "caller"


def test_chat_prompt_keeps_the_system_message_when_cut(engine, tiny_models):
    model = load(engine, tiny_models, PLANNER_CALLS)
    # The tiny model's vocabulary is byte-level: the system message alone is ~2900 tokens.
    planner = Planner(model, ChatDialect(), decoding=Decoding(96, 0.0), context=4096)
    history = [*HISTORY]
    for index in range(60):
        history += [
            {"from": "assistant", "value": f"Step {index}.\n Next: caller."},
            {"from": "observation", "value": f"observation {index} " * 5},
        ]
    result = finish(planner.plan(TOOLS, history))
    assert result.truncated
    assert result.prompt.startswith("<|im_start|>system\nYou are the planner")
    assert "current_for_weather" in result.prompt
    assert "observation 59" in result.prompt and "observation 0 " not in result.prompt
    assert model.count_tokens(result.prompt) <= 4096 - 96 - 8
    assert result.output.decision == "caller"


@pytest.mark.parametrize("style", chat_prompts.PROMPT_STYLES)
def test_chat_styles_render_all_roles(engine, tiny_models, style):
    model = load(engine, tiny_models, PLANNER_CALLS)
    history = [*HISTORY, {"from": "assistant", "value": "Call current.\n Next: caller."}]
    planner = Planner(model, ChatDialect(style))
    caller = Caller(model, ChatDialect(style))
    summarizer = Summarizer(model, ChatDialect(style))
    assert "What is the weather in Paris?" in planner.prompt(TOOLS, HISTORY)
    caller_prompt = caller.prompt(TOOLS, history, "Call current.\n Next: caller.")
    assert "current_for_weather" in caller_prompt and "Action Input" in caller_prompt
    assert "Paris" in summarizer.prompt(history)
    prompt = planner.prompt(TOOLS, HISTORY)
    if style == "alpha-umi":
        assert prompt.endswith("<|im_start|>assistant\n")
    else:
        first = chat_prompts.planner_prompt(TOOLS, HISTORY, style)
        assert prompt.endswith("<|im_start|>assistant\n" + first.lead)
        assert first.lead.startswith("Thought: No API has been called yet")
    assert "</s>" not in planner.prompt(TOOLS, history)


SEARCH_OBSERVATION = '{"data": [{"id": 27, "name": "Daft Punk", "nb_album": 5}], "total": 1}'


def test_observations_are_compacted_for_chat_prompts():
    compact = chat_prompts.compact_observation
    assert compact(SEARCH_OBSERVATION) == "data: [id: 27, name: Daft Punk, nb_album: 5], total: 1"
    error = '{"error": "HTTP 404", "response": "{\\"error\\": {\\"message\\": \\"no id 1\\"}}"}'
    assert compact(error) == "error: HTTP 404, response: error: (message: no id 1)"
    assert compact('{"data": [{"id": 1, "title": "A, B"}, {"id": 2, "tit...') == (
        '{data: [{id: 1, title: "A, B"}, {id: 2, "tit...'
    )
    assert compact("plain text") == "plain text"
    assert compact("x" * 2000).endswith("...") and len(compact("x" * 2000)) < 1000
    # umi's own note after the API's text (repeated call, API dropped) survives compaction.
    noted = SEARCH_OBSERVATION + "\n(Repeated call: search was already called.)"
    assert compact(noted) == (
        "data: [id: 27, name: Daft Punk, nb_album: 5], total: 1\n(Repeated call: search was "
        "already called.)"
    )


def test_chat_planner_opening_follows_the_state():
    first = chat_prompts.planner_prompt(TOOLS, HISTORY)
    # Only current_for_weather takes text alone (forecast also takes an integer).
    assert first.lead.endswith("APIs that need no id: current_for_weather. Call")
    assert first.opening == first.lead[len("Thought:") :]
    same = [{**tool, "input": {"city": "string, the city"}} for tool in TOOLS]
    assert chat_prompts.planner_prompt(same, HISTORY).lead == "Thought:" + (
        chat_prompts.OPENING_FIRST
    )
    observed = [
        *HISTORY,
        {"from": "assistant", "value": "Call current_for_weather.\n Next: caller."},
        {"from": "caller", "value": 'Action: current_for_weather\nAction Input: {"city": "Paris"}'},
        {"from": "observation", "value": '{"temp_c": 18}'},
    ]
    later = chat_prompts.planner_prompt(TOOLS, observed)
    assert later.lead == "Thought: The last observation"
    user = later.messages()[1]["content"]
    assert 'Call: current_for_weather {"city": "Paris"}' in user
    assert "Observation: temp_c: 18" in user and "Thought: Call current_for_weather." in user
    # The worked example uses made-up APIs, never the ones offered.
    assert "find_city" in later.system and "current_for_weather" in later.system


def test_chat_caller_sees_the_request_latest_observation_and_thought():
    history = [
        *HISTORY,
        {"from": "assistant", "value": "Find it.\n Next: caller."},
        {"from": "caller", "value": 'Action: current_for_weather\nAction Input: {"city": "X"}'},
        {"from": "observation", "value": '{"old": 1}'},
        {"from": "assistant", "value": "Call forecast.\n Next: caller."},
        {"from": "caller", "value": 'Action: forecast_for_weather\nAction Input: {"city": "P"}'},
        {"from": "observation", "value": '{"new": 2}'},
        {"from": "assistant", "value": "Call forecast_for_weather with days 3.\n Next: caller."},
    ]
    prompt = chat_prompts.caller_prompt(TOOLS, history, history[-1]["value"])
    user = prompt.messages()[1]["content"]
    assert user.startswith("User: What is the weather in Paris?\nObservation: new: 2\n")
    assert "old: 1" not in user and "Call:" not in user
    assert "Thought: Call forecast_for_weather with days 3.\n" in user
    assert "Next:" not in user


def test_chat_summarizer_answers_from_the_observations():
    history = [
        *HISTORY,
        {"from": "assistant", "value": "Call it.\n Next: caller."},
        {"from": "caller", "value": 'Action: current_for_weather\nAction Input: {"city": "P"}'},
        {"from": "observation", "value": '{"temp_c": 18, "sky": "cloudy"}'},
        {"from": "assistant", "value": "Done.\n Next: conclusion."},
    ]
    user = chat_prompts.summarizer_prompt(history).messages()[1]["content"]
    assert "Observation: temp_c: 18, sky: cloudy" in user
    assert "Done." not in user and "Call:" not in user
