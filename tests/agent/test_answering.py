"""Grounded final answers through the real loop: tiny GGUFs on llama.cpp, real HTTP on loopback.

The tiny models' preferences make what the summarizer writes deterministic, so each branch of
the answer check (kept, rewritten then refused, nothing found) is driven for real.
"""

from __future__ import annotations

from pathlib import Path

from agent_models import CALLER_DOWN, open_test_agent

from umi_cli.agent.answering import AnswerChecked, is_empty_result, not_found_reason
from umi_cli.agent.events import FinalAnswer, GaveUp, Observation, RunFinished

#: A summarizer whose answer is all digits: a number no observation holds.
SUMMARIZER_INVENTS = {"7": 8.0}


def agent_for(profile: str, spec: Path, server, **options):
    return open_test_agent(profile, [str(spec)], base_urls={"weather": server.base_url}, **options)


def of(kind, events):
    return [event for event in events if isinstance(event, kind)]


def test_an_answer_without_facts_is_kept(test_profile, weather_spec, tool_server):
    events = list(
        agent_for(test_profile(), weather_spec, tool_server, max_steps=1).run("Weather in Paris?")
    )
    (check,) = of(AnswerChecked, events)
    assert check.action == "kept" and check.ungrounded == []
    assert check.sources > len("Weather in Paris?")  # the observation was checked against too
    (answer,) = of(FinalAnswer, events)
    assert answer.text.startswith("zzz")
    assert events[-1].outcome == "answered"


def test_an_invented_number_is_rewritten_once_then_refused(test_profile, weather_spec, tool_server):
    profile = test_profile(summarizer=SUMMARIZER_INVENTS)
    events = list(agent_for(profile, weather_spec, tool_server, max_steps=1).run("Paris weather?"))
    checks = of(AnswerChecked, events)
    assert [c.action for c in checks] == ["rewritten", "not_found"]
    assert checks[0].ungrounded and all(set(f) <= set("7") for f in checks[0].ungrounded)
    # the dropped answer's completions are still counted, under the summarizer
    assert checks[1].role == "summarizer" and checks[1].stats.generated_tokens > 0
    assert of(FinalAnswer, events) == []
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.outcome == "gave_up"
    (gave_up,) = of(GaveUp, events)
    assert "Could not find" in gave_up.reason


def test_the_same_answer_stands_when_the_check_is_off(test_profile, weather_spec, tool_server):
    profile = test_profile(summarizer=SUMMARIZER_INVENTS)
    agent = agent_for(profile, weather_spec, tool_server, max_steps=1, check_answers=False)
    events = list(agent.run("Paris weather?"))
    assert of(AnswerChecked, events) == []
    (answer,) = of(FinalAnswer, events)
    assert answer.text.startswith("777") and events[-1].outcome == "answered"


def test_nothing_found_gives_up_without_asking_the_summarizer(
    test_profile, weather_spec, tool_server
):
    tool_server.down = True  # the only API the caller names answers 503
    profile = test_profile(caller=CALLER_DOWN)
    events = list(agent_for(profile, weather_spec, tool_server, max_steps=1).run("Oslo weather?"))
    (observation,) = of(Observation, events)
    assert not observation.ok
    (check,) = of(AnswerChecked, events)
    assert check.action == "not_found" and check.role is None
    assert of(FinalAnswer, events) == []
    (gave_up,) = of(GaveUp, events)
    assert gave_up.reason == "Could not find the answer: down_for_weather failed."


def test_empty_results_and_reasons():
    assert is_empty_result('{"data": [], "total": 0}')
    assert is_empty_result("[]") and is_empty_result("null") and is_empty_result("")
    assert is_empty_result('{"data": []}\n(Only the first 2 of 0 items are shown.)')
    assert not is_empty_result('{"data": [{"name": "Daft Punk"}], "total": 1}')
    assert not is_empty_result("plain text answer")
    assert not_found_reason([]) == "Could not find the answer: no API was called."


def test_the_live_view_names_what_the_observations_lack(
    run_umi, test_profile, weather_spec, tool_server
):
    profile = test_profile(summarizer=SUMMARIZER_INVENTS)
    done = run_umi(
        "run", "-p", profile, "--tools", str(weather_spec),
        "--base-url", f"weather={tool_server.base_url}", "--max-steps", "1", "Paris weather?",
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr  # gave up: nothing grounded to answer with
    assert "answer not grounded: asked again" in done.stdout
    assert "not in the observations: \"777" in done.stdout
    assert "answer still not grounded: dropped" in done.stdout
    assert "Could not find the answer" in done.stdout
