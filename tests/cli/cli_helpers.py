"""Constants and helpers of the CLI tests (importable: ``from cli_helpers import ...``)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

#: Greedy choices of the "calling" model: thoughts are '"' runs, the planner's decision starts
#: with 'c' then 'a' (caller), the caller picks the API whose name starts with 'a' and closes
#: strings at once, the summarizer writes '"' until its token budget.
CALLING = {'"': 10.0, "c": 9.0, "a": 8.0}
#: The "quitting" model: its thoughts are 'g' runs and the decision is "give up."
QUITTING = {"g": 10.0}

TOOL = "testapi"

#: Seconds a CLI run may take before the test gives up: a safeguard for a loaded 2-core machine,
#: never a speed assertion.
TIMEOUT = int(os.environ.get("UMI_TEST_TIMEOUT", "900"))

#: Two APIs: `all_weather` (the one the calling model picks first) is down while the server's
#: ``down`` flag is set; `backup_weather` (the server's echo route) always answers.
SPEC = """\
name: testapi
description: Loopback test APIs for the umi CLI tests.
base_url: http://127.0.0.1:9
timeout: 20
retries: 0
apis:
  - name: all_weather
    path: /weather/down
    description: The current weather reading.
    parameters:
      - {name: city, in: query, schema: {type: string}, description: City name}
  - name: backup_weather
    path: /echo/weather
    description: The current weather of a city (backup service).
    parameters:
      - {name: city, in: query, required: true, schema: {type: string}, description: City name}
"""

MUSIC_SPEC = """\
name: testapi
description: Loopback test APIs for the umi CLI tests.
base_url: http://127.0.0.1:9
timeout: 20
retries: 0
apis:
  - name: browse_music
    path: /music/search
    description: Search music tracks by words of their title.
    parameters:
      - {name: q, in: query, required: true, schema: {type: string}, description: Title words}
"""

#: One API that answers after SECONDS (an enum, so the grammar forces the value).
SLOW_SPEC = """\
name: testapi
description: Loopback test APIs for the umi CLI tests.
base_url: http://127.0.0.1:9
timeout: 60
retries: 0
apis:
  - name: a_slow_lookup
    path: /fault/slow
    description: A lookup that takes a while.
    parameters:
      - name: seconds
        in: query
        required: true
        schema: {{type: string, enum: ["{seconds}"]}}
        description: How long to wait
"""


def default_sigint() -> None:
    """``preexec_fn`` for children that get Ctrl-C: a test runner started in the background
    (as by a non-interactive shell) ignores SIGINT, and children inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def tool_args(spec: Path, base_url: str) -> list[str]:
    """``--tools SPEC --base-url testapi=URL``."""
    return ["--tools", str(spec), "--base-url", f"{TOOL}={base_url}"]


def write_spec(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def slow_spec(folder: Path, seconds: float) -> Path:
    """A spec whose only API takes ``seconds`` to answer."""
    return write_spec(folder, f"slow-{seconds}.yaml", SLOW_SPEC.format(seconds=seconds))


def json_events(stdout: str) -> list[dict]:
    """Every stdout line parsed as JSON (fails the test on any other line)."""
    return [json.loads(line) for line in stdout.splitlines()]


def pocket_catalog(home: Path, gguf: Path) -> Path:
    """Point the pocket model's catalog entry at an already verified local file (no copy)."""
    from support.pocket import POCKET_ID

    from umi_cli.models.catalog import read_catalog_file
    from umi_cli.paths import builtin_catalog_file

    entry = read_catalog_file(builtin_catalog_file()).models[POCKET_ID]
    catalog = home / "config" / "models.yaml"
    catalog.parent.mkdir(parents=True, exist_ok=True)
    model = {
        "description": entry.description,
        "sources": [{"path": str(gguf)}],
        "sha256": entry.sha256,
        "size": entry.size,
        "format": entry.prompt_format,
        "context_length": entry.context_length,
        "defaults": {
            "temperature": entry.defaults.temperature,
            "top_p": entry.defaults.top_p,
            "max_tokens": entry.defaults.max_tokens,
        },
    }
    catalog.write_text(json.dumps({"models": {POCKET_ID: model}}, indent=2))
    return catalog
