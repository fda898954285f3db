"""Reference values: ``$varN.path$`` placeholders resolved, and values compared after normalising.

A placeholder names an earlier reference call's result and a path into its recorded response:
``$var1.coordinates.latitude$``, ``$var3.search_context.searchKey$`` (``[N]`` indexes are read
too). Where a path meets a list it reads the list's first element, as NESTFUL's data does (the
location look-ups answer a list of candidates and the reference uses the first).

Normalising makes equal what an API treats as equal: ``"5"``, ``5`` and ``5.0``; case and
surrounding or repeated whitespace of text; ``8:00`` and ``08:00``; ``True`` and ``"true"``;
dict key order. Free-text search terms (``query``) also ignore punctuation and spaces, and
``categories_filter`` is a comma-separated set (as ComplexEval compares it).
"""

from __future__ import annotations

import ast
import json
import math
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

#: A whole placeholder, or one inside a longer text.
PLACEHOLDER = re.compile(r"\$(var\d+)((?:\.[^.$\[\]]+|\[\d+\])*)\$")
_STEP = re.compile(r"\.([^.$\[\]]+)|\[(\d+)\]")
_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")
_TIME = re.compile(r"^(\d):(\d\d)$")
_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")

#: Parameters whose text is a free-text search term (ComplexEval would ask its LLM judge).
LOOSE_TEXT_PARAMETERS = frozenset({"query"})
#: Parameters holding a comma-separated set.
SET_PARAMETERS = frozenset({"categories_filter"})
#: Relative tolerance for non-integers (data rounds 36.0828018188477 as 36.08280181884771).
REL_TOLERANCE = 1e-12


class UnresolvedPlaceholder(LookupError):
    """A placeholder names no earlier result, or its path is not in the recorded response."""


def placeholders(value: Any) -> list[tuple[str, str]]:
    """The ``(label, path)`` of every placeholder in ``value``, at any depth, in order."""
    if isinstance(value, str):
        return [(found.group(1), found.group(2)) for found in PLACEHOLDER.finditer(value)]
    if isinstance(value, list | tuple):
        return [found for item in value for found in placeholders(item)]
    if isinstance(value, dict):
        return placeholders(list(value.values()))
    return []


def references(value: Any) -> set[str]:
    """The labels (``var1``...) that placeholders in ``value`` name, at any depth."""
    return {label for label, _ in placeholders(value)}


def is_specific(value: Any) -> bool:
    """Whether a value is specific to the result it came from (text of 6+ characters, a
    non-integer, a number of 6+ digits), not one a request could give (a count, a short word)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) >= 100_000
    if isinstance(value, float):
        return not value.is_integer() or abs(value) >= 100_000
    if isinstance(value, str):
        return len(value.strip()) >= 6
    return True


def read_path(response: Any, path: str) -> Any:
    """The value at ``path`` (``.a.b``, ``[0]``) in ``response``; lists give their first item
    where a key is asked for."""
    value = response
    for found in _STEP.finditer(path):
        key, index = found.group(1), found.group(2)
        if index is not None:
            if not isinstance(value, list) or int(index) >= len(value):
                raise UnresolvedPlaceholder(f"no item [{index}]")
            value = value[int(index)]
            continue
        while isinstance(value, list):
            if not value:
                raise UnresolvedPlaceholder(f"an empty list where {key!r} was expected")
            value = value[0]
        if not isinstance(value, dict) or key not in value:
            raise UnresolvedPlaceholder(f"no key {key!r}")
        value = value[key]
    return value


def lookup(label: str, path: str, results: Mapping[str, Any]) -> Any:
    """The value placeholder ``$<label><path>$`` stands for, given ``label -> response``."""
    if label not in results:
        raise UnresolvedPlaceholder(f"${label}{path}$: no result {label}")
    try:
        return read_path(results[label], path)
    except UnresolvedPlaceholder as error:
        raise UnresolvedPlaceholder(f"${label}{path}$: {error}") from None


def resolve(value: Any, results: Mapping[str, Any]) -> Any:
    """``value`` with its placeholders replaced by the results they name (``label -> response``).

    A whole-string placeholder takes the result's own type; one inside a text is written in."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return lookup(whole.group(1), whole.group(2), results)
        return PLACEHOLDER.sub(
            lambda found: _text(lookup(found.group(1), found.group(2), results)), value
        )
    if isinstance(value, list):
        return [resolve(item, results) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, results) for key, item in value.items()}
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _parsed(text: str) -> Any:
    """A JSON or Python literal list/dict written as text, or None."""
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(value, list | dict):
            return value
    return None


def normalise(value: Any, parameter: str | None = None) -> Any:
    """A hashable canonical form: numbers as :class:`Decimal`, booleans and text as folded
    strings, lists as tuples, dicts as sorted item tuples, sets as frozensets."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _decimal(value)
    if isinstance(value, str):
        return _normalise_text(value, parameter)
    if isinstance(value, list | tuple):
        return tuple(normalise(item, parameter) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((str(key), normalise(item, str(key))) for key, item in value.items()))
    return repr(value)


def _decimal(value: int | float | str) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return str(value)


def _normalise_text(value: str, parameter: str | None) -> Any:
    text = unicodedata.normalize("NFKC", value).strip()
    if _NUMBER.match(text):
        return _decimal(text)
    if text[:1] in ("[", "{"):
        parsed = _parsed(text)
        if parsed is not None:
            return normalise(parsed, parameter)
    if parameter in SET_PARAMETERS:
        return frozenset(_fold(item) for item in text.split(",") if item.strip())
    if parameter in LOOSE_TEXT_PARAMETERS:
        return _NOT_WORD.sub("", text).casefold()
    time = _TIME.match(text)
    if time:
        return f"0{time.group(1)}:{time.group(2)}"
    return _fold(text)


def _fold(text: str) -> str:
    return _SPACES.sub(" ", text.strip()).casefold()


def equal(left: Any, right: Any) -> bool:
    """Whether two normalised values are equal; non-integers within :data:`REL_TOLERANCE`."""
    if isinstance(left, Decimal) and isinstance(right, Decimal):
        if left == right:
            return True
        if left == left.to_integral_value() and right == right.to_integral_value():
            return False
        return math.isclose(float(left), float(right), rel_tol=REL_TOLERANCE, abs_tol=0.0)
    if isinstance(left, tuple) and isinstance(right, tuple):
        if len(left) != len(right):
            return False
        return all(equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, Decimal | tuple) or isinstance(right, Decimal | tuple):
        return False
    return bool(left == right)


def same_value(expected: Any, actual: Any, parameter: str | None = None) -> bool:
    """Whether an argument value equals the expected one once both are normalised."""
    return equal(normalise(expected, parameter), normalise(actual, parameter))
