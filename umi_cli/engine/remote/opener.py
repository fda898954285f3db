"""Open endpoints: read the API key, ask the server what it serves, build the RemoteBackend.

Registered in :data:`umi_cli.engine.pool.OPENERS` under ``endpoint``, exactly as the in-process
opener is under ``file``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from umi_cli.engine.remote.backend import RemoteBackend
from umi_cli.engine.remote.client import EndpointClient
from umi_cli.engine.remote.flavors import Flavor, flavor_of
from umi_cli.engine.remote.local import LocalVocab
from umi_cli.engine.remote.probe import ServerFacts, check_model, probe
from umi_cli.engine.remote.settings import RemoteSettings
from umi_cli.engine.remote.slots import SlotMap
from umi_cli.engine.remote.templates import ChatRenderer
from umi_cli.engine.remote.tokens import TokenCounter
from umi_cli.errors import UmiError
from umi_cli.models.refs import EndpointRef
from umi_cli.secrets import remember


def api_key(ref: EndpointRef) -> str | None:
    """The key from the variable the entry names (registered as a secret); None without one."""
    if not ref.api_key_env:
        return None
    value = os.environ.get(ref.api_key_env)
    if not value:
        raise UmiError(
            f"model '{ref.model_id}': ${ref.api_key_env} is not set; export the server's API key "
            f"in it (api_key_env in {ref.at('api_key_env')})"
        )
    remember(value)
    return value


@dataclass
class RemoteOpener:
    """Opens :class:`EndpointRef` values as :class:`RemoteBackend` s."""

    settings: RemoteSettings = field(default_factory=RemoteSettings)

    def open(self, ref: EndpointRef, n_ctx: int) -> RemoteBackend:
        flavor = flavor_of(ref.flavor)
        client = EndpointClient(ref, self.settings, api_key(ref), connections=max(
            ref.parallel or flavor.parallel, 8
        ))  # fmt: skip
        try:
            return self._open(ref, flavor, client, n_ctx)
        except BaseException:
            client.close()
            raise

    def _open(
        self, ref: EndpointRef, flavor: Flavor, client: EndpointClient, n_ctx: int
    ) -> RemoteBackend:
        facts = probe(client, flavor, timeout=self.settings.probe_timeout)
        check_model(ref, flavor, facts, ref.base_url)
        if facts.context is not None and n_ctx > facts.context:
            raise UmiError(
                f"model '{ref.model_id}': {ref.base_url} serves {facts.context} tokens of context "
                f"per request, the catalog asks {n_ctx}; set context_length: {facts.context} for "
                f"it in {ref.at('endpoint')} (or give the server a larger context)"
            )
        parallel = ref.parallel or facts.slots or flavor.parallel
        local = LocalVocab(ref.gguf) if ref.gguf is not None else None
        counter = TokenCounter(
            local=local,
            remote=_remote_count(client, flavor) if flavor.tokenize else None,
            cache_size=self.settings.count_cache,
            label=f"model '{ref.model_id}'",
        )
        server_render = None
        if flavor.template_path is not None:
            path = flavor.template_path
            server_render = lambda body: client.post_json(path, body)  # noqa: E731
        renderer = ChatRenderer(ref, local=local, server=server_render)
        slots = SlotMap(facts.slots) if flavor.slot_field and facts.slots else None
        return RemoteBackend(
            ref, flavor, client, n_ctx=n_ctx, parallel=parallel, counter=counter,
            renderer=renderer, slots=slots, served=facts.answers,
        )  # fmt: skip

    def describe(self) -> dict[str, Any]:
        return {
            "connect_timeout": self.settings.connect_timeout,
            "retries": self.settings.retries,
            "max_wait": self.settings.max_wait,
        }


def _remote_count(client: EndpointClient, flavor: Flavor) -> Any:
    route = flavor.tokenize
    assert route is not None

    def count(text: str) -> int:
        body: dict[str, Any] = {route.text_field: text, **route.extra}
        if route.with_model:
            body["model"] = client.ref.model
        answer = client.post_json(route.path, body)
        value = answer.get(route.count_field) if isinstance(answer, dict) else None
        if isinstance(value, list):
            return len(value)
        if type(value) is int:
            return value
        raise UmiError(
            f"model '{client.ref.model_id}': {client.url(route.path)} answered no token count; "
            f"is flavor right in {client.ref.at('flavor')}?"
        )

    return count


def facts_of(ref: EndpointRef, settings: RemoteSettings | None = None) -> ServerFacts:
    """What the server of ``ref`` says about itself (for `umi models info` and `umi doctor`)."""
    settings = settings or RemoteSettings()
    client = EndpointClient(ref, settings, api_key(ref))
    try:
        return probe(client, flavor_of(ref.flavor), timeout=settings.probe_timeout)
    finally:
        client.close()


def describe_endpoint(ref: EndpointRef, settings: RemoteSettings | None = None) -> dict[str, Any]:
    """What the server of ``ref`` serves and what umi will do with it (capabilities as data),
    for `umi models info` and `umi doctor`; a RemoteError when the server does not answer."""
    flavor = flavor_of(ref.flavor)
    facts = facts_of(ref, settings)
    server_template = flavor.template_path is not None and facts.template is not False
    return {
        "endpoint": ref.to_dict(),
        "serves": facts.models,
        "context": facts.context,
        "slots": facts.slots,
        "capabilities": {
            "grammar": flavor.grammar,
            "prefix_cache": flavor.caching,
            "tokens": "local" if ref.gguf else "server" if flavor.tokenize else "estimate",
            "chat_template": "local" if ref.gguf else "server" if server_template else "none",
            "parallel": ref.parallel or facts.slots or flavor.parallel,
        },
    }
