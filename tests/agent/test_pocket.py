"""The real pocket model (Qwen2.5-Coder-0.5B, chat format) through the whole loop on loopback."""

from __future__ import annotations

import pytest
from agent_models import open_test_agent
from support.catalogs import catalog_entry

from umi_cli.agent.events import ToolCall


@pytest.mark.slow
@pytest.mark.pocket
def test_pocket_model_calls_the_weather_api_and_answers(
    pocket_gguf, umi_home, weather_spec, tool_server
):
    import yaml

    from umi_cli import paths

    entry = catalog_entry(pocket_gguf, "chat", max_tokens=128, context=4096)
    roles = {role: "pocket-test" for role in ("planner", "caller", "summarizer")}
    catalog = {"models": {"pocket-test": entry}, "profiles": {"pocket-test": {"roles": roles}}}
    paths.user_catalog_file().parent.mkdir(parents=True, exist_ok=True)
    paths.user_catalog_file().write_text(yaml.safe_dump(catalog), encoding="utf-8")

    agent = open_test_agent(
        "pocket-test",
        [str(weather_spec)],
        base_urls={"weather": tool_server.base_url},
        max_steps=1,
        seed=0,
    )
    events = list(agent.run("What is the weather in Tokyo right now?"))

    finished = events[-1]
    checks = [event for event in events if event.name in ("answer_check", "observation")]
    assert finished.outcome == "answered", (finished, checks)
    calls = [event for event in events if isinstance(event, ToolCall)]
    assert calls and calls[0].api == "current_for_weather"
    first = tool_server.requests[0]
    assert (first.path, first.query) == ("/weather/current", {"city": ["tokyo"]})
    assert finished.answer and finished.answer.strip()
    assert any(fact in finished.answer for fact in ("24", "sunny")), finished.answer


@pytest.mark.slow
@pytest.mark.pocket
def test_pocket_model_uses_an_mcp_server_as_its_toolset(pocket_gguf, umi_home, tmp_path):
    """The same loop over an MCP toolset: a stdio server built with the SDK."""
    pytest.importorskip("mcp")
    import yaml
    from support.mcp_server import server_source

    from umi_cli import paths

    entry = catalog_entry(pocket_gguf, "chat", max_tokens=128, context=4096)
    roles = {role: "pocket-test" for role in ("planner", "caller", "summarizer")}
    catalog = {"models": {"pocket-test": entry}, "profiles": {"pocket-test": {"roles": roles}}}
    paths.user_catalog_file().parent.mkdir(parents=True, exist_ok=True)
    paths.user_catalog_file().write_text(yaml.safe_dump(catalog), encoding="utf-8")
    source = tmp_path / "weather.yaml"
    data = server_source("weather", include=["weather"])
    source.write_text(yaml.safe_dump(data), encoding="utf-8")

    agent = open_test_agent("pocket-test", [str(source)], max_steps=1, seed=0)
    try:
        events = list(agent.run("What is the weather in Tokyo right now?"))
    finally:
        agent.close()
    finished = events[-1]
    calls = [event for event in events if isinstance(event, ToolCall)]
    assert calls and calls[0].api == "weather_for_weather"
    assert calls[0].arguments["city"].lower() == "tokyo"
    assert finished.outcome == "answered", finished
    assert any(fact in finished.answer for fact in ("21.5", "clear")), finished.answer
