"""Tiny role-model preferences, a test tool spec and catalog entries shared by the agent tests."""

from __future__ import annotations

#: Character preferences that make the tiny models' constrained choices deterministic.
PLANNER_CALLS = {"a": 8.0, "c": 5.0}  # thought "aaa…", then "caller." ('c' then 'a')
PLANNER_GIVES_UP = {"g": 8.0}  # thought "ggg…", then "give up."
CALLER_CURRENT = {"c": 8.0}  # "current_for_weather"
CALLER_DOWN = {"d": 8.0}  # "down_for_weather"
SUMMARIZER = {"z": 8.0}  # the answer "zzz…"

WEATHER_SPEC = """\
name: weather
description: Weather readings for a few cities.
base_url: http://127.0.0.1:9
timeout: 10
retries: 0
apis:
  - name: current
    method: GET
    path: /weather/current
    description: The current weather in a city (temperature in Celsius and the sky).
    parameters:
      - name: city
        in: query
        required: true
        schema: {type: string, enum: [paris, tokyo, oslo]}
        description: The city, lowercase
  - name: down
    method: GET
    path: /weather/down
    description: The weather from the backup station.
    parameters:
      - name: city
        in: query
        required: true
        schema: {type: string, enum: [paris, tokyo, oslo]}
        description: The city, lowercase
"""



class TracedAgent:
    """An agent built by the composition root, with a trace recorder fed by its events (as
    ``umi run --trace`` and ``chat /trace`` consume them)."""

    def __init__(self, agent) -> None:
        from umi_cli.agent.trace import TraceRecorder

        self.agent = agent
        self.recorder = TraceRecorder(agent.toolbox.documents(), agent.options.to_dict())

    def run(self, task: str):
        for event in self.agent.run(task):
            self.recorder(event)
            yield event

    def last_trace(self) -> dict:
        return self.recorder.trace()

    def reset(self) -> None:
        self.agent.reset()
        self.recorder.reset()

    def __getattr__(self, name: str):
        return getattr(self.agent, name)


def open_test_agent(profile: str, tools: list[str], *, base_urls=None, **options) -> TracedAgent:
    """``compose.open_agent`` on a fresh pool, for the tests."""
    from umi_cli.agent.options import RunOptions
    from umi_cli.compose import open_agent
    from umi_cli.engine import BackendPool

    run_options = RunOptions(
        profile=profile, tools=tuple(tools), base_urls=dict(base_urls or {}), **options
    )
    return TracedAgent(open_agent(run_options, BackendPool()))
