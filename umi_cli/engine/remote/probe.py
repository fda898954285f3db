"""What a server says about itself: the models it serves, its context per slot, its slots.

Asked once when an endpoint is opened (a server that is down fails there, in one line), and by
`umi models info` and `umi doctor`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from umi_cli.engine.remote.client import EndpointClient
from umi_cli.engine.remote.flavors import Flavor
from umi_cli.errors import UmiError
from umi_cli.models.refs import EndpointRef


@dataclass
class ServerFacts:
    """``context``: tokens a request may use (per slot); ``slots``: requests served at once;
    None where the server does not say. ``answers`` keeps what it said, route by route."""

    models: list[str] = field(default_factory=list)
    context: int | None = None
    slots: int | None = None
    template: bool | None = None
    answers: dict[str, Any] = field(default_factory=dict)


def _int(value: Any) -> int | None:
    return value if type(value) is int and value > 0 else None


def probe(client: EndpointClient, flavor: Flavor, *, timeout: float) -> ServerFacts:
    """Ask the server (a RemoteError, one line, when it does not answer)."""
    ref = client.ref
    facts = ServerFacts()
    listed = client.get_json(flavor.models_path, timeout=timeout)
    facts.answers[flavor.models_path] = listed
    rows = (
        listed.get("data" if flavor.wire == "openai" else "models")
        if isinstance(listed, dict)
        else None
    )
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict):
            name = row.get("id") or row.get("name")
            if isinstance(name, str):
                facts.models.append(name)
                if name == ref.model:
                    facts.context = _int(row.get("max_model_len"))
    if flavor.props_path:
        props = client.get_json(flavor.props_path, timeout=timeout)
        facts.answers[flavor.props_path] = props
        if isinstance(props, dict):
            facts.slots = _int(props.get("total_slots"))
            settings = props.get("default_generation_settings")
            if isinstance(settings, dict):
                facts.context = _int(settings.get("n_ctx")) or facts.context
            facts.template = bool(props.get("chat_template"))
    if flavor.show_path:
        shown = client.post_json(flavor.show_path, {"model": ref.model}, timeout=timeout)
        facts.answers[flavor.show_path] = shown
        if isinstance(shown, dict):
            facts.template = bool(shown.get("template"))
    return facts


def check_model(ref: EndpointRef, flavor: Flavor, facts: ServerFacts, url: str) -> None:
    """A server that routes by model name must serve ``ref.model``."""
    if not flavor.routes_by_model or not facts.models:
        return
    names = set(facts.models) | {name.removesuffix(":latest") for name in facts.models}
    if ref.model not in names:
        shown = ", ".join(facts.models[:8]) + (" ..." if len(facts.models) > 8 else "")
        raise UmiError(
            f"model '{ref.model_id}': {url} does not serve '{ref.model}' (it serves {shown}); "
            f"fix model in {ref.at('model')}"
        )
