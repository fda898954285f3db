"""The Rich views of single events, rendered to plain text."""

from __future__ import annotations

from rich.console import Console

from umi_cli.agent.events import Observation
from umi_cli.ui.views import ObservationView


def render(renderable) -> str:
    console = Console(width=100, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_a_reused_observation_is_shown_as_reused_not_as_a_failure() -> None:
    text = render(ObservationView(Observation(3, "search", True, None, '{"a": 1}', 0, 0.0, 1)))
    assert "↺ reused from step 1 · repeated call, not sent again" in text
    assert "no response" not in text and "✗" not in text


def test_a_failed_call_shows_its_status() -> None:
    text = render(ObservationView(Observation(2, "search", False, 503, "{}", 12, 0.2)))
    assert "✗ HTTP 503 · 12 B · 200 ms" in text
