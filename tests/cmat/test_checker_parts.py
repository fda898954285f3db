"""The checker's and reflector's pure parts: verdicts, grammars, grounding hints, prompts, facts,
and the α-UMi renderers skipping the ``check`` turn."""

from __future__ import annotations

import pytest

from umi_cli.agent import chat_prompts
from umi_cli.agent import format as fmt
from umi_cli.agent.checker import CHECK_GRAMMAR, NO_REASON, parse_verdict, ungrounded
from umi_cli.agent.cmat_events import CallChecked
from umi_cli.agent.cmat_memory import with_lessons
from umi_cli.agent.cmat_prompts import checker_prompt
from umi_cli.agent.dialects import AlphaUmiDialect, ChatDialect
from umi_cli.agent.reflection import LESSON_GRAMMAR, failed_call, is_empty_result, one_sentence
from umi_cli.agent.trace import trajectory_problem
from umi_cli.engine.llama.gbnf import check_gbnf_syntax
from umi_cli.memory import Lesson, LessonKey
from umi_cli.memory.lessons import now_utc

DOC = {
    "Name": "search_artist_for_music",
    "function": 'This is the subfunction for tool "music", you can use this tool.The description '
    'of this function is: "Search artists by name."',
    "input": {"q": "string, The artist name"},
}


@pytest.mark.parametrize(
    ("text", "verdict", "reason"),
    [
        ("accept", "accept", ""),
        (
            "reject: the id 12 is not in any observation",
            "reject",
            "the id 12 is not in any observation",
        ),
        ("reject:   ", "reject", NO_REASON),
        ("Reject - wrong API for the thought</s>", "reject", "wrong API for the thought"),
        ("I think this is fine.", "accept", ""),
        ("The call should be rejected: no id", "reject", "no id"),
        ("This is not a rejection.", "accept", ""),
    ],
)
def test_verdicts_are_read(text, verdict, reason):
    output = parse_verdict(text)
    assert (output.verdict, output.reason) == (verdict, reason)


def test_the_grammars_are_valid_gbnf():
    check_gbnf_syntax(CHECK_GRAMMAR)
    check_gbnf_syntax(LESSON_GRAMMAR)
    assert '"accept" | "reject: "' in CHECK_GRAMMAR


def test_values_found_nowhere_are_named():
    evidence = 'Weather in Paris?\n{"id": 27, "name": "Daft Punk", "score": 3.0}'
    arguments = {"city": "Paris", "artist_id": 27, "album_id": 302127, "score": 3.0, "ok": True}
    assert ungrounded(arguments, evidence) == ["album_id=302127"]
    assert ungrounded({"filter": {"ids": [27, 99]}}, evidence) == ["filter.ids=99"]
    assert ungrounded(None, evidence) == []


def test_the_checker_prompt_in_both_dialects():
    history = [
        {"from": "user", "value": "Albums of Air?"},
        {"from": "assistant", "value": "Call search_artist_for_music.\n Next: caller."},
        {"from": "caller", "value": 'Action: search_artist_for_music\nAction Input: {"q": "x"}'},
        {"from": "observation", "value": '{"data": []}'},
    ]
    arguments = dict(
        request="Albums of Air?", history=history, thought="Call it with Air.\n Next: caller.",
        api="search_artist_for_music", call='search_artist_for_music {"q": "Air"}',
        document=DOC, ungrounded=["q=Air2"],
    )  # fmt: skip
    chat = checker_prompt(ChatDialect(), **arguments)
    system, user = (message["content"] for message in chat.messages())  # type: ignore[attr-defined]
    assert system.startswith("You check one API call before it is sent.")
    assert "User request: Albums of Air?" in user and "Observation: data: []" in user
    assert "Thought of this step: Call it with Air." in user and "Next: caller" not in user
    assert "Search artists by name." in user and "found nowhere in the request" in user
    assert user.rstrip().endswith("Verdict (accept, or reject: <reason>):")
    raw = checker_prompt(AlphaUmiDialect(), **arguments)
    text = raw.text  # type: ignore[attr-defined]
    assert (
        text.index("Steps so far:")
        < text.index("You check one API call")
        < text.index("Proposed call: search_artist_for_music")
    )  # the rules and the call survive a cut from the left


def test_alpha_umi_renderers_skip_check_turns_and_chat_shows_them():
    turn = CallChecked(1, "search_artist_for_music", {"q": "x"}, '{"q": "x"}', "reject", "no x")
    check = turn.turn()
    assert check == {
        "from": "check",
        "value": 'search_artist_for_music {"q": "x"} was not sent: no x',
    }
    history = [
        {"from": "user", "value": "Albums of Air?"},
        {"from": "assistant", "value": "T"},
        check,
    ]
    raw = fmt.planner_prompt([DOC], history)
    assert "was not sent" not in raw and "user: Albums of Air?</s>assistant: T</s>" in raw
    fmt.caller_prompt([DOC], history, "T")
    fmt.backbone_prompt([DOC], history)
    fmt.summarizer_prompt(history)
    planner = chat_prompts.planner_prompt([DOC], history)
    user = planner.messages()[-1]["content"]
    assert "Check: search_artist_for_music" in user and "The checker did not send" in user
    assert (
        trajectory_problem({"tools": [DOC], "instruction": "x", "conversations": history}) is None
    )
    assert "check" in trajectory_problem(
        {"tools": [DOC], "instruction": "x", "conversations": [{"from": "nope", "value": ""}]}
    )


def test_lessons_travel_in_the_documentation_of_their_api():
    written = now_utc()
    key = LessonKey("search_artist_for_music", "music")
    lesson = Lesson(7, "search_artist_for_music needs a name.", "failure", (key,), written, written)
    (annotated,) = with_lessons([DOC], [lesson])
    assert annotated["function"].endswith(
        'by name. Lessons from earlier tasks: search_artist_for_music needs a name."'
    )
    assert DOC["function"].endswith('by name."')  # the toolbox's own document is unchanged
    readable = chat_prompts.api_lines([annotated])
    assert "Lessons from earlier tasks: search_artist_for_music needs a name." in readable
    assert with_lessons([DOC], []) == [DOC]


def test_facts_and_sentences():
    facts = failed_call("album_tracks_for_music", {"album_id": 3}, 500, "server")
    assert facts.trigger == "outage" and facts.apis == ("album_tracks_for_music",)
    assert failed_call("album_tracks_for_music", {}, 400, "client").trigger == "failure"
    assert facts.text.startswith(
        'album_tracks_for_music failed with HTTP 500 (a server error) for {"album_id": 3} on '
    )
    assert one_sentence("api x needs a name. Then more") == "api x needs a name."
    assert one_sentence("api x needs a name") == "api x needs a name."
    assert is_empty_result('{"data": [], "total": 0}') and is_empty_result("[]")
    assert not is_empty_result('{"data": [{"id": 1}], "total": 1}')
