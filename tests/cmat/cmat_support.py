"""Tiny role models, specs and helpers of the CMAT tests (``from cmat_support import ...``)."""

from __future__ import annotations

import json
from pathlib import Path

from support.catalogs import catalog_entry

#: Thoughts "aaa…", then "caller."; as the checker (its fallback model) it writes "accept".
ACCEPTING = {"a": 8.0, "c": 5.0}
#: Thoughts "rrr…", then "caller." ('c' then 'a'); as the checker it writes "reject: rrr…".
REJECTING = {"r": 9.0, "c": 5.0, "a": 4.0}
#: The caller picks ``current_for_weather`` (and closes its strings at once).
CALLER = {"c": 8.0}
#: The summarizer's answer "zzz…".
SUMMARIZER = {"z": 8.0}

WEATHER_SPEC = """\
name: weather
description: Weather readings for a few cities.
base_url: http://127.0.0.1:9
timeout: 10
retries: 0
apis:
  - name: current
    method: GET
    path: {path}
    description: The current weather in a city (temperature in Celsius and the sky).
    parameters:
      - name: city
        in: query
        required: true
        schema: {{type: string, enum: [{cities}]}}
        description: The city, lowercase
"""

#: The same API, behind an API key read from ``UMI_TEST_CANARY``.
KEYED_SPEC = WEATHER_SPEC + "auth: {{type: api_key, in: header, name: X-Api-Key, env: {env}}}\n"


def weather_spec(
    folder: Path,
    *,
    path: str = "/weather/current",
    cities: str = "paris, tokyo, oslo",
    key_env: str | None = None,
    name: str = "weather.yaml",
) -> Path:
    """A one-API weather spec (``path`` may point at a failing route)."""
    template = KEYED_SPEC if key_env else WEATHER_SPEC
    text = template.format(path=path, cities=cities, env=key_env)
    spec = folder / name
    spec.write_text(text, encoding="utf-8")
    return spec


def model_entry(path: Path, prompt_format: str, max_tokens: int) -> dict:
    return catalog_entry(path, prompt_format, max_tokens)


def write_catalog(home: Path, models: dict[str, dict], profiles: dict[str, dict]) -> None:
    catalog = home / "config" / "models.yaml"
    catalog.parent.mkdir(parents=True, exist_ok=True)
    catalog.write_text(json.dumps({"models": models, "profiles": profiles}, indent=2))


def json_events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def of(name: str, events: list[dict]) -> list[dict]:
    return [event for event in events if event["event"] == name]
