"""Caller grammars: llama.cpp accepts them and a real model decoding under them only produces
known API names with arguments valid for that API's JSON Schema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import llama_cpp
import pytest
from support.loopback_spec import write_spec
from support.tiny_gguf import write_tiny_gguf
from tools_data import GOLDEN_DIR

from umi_cli.engine import CompletionRequest
from umi_cli.engine.llama import check_grammar, open_file
from umi_cli.tools import Toolbox
from umi_cli.tools.grammar import caller_grammar_for, schema_from_document
from umi_cli.tools.http.arguments import bind_arguments, parse_arguments

CALL = re.compile(r"\AAction: (?P<name>[^\n]+)\nAction Input: (?P<args>.*)\Z", re.S)


def conforms(value: Any, schema: dict[str, Any]) -> bool:
    """A small JSON Schema check: type, enum, items, properties, required, no extra keys."""
    if "enum" in schema and value not in schema["enum"]:
        return False
    kind = schema.get("type")
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if kind in checks and not checks[kind](value):
        return False
    if kind == "array" and isinstance(schema.get("items"), dict):
        return all(conforms(item, schema["items"]) for item in value)
    if kind == "object" and isinstance(schema.get("properties"), dict):
        props = schema["properties"]
        if any(key not in props for key in value):
            return False
        if any(key not in value for key in schema.get("required", [])):
            return False
        return all(conforms(value[key], props[key]) for key in value)
    return True


@pytest.fixture(scope="module")
def loopback_toolbox(tmp_path_factory) -> Toolbox:
    spec = write_spec(tmp_path_factory.mktemp("spec"), "http://127.0.0.1:9")
    return Toolbox.load([str(spec)])


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """The tiny model, nudged to close strings and containers so outputs stay short."""
    path = write_tiny_gguf(
        tmp_path_factory.mktemp("grammar") / "tiny.gguf", prefer={'"': 3, "}": 3, "]": 3}
    )
    return open_file(path, n_ctx=2048)


def _generate(model, grammar: str, seed: int, temperature: float = 1.0) -> str:
    request = CompletionRequest(
        prompt="Action",
        grammar=grammar,
        max_tokens=600,
        temperature=temperature,
        seed=seed,
        slot="grammar-test",
    )
    completion = model.complete(request)
    assert completion.stop_reason == "eos", completion.text
    return completion.text


def test_grammars_of_all_shipped_specs_and_the_test_tool_are_accepted(loopback_toolbox):
    for grammar in (loopback_toolbox.caller_grammar(), Toolbox.load().caller_grammar()):
        check_grammar(grammar)
        assert llama_cpp.LlamaGrammar.from_string(grammar, verbose=False) is not None


def test_grammars_for_raw_golden_documents_are_accepted():
    files = sorted(GOLDEN_DIR.glob("train_*.json"))
    if not files:
        pytest.skip("golden data not available")
    tool_sets = {json.dumps(item["tools"]) for f in files for item in json.loads(f.read_text())}
    for tools in tool_sets:
        documents = json.loads(tools)
        if documents:
            check_grammar(caller_grammar_for(documents))


def test_constrained_output_names_a_known_api_with_schema_valid_arguments(model, loopback_toolbox):
    grammar = loopback_toolbox.caller_grammar()
    names = set()
    for seed in range(16):
        text = _generate(model, grammar, seed)
        match = CALL.match(text)
        assert match, text
        name = match["name"]
        assert name in loopback_toolbox.names()
        arguments = json.loads(match["args"])
        assert conforms(arguments, loopback_toolbox.json_schema(name)), text
        _spec, api = loopback_toolbox.toolsets[0].lookup(name)  # the HTTP toolset
        bind_arguments(api, parse_arguments(match["args"]))  # the executor accepts them
        names.add(name)
    assert len(names) >= 5  # the alternation really spans the APIs


def test_required_keys_enums_and_arrays_are_enforced(model, loopback_toolbox):
    subset = ["current_weather_for_loopback", "add_note_for_loopback", "get_track_for_loopback"]
    grammar = loopback_toolbox.caller_grammar(subset)
    for seed in range(12):
        text = _generate(model, grammar, seed)
        match = CALL.match(text)
        assert match and match["name"] in subset, text
        arguments = json.loads(match["args"])
        schema = loopback_toolbox.json_schema(match["name"])
        assert set(schema["required"]) <= set(arguments), text
        assert conforms(arguments, schema), text
        if "units" in arguments:
            assert arguments["units"] in ("metric", "imperial")
        if "tags" in arguments:
            assert all(isinstance(tag, str) for tag in arguments["tags"])
        if "is_id" in arguments:
            assert isinstance(arguments["is_id"], int)


def test_pretty_printed_whitespace_is_allowed(tmp_path: Path, loopback_toolbox):
    path = write_tiny_gguf(tmp_path / "newlines.gguf", prefer={"\n": 6, '"': 3, "}": 2})
    pretty = open_file(path, n_ctx=2048)
    grammar = loopback_toolbox.caller_grammar(["search_tracks_for_loopback"])
    text = _generate(pretty, grammar, seed=0, temperature=0.0)
    match = CALL.match(text)
    assert match and "\n" in match["args"], text
    assert "q" in json.loads(match["args"])


def test_raw_document_grammar_constrains_names_and_types(model):
    documents = [
        {
            "Name": "get_items_for_kvstore",
            "function": "...",
            "input": {"collection": "string, ", "limit": "integer, max 100", "desc": "boolean, "},
        },
        {"Name": "quizzes_for_moodring", "function": "...", "input": {}},
    ]
    grammar = caller_grammar_for(documents)
    for seed in range(8):
        text = _generate(model, grammar, seed)
        match = CALL.match(text)
        assert match and match["name"] in {d["Name"] for d in documents}, text
        arguments = json.loads(match["args"])
        document = next(d for d in documents if d["Name"] == match["name"])
        assert conforms(arguments, schema_from_document(document)), text
        if match["name"] == "quizzes_for_moodring":
            assert arguments == {}
