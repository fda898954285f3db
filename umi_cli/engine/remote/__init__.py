"""Models served by OpenAI-compatible servers (llama-server, llama-cpp-python, vLLM, Ollama).

One file per concern, after llama-cpp-python's own server: :mod:`.settings` (timeouts, retries),
:mod:`.flavors` (each server's capabilities as data), :mod:`.wire` (request bodies and streamed
chunks), :mod:`.errors` (the one-line failures and the httpx mapping), :mod:`.client` (HTTP with
retries), then :mod:`.slots`, :mod:`.tokens`, :mod:`.templates`, :mod:`.local`, :mod:`.probe`,
the :class:`RemoteBackend` and its :class:`RemoteOpener`.
"""

from umi_cli.engine.remote.backend import RemoteBackend
from umi_cli.engine.remote.errors import RemoteError
from umi_cli.engine.remote.flavors import FLAVORS, Flavor, flavor_of
from umi_cli.engine.remote.opener import RemoteOpener, facts_of
from umi_cli.engine.remote.settings import RemoteSettings

__all__ = [
    "FLAVORS",
    "Flavor",
    "RemoteBackend",
    "RemoteError",
    "RemoteOpener",
    "RemoteSettings",
    "facts_of",
    "flavor_of",
]
