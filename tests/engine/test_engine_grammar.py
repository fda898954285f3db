"""Grammar validation happens before llama.cpp's sampler sees the text."""

from __future__ import annotations

import pytest

from umi_cli.engine.llama import GrammarError, check_grammar, json_schema_grammar
from umi_cli.errors import UmiError

VALID = [
    'root ::= "a" | "b"',
    'root ::=\n  "x" ( [a-z0-9_-]+ | "\\"" )* ws\nws ::= [ \\t\\n]*  # comment',
    'root ::= item{2,4} "." item{3} item{1,}\nitem ::= [^\\x00-\\x1F] | "\\u00e9"',
    'root ::= (\n  "a"\n  | "b"\n) .',
]

INVALID = {
    'root ::= "a" foo': "rule 'foo' is used but never defined",
    'root ::= ("a"': "expected ')'",
    'foo ::= "x"': "no 'root' rule",
    'root ::= root "a"': "left recursion",
    'root ::= "a"{2,1}': "maximum below its minimum",
    "": "empty",
    'root ::= "\\q"': "unknown escape",
    'root ::= "open': "unterminated string",
    "root ::= [a-": "unterminated character class",
    'root = "a"': "expected '::='",
    'my_rule ::= "x"\nroot ::= my_rule': "letters, digits and '-'",
    'root ::= "a"\nbad ::= "b" )': "line 2",
}


@pytest.mark.parametrize("grammar", VALID)
def test_valid_grammars_pass(grammar: str) -> None:
    check_grammar(grammar)


@pytest.mark.parametrize(("grammar", "why"), INVALID.items())
def test_invalid_grammars_name_the_problem(grammar: str, why: str, capfd) -> None:
    with pytest.raises(GrammarError) as caught:
        check_grammar(grammar)
    message = str(caught.value)
    assert why in message and "\n" not in message and message.startswith("invalid grammar")
    assert isinstance(caught.value, UmiError)
    assert capfd.readouterr() == ("", "")  # llama.cpp's parser printed nothing


def test_json_schema_becomes_a_valid_grammar() -> None:
    grammar = json_schema_grammar(
        {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    )
    assert "root ::=" in grammar and "string ::=" in grammar
    check_grammar(grammar)


def test_unsupported_json_schema_is_a_grammar_error() -> None:
    with pytest.raises(GrammarError, match="unsupported JSON schema"):
        json_schema_grammar({"type": "no-such-type"})
