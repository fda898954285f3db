"""The replay toolset: recorded responses for right calls, ComplexEval's texts for the rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from umi_cli.eval.complexfuncbench.complexeval import GENERAL_ERROR
from umi_cli.eval.complexfuncbench.data import parse_functions, parse_tasks
from umi_cli.eval.complexfuncbench.replay import ReplayToolset
from umi_cli.eval.complexfuncbench.tools import tool_defs
from umi_cli.tools.toolset import Toolset

FIXTURE = Path(__file__).with_name("complexfuncbench_fixture.json")
UNMATCHED_TEXT = (
    '{"api_status": true, "content": "There is a problem with your api call, '
    'please double-check for possible problems."}'
)
RENTAL = {
    "pick_up_latitude": 32.873055,
    "pick_up_longitude": -117.215935,
    "pick_up_date": "2024-10-14",
    "pick_up_time": "08:00",
    "drop_off_date": "2024-10-15",
}


def replay(task_index: int = 0) -> ReplayToolset:
    raw = json.loads(FIXTURE.read_text(encoding="utf-8"))
    task = parse_tasks(raw["data"])[task_index]
    return ReplayToolset(task, tool_defs(parse_functions(raw["spec"])))


def error_text(result_text: str) -> str:
    payload: dict[str, Any] = json.loads(result_text)
    return str(payload["error"])


def test_is_a_toolset_offering_the_functions() -> None:
    toolset = replay()
    assert isinstance(toolset, Toolset)
    assert toolset.name == "complexfuncbench"
    assert [tool.name for tool in toolset.tools()] == [
        "Search_Car_Location",
        "Search_Car_Rentals",
        "Vehicle_Details",
        "Get_Hotel_Reviews_Tips",
    ]
    toolset.close()


def test_right_call_gets_the_recorded_response() -> None:
    toolset = replay()
    result = toolset.call("Search_Car_Location", {"query": "Hotel Alpha"})
    assert result.ok and result.failure is None and result.status == 200
    assert json.loads(result.text) == toolset.task.call("var1").response
    assert result.size == len(result.text.encode("utf-8"))
    assert result.detail == {"task": 0, "outcome": "match", "label": "var1"}
    rental = toolset.call("Search_Car_Rentals", json.dumps(RENTAL))
    assert rental.ok and json.loads(rental.text)["count"] == 1
    assert [record.outcome for record in toolset.records] == ["match", "match"]
    assert toolset.records[1].arguments == RENTAL


def test_non_ascii_is_kept_in_the_observation() -> None:
    toolset = replay(1)
    result = toolset.call("Get_Hotel_Reviews_Tips", {"hotel_id": "12345"})
    assert result.ok and "café" in result.text
    assert toolset.call("Get_Hotel_Reviews(Tips)", {"hotel_id": 12345}).detail["outcome"] == (
        "repeat"
    )


def test_wrong_call_gets_the_general_error() -> None:
    toolset = replay()
    result = toolset.call("Search_Car_Location", {"query": "Hotel Beta"})
    assert not result.ok and result.failure == "arguments" and result.status is None
    assert result.text == UNMATCHED_TEXT
    assert json.loads(result.text)["content"] == GENERAL_ERROR
    record = toolset.records[-1]
    assert record.outcome == "miss" and record.label is None
    assert "closest is var1" in record.reason


def test_call_needing_an_unmade_call_gets_the_general_error() -> None:
    toolset = replay()
    details = {"vehicle_id": "684697826", "search_key": "eyJkcml2ZXJzQWdlIjozMH0="}
    assert toolset.call("Vehicle_Details", details).text == UNMATCHED_TEXT
    assert toolset.call("Search_Car_Rentals", RENTAL).ok
    assert toolset.call("Vehicle_Details", dict(details, vehicle_id=684697826)).ok


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        (
            "Search_Hotels",
            {"dest_id": 1},
            "Function Search_Hotels is not defined in the function list.",
        ),
        (
            "Vehicle_Details",
            {"vehicle_id": "684697826"},
            "Function Vehicle_Details requires parameters ['vehicle_id', 'search_key'], "
            "but ['vehicle_id'] do not provide {'search_key'}",
        ),
        (
            "Search_Car_Location",
            {"query": "Hotel Alpha", "city": "San Diego", "a": 1},
            "Function Search_Car_Location does not have parameters {'a', 'city'}",
        ),
        (
            "Search_Car_Rentals",
            dict(RENTAL, pick_up_latitude="north"),
            "Parameter pick_up_latitude of function Search_Car_Rentals should be a number, "
            "but <class 'str'> is provided.",
        ),
        (
            "Search_Car_Location",
            {"query": ["Hotel Alpha"]},
            "Parameter query of function Search_Car_Location should be a string, "
            "but <class 'list'> is provided.",
        ),
        (
            "Search_Car_Location",
            "not json",
            "Function Search_Car_Location arguments are not a JSON object.",
        ),
        (
            "Search_Car_Location",
            "[1, 2]",
            "Function Search_Car_Location arguments are not a JSON object.",
        ),
    ],
)
def test_ill_formed_call_gets_the_specific_error(name: str, arguments: Any, message: str) -> None:
    toolset = replay()
    result = toolset.call(name, arguments)
    assert not result.ok and result.failure == "arguments"
    assert error_text(result.text) == message
    assert toolset.records[-1].outcome == "invalid"
    assert toolset.matcher.matched == []


def test_repeated_call_gets_the_same_answer() -> None:
    toolset = replay()
    first = toolset.call("Search_Car_Location", {"query": "Hotel Alpha"})
    again = toolset.call("Search_Car_Location", {"query": " hotel alpha "})
    assert again.ok and again.text == first.text
    assert again.detail["outcome"] == "repeat" and again.detail["label"] == "var1"
    wrong = toolset.call("Search_Car_Location", {"query": "Nowhere"})
    assert toolset.call("Search_Car_Location", {"query": "Nowhere"}).text == wrong.text
    assert [record.outcome for record in toolset.records] == ["match", "repeat", "miss", "repeat"]
    with_default = toolset.call("Search_Car_Rentals", RENTAL)
    assert with_default.detail["outcome"] == "match"
    assert toolset.call("Search_Car_Rentals", dict(RENTAL, driver_age=30)).detail["outcome"] == (
        "repeat"
    )


@pytest.mark.parametrize("arguments", [None, "", {}, 42, [1], {"query": None}])
def test_odd_arguments_never_raise(arguments: Any) -> None:
    result = replay().call("Search_Car_Location", arguments)
    assert not result.ok and result.failure == "arguments"


def test_unreadable_arguments_never_raise() -> None:
    nested: list[Any] = []
    for _ in range(5000):
        nested = [nested]
    toolset = replay()
    result = toolset.call("Search_Car_Location", {"query": nested})
    assert not result.ok and result.failure == "arguments"
    assert toolset.records[-1].outcome == "invalid"
