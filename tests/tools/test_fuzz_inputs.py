"""A few hundred malformed inputs for every loader umi has: one clean line (or a clean
observation) each, in bounded time (20 s) and memory (200 MB); never a traceback.

The inputs are seeded mutations of valid files plus known-hostile shapes (support/fuzz.py).
"""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from support.fuzz import cases

from umi_cli.agent.chat_prompts import compact_observation
from umi_cli.agent.events import Observation
from umi_cli.cli.batch_files import read_results, read_tasks
from umi_cli.errors import UmiError
from umi_cli.models.catalog import read_catalog_file
from umi_cli.tools import Toolbox
from umi_cli.tools.http.openapi import import_openapi
from umi_cli.tools.http.validate import load_spec, validate_file
from umi_cli.ui.views import ObservationView, observation_excerpt

MUTANTS = 60  # per loader, besides the hostile shapes
SECONDS = 20.0  # a hostile input that is not bounded takes minutes; a loaded CI box, seconds
PEAK_BYTES = 200_000_000
ROOT = Path(__file__).resolve().parents[2]

VALID_SPEC = (ROOT / "tool_specs" / "deezer.yaml").read_bytes()
VALID_CATALOG = b"""\
models:
  m:
    description: a model
    sources: [{path: /tmp/m.gguf}]
    sha256: null
    size: null
    format: chat
    context_length: 2048
    defaults: {temperature: 0.5, top_p: 1.0, max_tokens: 64}
profiles:
  p: {roles: {planner: m, caller: m, summarizer: m}}
"""
OPENAPI_FILE = Path(__file__).parent / "openapi" / "animals-by-api-ninjas.openapi.json"
VALID_OPENAPI = OPENAPI_FILE.read_bytes()
VALID_TASKS = b'{"id": "a", "query": "find x"}\n{"id": 2, "query": "y", "tools": ["deezer"]}\n'
VALID_RESULTS = (
    json.dumps({"id": "a", "outcome": "answered", "answer": "x", "steps": 1, "calls": 1,
                "tokens": 3, "prompt_tokens": 9, "seconds": 0.1, "error": None}) + "\n"
).encode()  # fmt: skip
VALID_OBSERVATION = json.dumps(
    {"data": [{"id": 27, "name": "Daft Punk", "nb_album": 5, "nested": '{"a": [1, 2]}'}]}
).encode()


def bounded(check: Callable[[], None]) -> None:
    tracemalloc.reset_peak()
    started = time.perf_counter()
    check()
    took = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    assert took < SECONDS, f"{took:.1f} s"
    assert peak < PEAK_BYTES, f"{peak / 1e6:.0f} MB"


def one_line(error: BaseException) -> None:
    text = str(error)
    assert text and "\n" not in text, repr(text)


@pytest.fixture(autouse=True)
def traced():
    tracemalloc.start()
    yield
    tracemalloc.stop()


def each_case(valid: bytes, seed: int, tmp_path: Path, suffix: str):
    for index, data in enumerate(cases(valid, MUTANTS, seed)):
        path = tmp_path / f"case{index}{suffix}"
        path.write_bytes(data)
        yield index, path


def test_spec_loader(tmp_path: Path) -> None:
    for index, path in each_case(VALID_SPEC, 1, tmp_path, ".yaml"):

        def check(path: Path = path) -> None:
            for problem in validate_file(path):
                assert "\n" not in str(problem)
            try:
                spec = load_spec(path)
            except UmiError as exc:
                one_line(exc)
                return
            box = Toolbox.from_specs([spec])  # documents and grammars of what passed validation
            box.documents()
            if box.names():
                box.caller_grammar()

        try:
            bounded(check)
        except UmiError as exc:  # e.g. two APIs with one name
            one_line(exc)
        except AssertionError as exc:
            raise AssertionError(f"case {index}: {exc}") from None


def test_catalog_loader(tmp_path: Path) -> None:
    for index, path in each_case(VALID_CATALOG, 2, tmp_path, ".yaml"):

        def check(path: Path = path) -> None:
            try:
                read_catalog_file(path)
            except UmiError as exc:
                one_line(exc)

        bounded(check), index


def test_openapi_importer(tmp_path: Path) -> None:
    for suffix, valid in ((".json", VALID_OPENAPI), (".yaml", VALID_OPENAPI)):
        for _index, path in each_case(valid, 3, tmp_path, suffix):

            def check(path: Path = path) -> None:
                try:
                    result = import_openapi(path)
                except UmiError as exc:
                    one_line(exc)
                    return
                for problem in validate_file(tmp_path / "out.yaml", text=result.to_yaml()):
                    assert "\n" not in str(problem)

            bounded(check)


def test_batch_files(tmp_path: Path) -> None:
    for valid, seed in ((VALID_TASKS, 4), (VALID_RESULTS, 5)):
        for _index, path in each_case(valid, seed, tmp_path, ".jsonl"):

            def check(path: Path = path) -> None:
                try:
                    read_tasks(path)
                except UmiError as exc:
                    one_line(exc)
                before = path.read_bytes()
                try:
                    read_results(path)
                except UmiError as exc:
                    one_line(exc)
                    assert path.read_bytes() == before  # a refused file is never touched

            bounded(check)


def test_observation_renderers() -> None:
    console = Console(width=100, file=open("/dev/null", "w"), color_system=None)  # noqa: SIM115
    for data in cases(VALID_OBSERVATION, MUTANTS * 2, 6):
        text = data.decode("utf-8", errors="replace")

        def check(text: str = text) -> None:
            assert isinstance(compact_observation(text), str)
            assert isinstance(observation_excerpt(text)[0], str)
            console.print(ObservationView(Observation(1, "api", True, 200, text, len(text), 0.1)))

        bounded(check)
    console.file.close()
