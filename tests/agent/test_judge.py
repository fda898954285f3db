"""The planner's judge on real llama.cpp: scored yes/no questions decide conclusion and give-up."""

from __future__ import annotations

import json
import math

import pytest
from test_roles import HISTORY, TOOLS, load

from umi_cli.agent.dialects import ChatDialect
from umi_cli.agent.judge import (
    ANSWERED_THOUGHT,
    IRRELEVANT_THOUGHT,
    SLOTS,
    Judge,
    JudgeSettings,
    can_judge,
    p_yes,
)
from umi_cli.agent.role_base import Decoding
from umi_cli.agent.roles import Planner
from umi_cli.engine import finish

# Byte-level characters (prompts and options never tokenize to whole-word tokens).
SAYS_YES = {"Y": 6.0, "e": 6.0, "s": 6.0}
SAYS_NO = {"N": 6.0, "o": 6.0}
OBSERVED = [
    *HISTORY,
    {"from": "assistant", "value": "Call current_for_weather.\n Next: caller."},
    {"from": "caller", "value": 'Action: current_for_weather\nAction Input: {"city": "paris"}'},
    {"from": "observation", "value": '{"city": "paris", "temp_c": 21}'},
]


def test_p_yes_weighs_both_casings_against_no() -> None:
    assert p_yes([math.log(0.1), math.log(0.1), math.log(0.1), math.log(0.1)]) == 0.5
    assert p_yes([math.log(0.3), math.log(0.3), math.log(0.2), math.log(0.2)]) == pytest.approx(0.6)
    assert p_yes([-1000.0, math.log(0.5), math.log(0.25), -1000.0]) == pytest.approx(2 / 3)


def planner(engine, tiny_models, prefer, settings=None) -> Planner:
    model = load(engine, tiny_models, prefer)
    assert can_judge(model)
    role = Planner(model, ChatDialect(), decoding=Decoding(48, 0.0), context=4096)
    role.judge = Judge(model, settings or JudgeSettings(answered=0.5, relevant=0.5))
    return role


def test_a_yes_concludes_without_a_thought_of_the_planner(engine, tiny_models) -> None:
    role = planner(engine, tiny_models, SAYS_YES)
    streamed: list[str] = []
    result = finish(role.plan(TOOLS, OBSERVED), streamed.append)
    assert result.output.decision == "conclusion"
    assert result.output.text == ANSWERED_THOUGHT + "\n Next: conclusion."
    assert "".join(streamed) == result.output.text
    assert result.output.judge is not None and result.output.judge["answered"] > 0.5
    assert result.stats.prompt_tokens > 0 and result.stats.generated_tokens == 0


def test_a_no_takes_the_conclusion_away(engine, tiny_models) -> None:
    role = planner(engine, tiny_models, SAYS_NO)
    result = finish(role.plan(TOOLS, OBSERVED))
    assert result.output.decision != "conclusion"
    assert result.output.judge is not None and result.output.judge["answered"] < 0.5
    assert result.output.text.startswith("The last observation")  # its own thought
    assert result.stats.generated_tokens > 0


def test_the_first_step_gives_up_when_no_api_fits(engine, tiny_models) -> None:
    role = planner(engine, tiny_models, SAYS_NO)
    result = finish(role.plan(TOOLS, HISTORY))
    assert result.output.decision == "give up"
    assert result.output.text == IRRELEVANT_THOUGHT + "\n Next: give up."
    assert result.output.judge is not None and result.output.judge["relevant"] < 0.5
    # relevance is asked only when a threshold is set, and only before the first call
    role.judge = Judge(role.backend, JudgeSettings(answered=0.5))
    assert finish(role.plan(TOOLS, HISTORY)).output.judge is None
    role.judge = Judge(role.backend, JudgeSettings(relevant=0.5))
    assert finish(role.plan(TOOLS, OBSERVED)).output.judge is None


def test_a_forced_decision_asks_nothing(engine, tiny_models) -> None:
    role = planner(engine, tiny_models, SAYS_NO)
    result = finish(role.plan(TOOLS, OBSERVED, decisions=["conclusion"]))
    assert result.output.decision == "conclusion" and result.output.judge is None


def test_a_run_reuses_the_judge_prompt_it_grew(engine, tiny_models) -> None:
    role = planner(engine, tiny_models, SAYS_NO)
    assert role.judge is not None
    first = role.judge.answered(OBSERVED)
    longer = [
        *OBSERVED,
        {"from": "assistant", "value": "Call forecast_for_weather.\n Next: caller."},
        {"from": "caller", "value": 'Action: forecast_for_weather\nAction Input: {"days": 1}'},
        {"from": "observation", "value": '{"days": [{"temp_c": 19}]}'},
    ]
    role.backend.score("Something else entirely.", ["x"], slot="planner")  # another slot in use
    second = role.judge.answered(longer)
    assert second.stats.cached_tokens > first.stats.prompt_tokens // 2
    assert set(SLOTS) == {"answered", "relevant"}


@pytest.fixture
def judged_profile(test_profile):
    """A chat-format tiny trio whose planner model answers the judge "Yes"."""
    return test_profile(
        planner=SAYS_YES, prompt_format="chat", max_tokens=48, judge={"answered": 0.5}
    )


def test_the_cli_stops_after_the_call_that_answered(
    run_umi, judged_profile, weather_spec, tool_server
) -> None:
    args = ["run", "-p", judged_profile, "-t", str(weather_spec), "--base-url",
            f"weather={tool_server.base_url}", "--json", "--no-log", "--no-answer-check",
            "--max-steps", "3", "--temperature", "0", "Weather in Paris?"]  # fmt: skip
    done = run_umi(*args, timeout=300)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    planned = [e for e in events if e["event"] == "planner"]
    assert [e["decision"] for e in planned] == ["caller", "conclusion"]
    assert planned[0]["judge"] is None  # nothing observed yet and no relevance threshold
    assert planned[1]["judge"]["answered"] > 0.5
    assert planned[1]["text"].startswith(ANSWERED_THOUGHT)
    assert sum(e["event"] == "call" for e in events) == 1

    done = run_umi(*args[:-1], "--no-judge", "Weather in Paris?", timeout=300)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert all(e["judge"] is None for e in events if e["event"] == "planner")


def test_a_planner_model_without_thresholds_is_not_judged(
    run_umi, test_profile, weather_spec, tool_server
) -> None:
    profile = test_profile(planner=SAYS_YES, prompt_format="chat", max_tokens=48)
    done = run_umi(
        "run", "-p", profile, "-t", str(weather_spec), "--base-url",
        f"weather={tool_server.base_url}", "--json", "--no-log", "--no-answer-check",
        "--max-steps", "1", "Weather in Paris?", timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert all(e["judge"] is None for e in events if e["event"] == "planner")


def test_a_threshold_out_of_range_is_one_line_naming_the_field(run_umi, test_profile) -> None:
    test_profile(prompt_format="chat", judge={"answered": 1.5})
    done = run_umi("models", "list")
    assert done.returncode == 1  # a configuration error
    assert "field 'judge.answered': expected a number from 0 to 1, got 1.5" in done.stderr
    assert "Traceback" not in done.stderr
