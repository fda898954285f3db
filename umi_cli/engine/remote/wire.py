"""The wire: request bodies per flavor, and the streamed answer as :class:`Chunk` values.

Two protocols: OpenAI's (``/v1/completions`` streamed as server-sent events, ``data: {...}``
lines ending with ``data: [DONE]``) and Ollama's (``/api/generate`` with ``raw``, one JSON object
per line ending with ``"done": true``). Anything else in the stream is a :class:`WireError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from umi_cli.engine.remote.flavors import Flavor
from umi_cli.engine.types import CompletionRequest
from umi_cli.models.refs import EndpointRef


class WireError(Exception):
    """The stream broke the protocol (``server`` True: the server reported an error in it)."""

    def __init__(self, detail: str, *, server: bool = False) -> None:
        super().__init__(detail)
        self.server = server


@dataclass(frozen=True)
class Usage:
    """The figures a server reports at the end of a completion (None: not reported)."""

    prompt_tokens: int | None = None
    cached_tokens: int | None = None
    generated_tokens: int | None = None
    prompt_seconds: float | None = None
    generation_seconds: float | None = None


@dataclass(frozen=True)
class Chunk:
    """One streamed piece: text, and at the end why generation stopped and the figures.

    ``finish`` is ``stop`` (a stop string or the end of the turn) or ``length``; ``stop_word``
    says which of the two a ``stop`` was when the server tells (None: it does not)."""

    text: str = ""
    finish: str | None = None
    stop_word: bool | None = None
    usage: Usage | None = None


def set_field(body: dict[str, Any], dotted: str, value: Any) -> None:
    """``set_field(b, "structured_outputs.json", s)`` -> ``b["structured_outputs"]["json"] = s``."""
    *parents, last = dotted.split(".")
    for name in parents:
        body = body.setdefault(name, {})
    body[last] = value


def completion_body(
    flavor: Flavor,
    ref: EndpointRef,
    request: CompletionRequest,
    *,
    constraint: dict[str, Any],
    slot: int | None,
    n_ctx: int,
) -> dict[str, Any]:
    """The JSON body of one streamed completion; ``constraint`` maps dotted fields to values."""
    stops = list(request.stop)[: flavor.max_stops] if flavor.max_stops else list(request.stop)
    if flavor.wire == "ollama":
        options: dict[str, Any] = {
            "temperature": request.temperature,
            "top_p": request.top_p,
            "num_predict": request.max_tokens,
            "num_ctx": n_ctx,
            **flavor.sampling,
        }
        if stops:
            options["stop"] = stops
        if request.seed is not None:
            options["seed"] = request.seed
        body: dict[str, Any] = {
            "model": ref.model, "prompt": request.prompt, "raw": True, "stream": True,
            "options": options,
        }  # fmt: skip
    else:
        body = {
            "model": ref.model,
            "prompt": request.prompt,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "stream": True,
            "stream_options": {"include_usage": True},
            **flavor.sampling,
            **flavor.prefix_cache,
        }
        if stops:
            body["stop"] = stops
        if request.seed is not None:
            body["seed"] = request.seed
        if slot is not None and flavor.slot_field is not None:
            body[flavor.slot_field] = slot
    for dotted, value in constraint.items():
        set_field(body, dotted, value)
    return body


def sse_data(lines: Iterable[str]) -> Iterator[Any]:
    """The JSON payload of each ``data:`` event, up to ``data: [DONE]``."""
    for line in lines:
        if not line or line.startswith(":"):
            continue  # event separator, comment or keep-alive ping
        name, _, value = line.partition(":")
        if name in ("event", "id", "retry"):
            continue
        if name != "data":
            raise WireError(f"unexpected line {line[:60]!r} in the event stream")
        value = value.strip()
        if value == "[DONE]":
            return
        yield _json(value)


def ndjson_data(lines: Iterable[str]) -> Iterator[Any]:
    """One JSON value per non-empty line."""
    for line in lines:
        if line.strip():
            yield _json(line)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise WireError(f"not JSON: {text[:60]!r}") from None


def _error(data: dict[str, Any]) -> None:
    error = data.get("error")
    if error:
        message = error.get("message", error) if isinstance(error, dict) else error
        raise WireError(str(message), server=True)


def _count(value: Any) -> int | None:
    return value if type(value) is int else None


def _seconds(value: Any, scale: float) -> float | None:
    return value / scale if isinstance(value, int | float) and not isinstance(value, bool) else None


def openai_chunk(data: Any) -> Chunk:
    """A ``text_completion`` event (llama-server's ``timings`` and vLLM's ``stop_reason`` read
    where present)."""
    if not isinstance(data, dict):
        raise WireError("an event that is not a JSON object")
    _error(data)
    choices = data.get("choices")
    if not isinstance(choices, list):
        raise WireError("an event without 'choices'")
    text, finish, stop_word = "", None, None
    if choices:
        choice = choices[0]
        if not isinstance(choice, dict):
            raise WireError("a choice that is not a JSON object")
        text = choice.get("text") or ""
        if not isinstance(text, str):
            raise WireError("a choice whose 'text' is not a string")
        finish = choice.get("finish_reason")
        if finish is not None and not isinstance(finish, str):
            raise WireError("a 'finish_reason' that is not a string")
        if finish == "stop" and "stop_reason" in choice:  # vLLM: the stop string, or null (EOS)
            stop_word = choice["stop_reason"] is not None
    return Chunk(text, finish, stop_word, _openai_usage(data))


def _openai_usage(data: dict[str, Any]) -> Usage | None:
    usage, timings = data.get("usage"), data.get("timings")
    if not isinstance(usage, dict) and not isinstance(timings, dict):
        return None
    usage = usage if isinstance(usage, dict) else {}
    timings = timings if isinstance(timings, dict) else {}
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return Usage(
        prompt_tokens=_count(usage.get("prompt_tokens")),
        cached_tokens=_count(timings.get("cache_n", cached)),
        generated_tokens=_count(usage.get("completion_tokens", timings.get("predicted_n"))),
        prompt_seconds=_seconds(timings.get("prompt_ms"), 1000),
        generation_seconds=_seconds(timings.get("predicted_ms"), 1000),
    )


def ollama_chunk(data: Any) -> Chunk:
    """One ``/api/generate`` line; the last (``done``) carries the figures."""
    if not isinstance(data, dict):
        raise WireError("a line that is not a JSON object")
    _error(data)
    text = data.get("response", "")
    if not isinstance(text, str):
        raise WireError("a 'response' that is not a string")
    if not data.get("done"):
        return Chunk(text)
    reason = data.get("done_reason") or "stop"
    usage = Usage(
        prompt_tokens=_count(data.get("prompt_eval_count")),
        generated_tokens=_count(data.get("eval_count")),
        prompt_seconds=_seconds(data.get("prompt_eval_duration"), 1e9),
        generation_seconds=_seconds(data.get("eval_duration"), 1e9),
    )
    return Chunk(text, "length" if reason == "length" else "stop", None, usage)


def chunks(flavor: Flavor, lines: Iterable[str]) -> Iterator[Chunk]:
    """The chunks of a streamed answer in ``flavor``'s protocol."""
    if flavor.wire == "ollama":
        return (ollama_chunk(data) for data in ndjson_data(lines))
    return (openai_chunk(data) for data in sse_data(lines))
