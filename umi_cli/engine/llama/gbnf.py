"""A syntax checker for GBNF, llama.cpp's grammar language, that explains what is wrong.

It follows llama.cpp's own parser (``llama-grammar.cpp``): rules ``name ::= alternatives``,
literals ``"..."``, character classes ``[...]``, ``.``, groups, rule references, token references
``<...>``, repetition ``* + ? {m} {m,} {m,n}`` and ``#`` comments. It reports the first problem
with its line number, plus undefined rules and a missing ``root``; llama.cpp stays the final judge.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z0-9-]+")
_ESCAPES = {"x": 2, "u": 4, "U": 8}
_SIMPLE_ESCAPES = set('nrt\\"[]')


class GbnfSyntaxError(ValueError):
    """The grammar text is not valid GBNF; the message says where and why."""


class _Checker:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.defined: list[str] = []
        self.referenced: dict[str, int] = {}

    def fail(self, why: str) -> GbnfSyntaxError:
        line = self.text.count("\n", 0, self.pos) + 1
        return GbnfSyntaxError(f"line {line}: {why}")

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def skip_space(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "#":
                while self.pos < len(self.text) and self.text[self.pos] not in "\r\n":
                    self.pos += 1
            elif c in " \t" or (newlines and c in "\r\n"):
                self.pos += 1
            else:
                return

    def word(self) -> str:
        m = _WORD.match(self.text, self.pos)
        if not m:
            raise self.fail(f"expected a rule name at {self.peek(12)!r}")
        self.pos = m.end()
        if self.peek() == "_":
            raise self.fail(f"rule names use letters, digits and '-' only: {m.group()}_...")
        return m.group()

    def check(self) -> None:
        self.skip_space(newlines=True)
        if self.pos >= len(self.text):
            raise GbnfSyntaxError("the grammar is empty")
        while self.pos < len(self.text):
            self.rule()
            self.skip_space(newlines=True)
        for name, pos in self.referenced.items():
            if name not in self.defined:
                self.pos = pos
                raise self.fail(f"rule {name!r} is used but never defined")
        if "root" not in self.defined:
            raise GbnfSyntaxError("the grammar has no 'root' rule")

    def rule(self) -> None:
        name = self.word()
        self.skip_space(newlines=False)
        if self.peek(3) != "::=":
            raise self.fail(f"expected '::=' after rule name {name!r}")
        self.pos += 3
        self.defined.append(name)
        self.skip_space(newlines=True)
        self.alternates(nested=False)
        if self.pos < len(self.text) and self.peek() not in "\r\n":
            raise self.fail(f"unexpected {self.peek(12)!r} after rule {name!r}")

    def alternates(self, nested: bool) -> None:
        self.sequence(nested)
        while self.peek() == "|":
            self.pos += 1
            self.skip_space(newlines=True)
            self.sequence(nested)

    def sequence(self, nested: bool) -> None:
        self.skip_space(newlines=nested)
        while self.pos < len(self.text):
            c = self.peek()
            if c in "|)" or c in "\r\n":
                return
            self.element(nested)
            self.repetition()
            self.skip_space(newlines=nested)

    def element(self, nested: bool) -> None:
        c = self.peek()
        if c == '"':
            self.pos += 1
            self.literal_body('"')
        elif c == "[":
            self.pos += 1
            if self.peek() == "^":
                self.pos += 1
            self.class_body()
        elif c == "(":
            self.pos += 1
            self.skip_space(newlines=True)
            self.alternates(nested=True)
            if self.peek() != ")":
                raise self.fail("expected ')' to close a group")
            self.pos += 1
        elif c == ".":
            self.pos += 1
        elif c == "<":
            end = self.text.find(">", self.pos)
            if end < 0:
                raise self.fail("unterminated token reference '<...>'")
            self.pos = end + 1
        elif _WORD.match(c):
            start = self.pos
            name = self.word()
            self.referenced.setdefault(name, start)
        else:
            raise self.fail(f"unexpected {self.peek(12)!r}")

    def repetition(self) -> None:
        c = self.peek()
        if c in "*+?":
            self.pos += 1
        elif c == "{":
            m = re.compile(r"\{\s*(\d+)\s*(,\s*(\d*)\s*)?\}").match(self.text, self.pos)
            if not m:
                raise self.fail(f"bad repetition {self.peek(12)!r}; use {{m}}, {{m,}} or {{m,n}}")
            low, high = int(m.group(1)), m.group(3)
            if high and int(high) < low:
                raise self.fail(f"repetition {m.group()} has its maximum below its minimum")
            self.pos = m.end()

    def escape(self) -> None:
        self.pos += 1  # the backslash
        c = self.peek()
        if c in _ESCAPES:
            digits = self.text[self.pos + 1 : self.pos + 1 + _ESCAPES[c]]
            if not re.fullmatch(r"[0-9A-Fa-f]+", digits or "-") or len(digits) != _ESCAPES[c]:
                raise self.fail(f"bad escape '\\{c}{digits}'")
            self.pos += 1 + _ESCAPES[c]
        elif c in _SIMPLE_ESCAPES:
            self.pos += 1
        else:
            raise self.fail(f"unknown escape '\\{c}'")

    def literal_body(self, close: str) -> None:
        while True:
            c = self.peek()
            if not c or c in "\r\n":
                raise self.fail("unterminated string literal")
            if c == "\\":
                self.escape()
            elif c == close:
                self.pos += 1
                return
            else:
                self.pos += 1

    def class_body(self) -> None:
        while True:
            c = self.peek()
            if not c:
                raise self.fail("unterminated character class '[...]'")
            if c == "]":
                self.pos += 1
                return
            self.class_char()
            if self.peek() == "-" and self.text[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                self.class_char()

    def class_char(self) -> None:
        if self.peek() == "\\":
            self.escape()
        elif not self.peek():
            raise self.fail("unterminated character class '[...]'")
        else:
            self.pos += 1


def check_gbnf_syntax(text: str) -> None:
    """Raise :class:`GbnfSyntaxError` naming the first problem in ``text``."""
    _Checker(text).check()
