"""Is an answer grounded? Its facts checked against what the APIs returned, with no judge model.

The facts of an answer are its quoted names, its capitalised spans (``Random Access Memories``),
its numbers and its dates. Each is looked up in the observations and the request after the same
normalisation (case, quotes, spacing; numbers by value whatever their separators; dates in ISO
form too). A fact found in neither is *ungrounded*: the model wrote something no API said.

The check is deliberately literal: a correct paraphrase ("four minutes" for ``240``) counts as
ungrounded, and a number that happens to occur elsewhere in the observations counts as grounded.
It is a metric and a guard, not a judge of truth.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

FactKind = Literal["quoted", "name", "number", "date"]

MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip

#: Capitalised words that start sentences or glue names together, not facts by themselves.
COMMON_WORDS = frozenset(
    (
        "a", "an", "the", "this", "that", "these", "those", "it", "its", "they", "their", "there",
        "here", "i", "i'm", "we", "you", "he", "she", "his", "her", "my", "our", "your", "yes",
        "no", "not", "none", "and", "or", "but", "so", "if", "then", "also", "however", "because",
        "based", "sorry", "unfortunately", "according", "as", "at", "by", "for", "from", "in",
        "into", "of", "on", "to", "with", "without", "about", "after", "before", "between",
        "during", "is", "are", "was", "were", "be", "been", "has", "have", "had", "do", "does",
        "did", "can", "could", "will", "would", "should", "may", "might", "must", "answer", "api",
        "apis", "observation", "observations", "result", "results", "request", "user", "data",
        "information", "note", "total", "here's", "there's", "which", "what", "who", "whom",
        "whose", "when", "where", "why", "how", "all", "some", "any", "each", "both", "either",
        "neither", "one", "two", "three", "first", "second", "last", "latest", "most", "more",
        "less", "other", "another", "name", "names", "id", "ids", "title", "titles", "album",
        "albums", "track", "tracks", "artist", "artists", "song", "songs", "number", "count",
        "list", "following", "below", "above", "final", "summary", "okay", "ok", "please",
        "thanks", "thank", "therefore", "thus", "hence", "finally", "overall", "additionally",
        "furthermore", "moreover", "meanwhile", "next", "now", "sure", "certainly", "hello", "hi",
        "celsius", "fahrenheit", "kelvin", "utc", "gmt",
    )
)  # fmt: skip

_QUOTED = re.compile(
    r"[\"“”«»]([^\"“”«»\n]{2,80})[\"“”«»]|(?<![A-Za-z])'([^'\n]{2,60})'(?![A-Za-z])"
)
_WORD = re.compile(r"[^\W_][\w'’&-]*(?:\.(?=\w))?[\w'’&-]*|[^\w\s]", re.UNICODE)
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d{1,3}(?:[ ,.\u00a0\u202f]\d{3})+(?:\.\d+)?(?![\w])|"
                     r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w])")  # fmt: skip
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_TEXT_DATE = re.compile(
    r"\b(?:(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(MONTHS) + r")\.?,?\s+(\d{4})|"
    r"(" + "|".join(MONTHS) + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}))\b",
    re.IGNORECASE,
)
_LIST_MARKER = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+", re.MULTILINE)


@dataclass(frozen=True)
class Fact:
    """One checkable statement of an answer: its text as written, its kind, and the key it is
    looked up by."""

    text: str
    kind: FactKind
    key: str


@dataclass(frozen=True)
class Grounding:
    """The facts of an answer, split into those the sources hold and those they do not."""

    grounded: tuple[Fact, ...]
    ungrounded: tuple[Fact, ...]

    @property
    def facts(self) -> int:
        return len(self.grounded) + len(self.ungrounded)

    @property
    def ok(self) -> bool:
        """No fact is missing from the sources (an answer without facts is grounded)."""
        return not self.ungrounded

    @property
    def rate(self) -> float:
        """The share of facts found (1.0 for an answer without facts)."""
        return len(self.grounded) / self.facts if self.facts else 1.0


def normalise(text: str) -> str:
    """Case-folded text with quotes, dashes and spacing unified (for substring lookups)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("–", "-").replace("—", "-")
    text = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return " ".join(re.sub(r"[^\w'&+#.:/-]+", " ", text).split())


def number_value(text: str) -> str | None:
    """A number's value as a canonical string (``1,203,554`` and ``1 203 554`` -> ``1203554``)."""
    raw = re.sub(r"[ ,\u00a0\u202f]", "", text)
    if re.fullmatch(r"[-+]?\d{1,3}(?:\.\d{3})+", raw) and raw.count(".") > 1:
        raw = raw.replace(".", "")  # 1.203.554 written with dots
    try:
        value = float(raw)
    except ValueError:
        return None
    return str(int(value)) if value.is_integer() else repr(value)


