"""The judge-free grounding check on hand-made answers over real demo-API observations."""

from __future__ import annotations

from umi_cli.agent.grounding import check_answer, facts_of, grounded_sentences, number_value

ALBUMS = (
    '{"data": [{"id": 301775, "title": "Homework", "release_date": "1997-01-20", '
    '"nb_tracks": 16}, {"id": 302127, "title": "Discovery", "release_date": "2001-03-12"}, '
    '{"id": 6575789, "title": "Random Access Memories", "release_date": "2013-05-17"}], "total": 5}'
)
ARTIST = '{"data": [{"id": 1182, "name": "Justice", "nb_album": 3, "nb_fan": 1203554}]}'
CROSS = '{"data": [{"id": 1250342, "title": "\\u2020 (Cross)", "release_date": "2007-06-11"}]}'
REQUEST = "Which albums has the artist Daft Punk released? List three."


def kinds(answer: str) -> list[tuple[str, str]]:
    return [(fact.kind, fact.text) for fact in facts_of(answer)]


def test_facts_are_names_quotes_numbers_and_dates():
    found = kinds('Daft Punk released "Homework" on January 20, 1997 and 3 more albums.')
    assert ("name", "Daft Punk") in found
    assert ("quoted", "Homework") in found
    assert ("date", "January 20, 1997") in found
    assert ("number", "3") in found
    assert not any(text in ("The", "Daft") for _kind, text in found)


def test_a_correct_answer_is_grounded():
    answer = "Daft Punk released Homework (1997-01-20), Discovery and Random Access Memories."
    result = check_answer(answer, [ALBUMS, REQUEST])
    assert result.ok and result.rate == 1.0 and result.facts >= 4


def test_invented_names_and_numbers_are_found_out():
    answer = "Daft Punk released Homework, The Greatest Hits and 42 other albums in 1985."
    result = check_answer(answer, [ALBUMS, REQUEST])
    assert {fact.text for fact in result.ungrounded} == {"Greatest Hits", "42", "1985"}
    assert 0 < result.rate < 1


def test_numbers_match_by_value_and_dates_by_form():
    assert number_value("1,203,554") == number_value("1 203 554") == "1203554"
    assert check_answer("Justice has 1,203,554 fans and 3 albums.", [ARTIST]).ok
    assert check_answer("Discovery came out on March 12, 2001.", [ALBUMS]).ok
    assert not check_answer("Discovery came out on March 13, 2001.", [ALBUMS]).ok


def test_escaped_and_symbol_titles_still_match():
    assert check_answer("The oldest Justice album is † (Cross), from 2007.", [CROSS, ARTIST]).ok


def test_an_answer_without_facts_is_grounded():
    assert check_answer("I could not find that.", [ALBUMS]).ok


def test_ungrounded_sentences_are_dropped():
    answer = "Daft Punk released Homework. They also made Thriller in 1982."
    assert grounded_sentences(answer, [ALBUMS, REQUEST]) == "Daft Punk released Homework."
    assert grounded_sentences("Thriller came out in 1982.", [ALBUMS]) == ""
