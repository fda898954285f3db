"""Task-suite expectations judged on hand-made runs, and the shipped demo suite's shape."""

from __future__ import annotations

import pytest

from umi_cli.demo import TASKS_PATH
from umi_cli.errors import UsageError
from umi_cli.eval.tasks import (
    MadeCall,
    judge,
    parse_expectation,
    read_suite,
    repeated_calls,
    says_not_found,
    summarize,
)


def expect(**fields):
    return parse_expectation(fields, "t.jsonl:1: expect")


SEARCH = MadeCall("search_artist", {"q": "Air", "limit": 5}, True)
ALBUMS = MadeCall("artist_albums", {"artist_id": 243}, True)


def test_answer_strings_ignore_case_and_spacing():
    rule = expect(answer=["Moon Safari", "10 000 Hz Legend"])
    assert judge(rule, "answered", "They released moon  safari and 10 000 hz legend.", []).passed
    verdict = judge(rule, "answered", "Moon Safari only.", [])
    assert verdict.failures == ("answer lacks '10 000 Hz Legend'",)


def test_answer_any_and_regex():
    assert judge(expect(answer_any=["same", "equal"]), "answered", "They are equal.", []).passed
    assert not judge(expect(answer_any=["same", "equal"]), "answered", "Justice.", []).passed
    rule = expect(answer_regex=[r"1[ ,.]?203[ ,.]?554"])
    assert judge(rule, "answered", "Justice has 1,203,554 fans.", []).passed
    assert not judge(rule, "answered", "Justice has 1,203,000 fans.", []).passed


def test_calls_match_by_name_and_the_arguments_given():
    assert judge(expect(calls=[{"name": "search_artist"}]), "answered", "x", [SEARCH]).passed
    by_value = expect(calls=[{"name": "search_artist", "arguments": {"q": "air"}}])
    assert judge(by_value, "answered", "x", [SEARCH]).passed  # strings: case ignored
    numeric = expect(calls=[{"name": "artist_albums", "arguments": {"artist_id": "243"}}])
    assert judge(numeric, "answered", "x", [SEARCH, ALBUMS]).passed  # numbers by value
    wrong = expect(calls=[{"name": "artist_albums", "arguments": {"artist_id": 27}}])
    verdict = judge(wrong, "answered", "x", [SEARCH, ALBUMS])
    assert verdict.failures == ("no call artist_albums(artist_id=27)",)


def test_outcome_and_unanswerable():
    assert judge(expect(outcome="gave_up"), "gave_up", None, []).passed
    assert not judge(expect(outcome="gave_up"), "answered", "x", []).passed
    impossible = expect(unanswerable=True)
    assert judge(impossible, "gave_up", None, []).passed
    assert judge(
        impossible, "answered", "I could not find the weather with these tools.", []
    ).passed
    assert judge(impossible, "answered", "The catalog does not have ticket prices.", []).passed
    verdict = judge(impossible, "answered", "It will be sunny and 21 °C.", [])
    assert verdict.failures == ("answered a question the tools cannot answer",)


def test_not_found_phrases():
    for text in ("I couldn't find it", "There is no information about Nirvana", "not available"):
        assert says_not_found(text), text
    assert not says_not_found("Nirvana released Nevermind in 1991.")
    assert not says_not_found(None)


def test_repeated_calls_and_totals():
    assert (
        repeated_calls([SEARCH, ALBUMS, MadeCall("search_artist", {"limit": 5, "q": "Air"}, True)])
        == 1
    )
    records = [
        {"passed": True, "outcome": "answered", "steps": 2, "calls": 1, "repeated_calls": 0,
         "seconds": 4.0, "tokens": 10},
        {"passed": False, "outcome": "gave_up", "steps": 4, "calls": 3, "repeated_calls": 1,
         "seconds": 8.0, "tokens": 30},
    ]  # fmt: skip
    totals = summarize(records)
    assert totals["passed"] == 1 and totals["pass_rate"] == 50.0
    assert totals["mean_steps"] == 3.0 and totals["mean_calls"] == 2.0
    assert totals["repeated_calls"] == 1 and totals["gave_up"] == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "at least one of"),
        ({"answer": "x", "unanswerable": True}, "unanswerable cannot be combined"),
        ({"answer": [""]}, "expect.answer: give a non-empty string"),
        ({"calls": [{"name": "a", "arguments": []}]}, "expect.calls[0].arguments"),
        ({"unanswerable": "yes"}, "expect.unanswerable: give true or false"),
    ],
)
def test_bad_expectations_name_the_field(fields, message):
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]")):
        expect(**fields)


def test_the_shipped_demo_suite_covers_one_to_three_calls_and_impossible_tasks():
    tasks = read_suite(TASKS_PATH)
    assert len(tasks) >= 20
    impossible = [task for task in tasks if task.expect.unanswerable]
    assert len(impossible) >= 3
    names = {call.name for task in tasks for call in task.expect.calls}
    # one call (search), two (search, then albums) and three (search, albums, then tracks)
    assert {"search_artist_for_music_catalog", "artist_albums_for_music_catalog",
            "album_tracks_for_music_catalog"} <= names  # fmt: skip
    comparisons = [task for task in tasks if len(task.expect.calls) == 2]
    assert comparisons