def _date_keys(text: str) -> Iterable[tuple[str, str]]:
    for match in _ISO_DATE.finditer(text):
        yield match.group(0), f"{match.group(1)}-{match.group(2)}-{match.group(3)}"
    for match in _TEXT_DATE.finditer(text):
        day, month, year = (match.group(1), match.group(2), match.group(3))
        if month is None:
            month, day, year = match.group(4), match.group(5), match.group(6)
        number = MONTHS[month.lower().rstrip(".")]
        yield match.group(0), f"{year}-{number:02d}-{int(day):02d}"


def _names(text: str) -> Iterable[str]:
    """Runs of capitalised words (with the small words that join names: of, the, de, ...)."""
    joiners = {"of", "the", "de", "la", "le", "von", "van", "a", "in", "on"}
    run: list[str] = []
    for line in text.splitlines():
        words = _WORD.findall(line)
        for index, word in enumerate([*words, ""]):
            if word in ("&", "†"):  # part of a name, not a break
                if run:
                    run.append(word)
                continue
            capital = word[:1].isupper() or (word[:1].isdigit() and bool(run))
            if capital:
                run.append(word)
                continue
            if run and word.lower() in joiners and index + 1 < len(words):
                following = words[index + 1]
                if following[:1].isupper():
                    run.append(word)
                    continue
            if run:
                yield from _trimmed(run)
            run = []


def _trimmed(run: list[str]) -> Iterable[str]:
    """A name without the common words it starts or ends with; nothing if only those remain."""
    words = [w.rstrip(".'’") for w in run]
    while words and words[0].lower() in COMMON_WORDS:
        words.pop(0)
    while words and words[-1].lower() in COMMON_WORDS | {"of", "the", "and", "&"}:
        words.pop()
    if not words or all(w.isdigit() for w in words):
        return
    if len(words) == 1 and len(words[0]) < 3:
        return
    yield " ".join(words)


def facts_of(answer: str) -> list[Fact]:
    """The checkable facts of ``answer``, each once, in order."""
    text = _LIST_MARKER.sub(" ", answer)
    found: list[Fact] = []
    seen: set[tuple[str, str]] = set()

    def add(written: str, kind: FactKind, key: str) -> None:
        if key and (kind, key) not in seen:
            seen.add((kind, key))
            found.append(Fact(written.strip(), kind, key))

    dated: list[str] = []
    for written, key in _date_keys(text):
        add(written, "date", key)
        dated.append(written)
    for match in _QUOTED.finditer(text):
        quoted = match.group(1) or match.group(2)
        add(quoted, "quoted", normalise(quoted))
    undated = text
    for written in dated:
        undated = undated.replace(written, " ")
    quoted_keys = [fact.key for fact in found if fact.kind == "quoted"]
    for name in _names(undated):
        key = normalise(name)
        if not any(key in quoted for quoted in quoted_keys):  # already checked as quoted
            add(name, "name", key)
    for match in _NUMBER.finditer(undated):
        value = number_value(match.group(0))
        if value is not None:
            add(match.group(0), "number", value)
    return found


@dataclass(frozen=True)
class Sources:
    """The texts an answer may draw on (observations and the request), indexed for lookups."""

    text: str
    numbers: frozenset[str]
    dates: frozenset[str]

    @classmethod
    def of(cls, texts: Sequence[str]) -> Sources:
        joined = "\n".join(texts)
        numbers = {
            value
            for match in _NUMBER.finditer(joined)
            if (value := number_value(match.group(0))) is not None
        }
        for digits in re.findall(r"\d+", joined):  # ids inside longer tokens count too
            numbers.add(str(int(digits)))
        dates = {key for _written, key in _date_keys(joined)}
        return cls(f" {normalise(joined)} ", frozenset(numbers), frozenset(dates))

    def holds(self, fact: Fact) -> bool:
        if fact.kind == "number":
            return fact.key in self.numbers
        if fact.kind == "date":
            return fact.key in self.dates
        return f" {fact.key} " in self.text or fact.key in self.text


def check_answer(answer: str, sources: Sequence[str]) -> Grounding:
    """Which facts of ``answer`` occur in ``sources`` (observation texts and the request)."""
    index = Sources.of(sources)
    grounded: list[Fact] = []
    ungrounded: list[Fact] = []
    for fact in facts_of(answer):
        (grounded if index.holds(fact) else ungrounded).append(fact)
    return Grounding(tuple(grounded), tuple(ungrounded))


def grounded_sentences(answer: str, sources: Sequence[str]) -> str:
    """``answer`` without the sentences that state an ungrounded fact ("" if none is left)."""
    index = Sources.of(sources)
    kept = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", answer.strip()):
        if sentence.strip() and all(index.holds(fact) for fact in facts_of(sentence)):
            kept.append(sentence.strip())
    return " ".join(kept)
