"""The cmat mode's loop: real llama.cpp on tiny GGUFs, real HTTP on loopback, real SQLite."""

from __future__ import annotations

import json

import pytest
from cmat_support import ACCEPTING, REJECTING, weather_spec

from umi_cli.agent.checker import Checker
from umi_cli.agent.cmat_events import CallChecked, MemoryUsed, ReflectionWritten, RevisionStarted
from umi_cli.agent.events import GaveUp, Observation, RunFinished, StepBudgetReached, ToolCall
from umi_cli.agent.options import RunOptions
from umi_cli.agent.trace import TraceRecorder, load_trace, write_trace
from umi_cli.compose import open_agent, open_roles
from umi_cli.engine import BackendPool
from umi_cli.memory import LessonStore, memory_path


def options(profile: str, spec, server, **changes) -> RunOptions:
    return RunOptions(
        profile=profile, mode="cmat", tools=(str(spec),),
        base_urls={"weather": server.base_url}, **changes,
    )  # fmt: skip


def run(profile, spec, server, **changes):
    with (
        BackendPool() as pool,
        open_agent(options(profile, spec, server, **changes), pool) as agent,
    ):
        recorder = TraceRecorder(agent.toolbox.documents(), agent.options.to_dict())
        events = []
        for event in agent.run("What is the weather in Paris?"):
            recorder(event)
            events.append(event)
    return events, recorder.trace()


def of(kind, events):
    return [event for event in events if isinstance(event, kind)]


def test_a_rejected_call_is_never_sent_and_the_revisions_are_bounded(
    cmat_profiles, tool_server, tmp_path
):
    spec = weather_spec(tmp_path)
    events, trace = run(
        "tiny-cmat-strict", spec, tool_server, max_steps=2, check_revisions=2,
        after_rejections="give-up",
    )  # fmt: skip

    assert tool_server.requests == []  # nothing reached the API
    assert of(ToolCall, events) == [] and of(Observation, events) == []
    checks = of(CallChecked, events)
    assert [c.revision for c in checks] == [0, 1, 2]  # the first proposal and two revisions
    assert {c.verdict for c in checks} == {"reject"} and not any(c.overruled for c in checks)
    assert checks[0].reason and set(checks[0].reason) <= set("r")  # the tiny checker's words
    # The tiny actor proposes the same call again: it is rejected without asking again.
    assert [c.repeated for c in checks] == [False, True, True]
    assert checks[0].stats.generated_tokens > 0 and checks[0].figure() is not None
    assert checks[1].figure() is None
    assert [r.revision for r in of(RevisionStarted, events)] == [1, 2]
    (gave_up,) = of(GaveUp, events)
    assert "checker rejected the call 3 times" in gave_up.reason
    assert events[-1].outcome == "gave_up"
    # The history holds one check turn per rejection; the trace keeps them and loads again.
    kinds = [turn["from"] for turn in trace["conversations"]]
    assert kinds.count("check") == 3 and "caller" not in kinds
    assert "was not sent: r" in trace["conversations"][2]["value"]
    assert (
        load_trace(write_trace(tmp_path / "trace.json", trace))["conversations"]
        == (trace["conversations"])
    )
    assert [f["role"] for f in trace["figures"]].count("checker") == 1


def test_after_the_last_revision_the_call_is_sent_anyway(cmat_profiles, tool_server, tmp_path):
    spec = weather_spec(tmp_path)
    events, _trace = run(
        "tiny-cmat-strict", spec, tool_server, max_steps=1, check_revisions=1, memory=False
    )

    checks = of(CallChecked, events)
    assert [(c.revision, c.verdict, c.overruled) for c in checks] == [
        (0, "reject", False),
        (1, "reject", True),
    ]
    (call,) = of(ToolCall, events)
    (request,) = tool_server.requests  # sent once, after the revision
    assert request.query["city"] == [call.arguments["city"]]
    assert of(StepBudgetReached, events)
    assert not of(MemoryUsed, events) and not of(ReflectionWritten, events)
    assert not memory_path().exists()  # --no-memory writes nothing


def test_an_accepted_call_is_sent_and_the_answer_leaves_a_lesson(
    cmat_profiles, tool_server, tmp_path
):
    spec = weather_spec(tmp_path)
    events, trace = run("tiny-cmat", spec, tool_server, max_steps=1)

    (used,) = of(MemoryUsed, events)
    assert used.lessons == []  # nothing learnt yet
    (check,) = of(CallChecked, events)
    assert (check.verdict, check.reason, check.revision) == ("accept", "", 0)
    assert check.turn() is None
    (call,) = of(ToolCall, events)
    assert len(tool_server.requests) == 1
    assert (call.api, call.arguments) == (check.api, check.arguments)
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    reflections = of(ReflectionWritten, events)
    assert reflections, "a lesson after the spent step budget"
    (lesson,) = reflections
    assert lesson.trigger == "budget" and lesson.apis == ["current_for_weather"]
    assert lesson.text.startswith("current_for_weather ")
    with LessonStore() as store:
        stored = store.get(lesson.lesson_id)
    assert stored.text == lesson.text and stored.apis == ("current_for_weather",)
    assert stored.tools == ("weather",) and stored.kind == "budget"
    assert "checker" in {f["role"] for f in trace["figures"]}


