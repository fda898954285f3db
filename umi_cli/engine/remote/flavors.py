"""What each kind of OpenAI-compatible server can do, as data (no ``if flavor ==`` elsewhere).

One :class:`Flavor` per server: its wire protocol and routes, where a constraint goes in the
request body (a dotted path such as ``structured_outputs.grammar``), how it keeps prompts cached,
how it counts tokens and renders chat templates, and the sampling fields that make it sample as
umi's in-process engine does (no top-k, min-p or repetition penalty unless asked).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from umi_cli.engine.backend import GrammarKind

Wire = Literal["openai", "ollama"]


def _frozen(**items: Any) -> Mapping[str, Any]:
    return MappingProxyType(dict(items))


@dataclass(frozen=True)
class TokenizeRoute:
    """A server's tokenize endpoint: ``POST path {text_field: text, **extra}``; the count is
    ``len(answer[count_field])`` for a list or the number itself. ``with_model`` adds ``model``."""

    path: str
    text_field: str
    count_field: str
    extra: Mapping[str, Any] = field(default_factory=_frozen)
    with_model: bool = False


@dataclass(frozen=True)
class Flavor:
    """One kind of server.

    ``grammar_field`` / ``schema_field``: where GBNF / a JSON Schema goes (None: not taken);
    ``schema_as_grammar``: a JSON Schema is converted to GBNF here first. ``prefix_cache``:
    fields that keep the prompt's KV cache; ``slot_field``: the field that pins a server slot.
    ``kv_slots``: the server reuses each role's prefix across requests. ``parallel``: requests
    worth issuing at once when neither the server nor the catalog says. ``max_stops``: most stop
    strings the server accepts (the rest are cut here). ``routes_by_model``: the server serves
    several models by name, so an unknown ``model`` is an error (llama.cpp's servers answer
    with their one model whatever the name).
    """

    name: str
    wire: Wire
    completions_path: str
    models_path: str
    grammar_field: str | None = None
    schema_field: str | None = None
    schema_as_grammar: bool = False
    prefix_cache: Mapping[str, Any] = field(default_factory=_frozen)
    slot_field: str | None = None
    kv_slots: bool = False
    tokenize: TokenizeRoute | None = None
    template_path: str | None = None
    props_path: str | None = None
    show_path: str | None = None
    parallel: int = 1
    sampling: Mapping[str, Any] = field(default_factory=_frozen)
    max_stops: int | None = None
    routes_by_model: bool = True

    @property
    def grammar(self) -> GrammarKind:
        """The strongest constraint language the server takes."""
        if self.grammar_field is not None:
            return "gbnf"
        return "json_schema" if self.schema_field is not None else "none"

    @property
    def caching(self) -> str:
        """How prompts stay cached: pinned ``slots``, ``automatic`` prefix caching, or ``none``."""
        if self.slot_field is not None:
            return "slots"
        return "automatic" if self.kv_slots else "none"


_LLAMA_SAMPLING = _frozen(top_k=0, min_p=0.0, repeat_penalty=1.0)

FLAVORS: dict[str, Flavor] = {
    flavor.name: flavor
    for flavor in (
        Flavor(
            name="llama-server",
            wire="openai",
            completions_path="/v1/completions",
            models_path="/v1/models",
            grammar_field="grammar",
            schema_field="json_schema",
            prefix_cache=_frozen(cache_prompt=True),
            slot_field="id_slot",
            kv_slots=True,
            tokenize=TokenizeRoute(
                "/tokenize", "content", "tokens", _frozen(add_special=False, parse_special=True)
            ),
            template_path="/apply-template",
            props_path="/props",
            parallel=1,  # /props says how many slots it has
            sampling=_LLAMA_SAMPLING,
            routes_by_model=False,
        ),
        Flavor(
            name="llama-cpp-python",
            wire="openai",
            completions_path="/v1/completions",
            models_path="/v1/models",
            grammar_field="grammar",
            schema_as_grammar=True,
            tokenize=TokenizeRoute("/extras/tokenize/count", "input", "count", with_model=True),
            parallel=1,  # one model, one request at a time
            sampling=_LLAMA_SAMPLING,
            routes_by_model=False,
        ),
        Flavor(
            name="vllm",
            wire="openai",
            completions_path="/v1/completions",
            models_path="/v1/models",
            grammar_field="structured_outputs.grammar",
            schema_field="structured_outputs.json",
            kv_slots=True,  # automatic prefix caching
            tokenize=TokenizeRoute(
                "/tokenize", "prompt", "count", _frozen(add_special_tokens=False), with_model=True
            ),
            parallel=16,  # continuous batching
            sampling=_frozen(top_k=-1, min_p=0.0, repetition_penalty=1.0),
        ),
        Flavor(
            name="ollama",
            wire="ollama",
            completions_path="/api/generate",
            models_path="/api/tags",
            schema_field="format",
            show_path="/api/show",
            parallel=1,  # OLLAMA_NUM_PARALLEL; say `parallel:` in the catalog when raised
            sampling=_frozen(top_k=0, min_p=0.0, repeat_penalty=1.0),
        ),
        Flavor(
            name="openai",
            wire="openai",
            completions_path="/v1/completions",
            models_path="/v1/models",
            parallel=4,
            max_stops=4,
        ),
    )
}


def flavor_of(name: str) -> Flavor:
    """The flavor called ``name`` (the catalog validated it)."""
    return FLAVORS[name]
