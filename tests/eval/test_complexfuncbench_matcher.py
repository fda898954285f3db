"""The rule-based matcher: placeholders, normalised values, defaults, dependencies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from umi_cli.eval.complexfuncbench.data import ReferenceCall, Task, parse_tasks
from umi_cli.eval.complexfuncbench.matcher import Matcher, argument_differences
from umi_cli.eval.complexfuncbench.values import (
    UnresolvedPlaceholder,
    is_specific,
    read_path,
    references,
    resolve,
    same_value,
)

FIXTURE = Path(__file__).with_name("complexfuncbench_fixture.json")
DEFAULTS = {"Search_Car_Rentals": {"driver_age": 30}}
LATITUDE, LONGITUDE = 32.873055, -117.215935
RENTAL = {
    "pick_up_latitude": LATITUDE,
    "pick_up_longitude": LONGITUDE,
    "pick_up_date": "2024-10-14",
    "pick_up_time": "08:00",
    "drop_off_date": "2024-10-15",
    "driver_age": 30,
}
DETAILS = {"vehicle_id": "684697826", "search_key": "eyJkcml2ZXJzQWdlIjozMH0="}


def car_task() -> Task:
    raw = json.loads(FIXTURE.read_text(encoding="utf-8"))["data"]
    return parse_tasks(raw)[0]


def test_paths_read_the_first_item_of_lists_and_indexes() -> None:
    response = [{"a": {"b": [{"c": 1}, {"c": 2}]}}, {"a": {"b": [{"c": 3}]}}]
    assert read_path(response, ".a.b.c") == 1
    assert read_path(response, "[1].a.b[0].c") == 3
    assert read_path({"data": [{"dest_id": "-553173"}]}, ".data[0].dest_id") == "-553173"
    with pytest.raises(UnresolvedPlaceholder):
        read_path(response, ".a.x")
    with pytest.raises(UnresolvedPlaceholder):
        read_path([], ".a")


def test_placeholders_resolve_whole_or_inside_text() -> None:
    results = {"var1": [{"coordinates": {"latitude": LATITUDE}}], "var2": {"id": "LAS.AIRPORT"}}
    arguments = {
        "lat": "$var1.coordinates.latitude$",
        "note": "from $var2.id$ today",
        "legs": [{"fromId": "$var2.id$"}],
        "plain": 5,
    }
    assert resolve(arguments, results) == {
        "lat": LATITUDE,
        "note": "from LAS.AIRPORT today",
        "legs": [{"fromId": "LAS.AIRPORT"}],
        "plain": 5,
    }
    assert references(arguments) == {"var1", "var2"}
    with pytest.raises(UnresolvedPlaceholder, match=r"\$var3\.id\$"):
        resolve("$var3.id$", results)


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ("5", 5),
        (1.0, 1),
        ("48.14137", 48.14137),
        (36.08280181884771, 36.0828018188477),
        ("  San Diego   Marriott ", "san diego marriott"),
        ("8:00", "08:00"),
        (True, "true"),
        ("CHEAPEST", "cheapest"),
        ({"b": 1, "a": "x"}, {"a": "X", "b": "1"}),
        ([{"fromId": "BOM.AIRPORT"}], '[{"fromId": "bom.airport"}]'),
    ],
)
def test_normalised_values_are_equal(expected: Any, actual: Any) -> None:
    assert same_value(expected, actual)


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ("684697826", "684697827"),
        (32.873055, 32.8731),
        ("2024-10-14", "2024-10-15"),
        ("Hotel Alpha", "Hotel Alpha Annex"),
        ([1, 2], [2, 1]),
        (True, 1),
    ],
)
def test_different_values_stay_different(expected: Any, actual: Any) -> None:
    assert not same_value(expected, actual)


def test_search_terms_ignore_punctuation_and_filters_are_sets() -> None:
    assert same_value("Hotel Marrol's Bratislava", "hotel marrols bratislava", "query")
    assert not same_value("Hotel Marrol's Bratislava", "hotel marrols bratislava", "name")
    assert same_value("Saint-Denis", "saint denis", "query")
    assert same_value(
        "class::4, free_cancellation::1", "free_cancellation::1,class::4", "categories_filter"
    )


def test_specific_values_are_those_a_request_cannot_give() -> None:
    assert is_specific("eyJkcml2ZXJzQWdlIjozMH0=")
    assert is_specific(32.873055)
    assert is_specific(684697826)
    assert not is_specific(4)
    assert not is_specific("city")


def test_argument_differences_allow_defaults_and_ignore_order() -> None:
    expected = {"a": 1, "b": "x", "driver_age": 30}
    assert argument_differences(expected, {"b": "X", "a": "1"}, {"driver_age": 30}) == []
    assert argument_differences({"a": 1}, {"a": 1, "driver_age": 30}, {"driver_age": 30}) == []
    assert argument_differences({"a": 1}, {"a": 1, "extra": None}) == []
    problems = argument_differences({"a": 1}, {"a": 1, "driver_age": 25}, {"driver_age": 30})
    assert problems == ["driver_age: not expected (got 25)"]
    assert argument_differences(expected, {"a": 1, "b": "x"}) == [
        "driver_age: missing (expected 30)"
    ]


def test_reference_call_with_resolved_values_matches() -> None:
    matcher = Matcher(car_task(), DEFAULTS)
    assert matcher.expected["var2"]["pick_up_latitude"] == LATITUDE
    assert matcher.match("Search_Car_Location", {"query": "hotel alpha"}).label == "var1"
    reordered = dict(reversed(list(RENTAL.items())))
    reordered["pick_up_latitude"] = str(LATITUDE)
    del reordered["driver_age"]
    found = matcher.match("Search_Car_Rentals", reordered)
    assert found.matched and found.label == "var2"
    assert matcher.match("Vehicle_Details", DETAILS).label == "var3"
    assert matcher.complete and matcher.remaining == []


def test_unmatched_call_says_what_differs() -> None:
    matcher = Matcher(car_task(), DEFAULTS)
    wrong = dict(RENTAL, pick_up_date="2024-10-15")
    found = matcher.match("Search_Car_Rentals", wrong)
    assert found.status == "unmatched" and found.label is None
    assert "closest is var2" in found.reason and "pick_up_date" in found.reason
    annex = dict(RENTAL, pick_up_latitude=33.1, pick_up_longitude=-117.3)
    assert matcher.match("Search_Car_Rentals", annex).status == "unmatched"
    unknown = matcher.match("Search_Hotels", {"dest_id": 1})
    assert unknown.status == "unmatched" and "no reference call of Search_Hotels" in unknown.reason
    assert matcher.matched == []


def test_reference_call_counts_once() -> None:
    matcher = Matcher(car_task(), DEFAULTS)
    assert matcher.match("Search_Car_Location", {"query": "Hotel Alpha"}).matched
    again = matcher.match("Search_Car_Location", {"query": "HOTEL ALPHA"})
    assert again.status == "already_matched" and again.label == "var1"
    assert matcher.matched == ["var1"]


def test_dependencies_gate_matches_but_lookups_are_optional() -> None:
    matcher = Matcher(car_task(), DEFAULTS)
    blocked = matcher.match("Vehicle_Details", DETAILS)
    assert blocked.status == "blocked" and "needs the results of var2" in blocked.reason
    assert matcher.match("Search_Car_Rentals", RENTAL).matched  # var1 is a look-up
    assert matcher.match("Vehicle_Details", DETAILS).matched
    unordered = Matcher(car_task(), DEFAULTS, ordered=False)
    assert unordered.match("Vehicle_Details", DETAILS).matched


def test_values_not_specific_to_a_result_make_no_dependency() -> None:
    task = Task(
        id=7,
        query="Four of us need a room and a car.",
        calls=(
            ReferenceCall(
                "var1", "Search_Car_Rentals", {"pick_up_date": "2024-11-20"}, {"count": 4}
            ),
            ReferenceCall("var2", "Search_Hotels", {"adults": "$var1.count$"}, {"hotels": []}),
        ),
    )
    matcher = Matcher(task)
    assert matcher.requires["var2"] == frozenset()
    assert matcher.match("Search_Hotels", {"adults": 4}).matched


def test_unresolvable_reference_cannot_match() -> None:
    task = Task(
        id=8,
        query="q",
        calls=(
            ReferenceCall("var1", "Search_Car_Location", {"query": "x"}, []),
            ReferenceCall("var2", "Vehicle_Details", {"vehicle_id": "$var1.id$"}, {}),
        ),
    )
    matcher = Matcher(task)
    assert "var2" in matcher.unresolved
    found = matcher.match("Vehicle_Details", {"vehicle_id": "$var1.id$"})
    assert found.status == "unmatched" and "cannot be resolved" in found.reason