def test_a_failed_call_becomes_a_lesson_the_next_task_recalls(cmat_profiles, tool_server, tmp_path):
    spec = weather_spec(tmp_path, path="/fault/500")
    first, _ = run("tiny-cmat", spec, tool_server, max_steps=1, reflection="facts")
    (failure,) = [r for r in of(ReflectionWritten, first) if r.trigger == "outage"]
    assert failure.role is None and failure.stats.generated_tokens == 0  # the fact sentence
    assert failure.text.startswith("current_for_weather failed with HTTP 500 (a server error)")
    assert json.dumps({"city": of(ToolCall, first)[0].arguments["city"]}) in failure.text

    written = {r.lesson_id for r in of(ReflectionWritten, first)}

    second, _ = run("tiny-cmat", spec, tool_server, max_steps=1, reflection="facts")
    (used,) = of(MemoryUsed, second)
    recalled = [lesson["id"] for lesson in used.lessons]
    assert recalled and set(recalled) <= written and used.tokens > 0
    with LessonStore() as store:
        assert [store.get(i).uses for i in recalled] == [1] * len(recalled)  # credited once
    # the API is down: the checker stops the call by memory alone, no model asked
    checks = of(CallChecked, second)
    assert checks[0].verdict == "reject" and checks[0].stats.generated_tokens == 0
    assert checks[0].reason.startswith("long-term memory says current_for_weather is down: ")
    sent = of(ToolCall, second)
    assert checks[-1].overruled and len(sent) == 1  # --after-rejections send: tried once more


def test_an_outage_lesson_is_forgotten_once_the_api_answers(cmat_profiles, tool_server, tmp_path):
    broken = weather_spec(tmp_path, path="/fault/500")
    run("tiny-cmat", broken, tool_server, max_steps=1, reflection="facts")
    with LessonStore() as store:
        assert [lesson.kind for lesson in store.lessons()].count("outage") == 1
    mended = weather_spec(tmp_path)  # the same API, answering again
    events, _ = run("tiny-cmat", mended, tool_server, max_steps=1, reflection="facts")
    assert of(CallChecked, events)[-1].overruled  # sent after the memory's rejections
    assert of(Observation, events)[0].ok
    with LessonStore() as store:
        assert "outage" not in [lesson.kind for lesson in store.lessons()]


def test_the_checker_can_be_a_model_of_its_own(cmat_profiles, tool_server, tmp_path):
    """An accepting actor with a rejecting checker (the catalog cannot name a ``checker``
    role yet, so the strict profile's planner model is put in that role by hand)."""
    from umi_cli.agent.agent import Agent
    from umi_cli.compose import open_mode, open_toolbox

    spec = weather_spec(tmp_path)
    run_options = options("tiny-cmat", spec, tool_server, max_steps=1, after_rejections="give-up")
    with BackendPool() as pool:
        strict = open_roles(run_options.with_(profile="tiny-cmat-strict"), pool)["planner"]
        mode = open_mode(run_options, pool)
        mode.checker = Checker(strict.backend, strict.dialect, decoding=strict.decoding)
        mode.guard.checker = mode.checker
        with Agent(mode=mode, toolbox=open_toolbox(run_options), options=run_options) as agent:
            events = list(agent.run("What is the weather in Paris?"))
    assert [c.verdict for c in of(CallChecked, events)] == ["reject"] * 3
    assert tool_server.requests == []
    assert events[-1].outcome == "gave_up"


@pytest.mark.parametrize(("prefer", "verdict"), [(ACCEPTING, "accept"), (REJECTING, "reject")])
def test_the_verdict_is_held_by_the_grammar(cmat_models, prefer, verdict, tmp_path):
    from umi_cli.agent.dialects import AlphaUmiDialect
    from umi_cli.agent.guards import ProposedCall
    from umi_cli.agent.role_base import Decoding
    from umi_cli.engine import finish
    from umi_cli.engine.llama import open_file

    tools = [{"Name": "current_for_weather", "function": "The weather.", "input": {}}]
    call = ProposedCall(1, 1, "current_for_weather", {"city": "paris"}, '{"city": "paris"}')
    backend = open_file(cmat_models(prefer))
    try:
        greedy = Decoding(max_tokens=48, temperature=0.0)  # the default samples at 0.5, unseeded
        checker = Checker(backend, AlphaUmiDialect(), decoding=greedy)
        judged = finish(checker.judge(tools, "Weather in Paris?", [], "Call it.", call))
    finally:
        backend.close()
    assert judged.output.verdict == verdict and judged.output.judged
    if verdict == "accept":
        assert judged.raw == "accept" and judged.output.reason == ""
    else:
        assert judged.raw.startswith("reject: r") and judged.output.reason == judged.raw[8:]
