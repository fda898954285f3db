"""How umi talks to servers: timeouts, bounded retries, caches (one value for every endpoint).

The seconds a server may stay silent are the endpoint's own (``timeout:`` in the catalog, on
:class:`~umi_cli.models.refs.EndpointRef`); what is here holds for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Statuses that mean "busy, ask again": retried with backoff, honouring ``Retry-After``.
RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RemoteSettings:
    """``connect_timeout``: seconds to open a connection. ``retries``: further tries of a request
    answered 429/503 (before any of its stream was read), waiting ``backoff`` seconds doubled
    each time, or what ``Retry-After`` asks up to ``max_wait`` (a longer wait fails at once).
    ``probe_timeout``: seconds the opener waits for the server's description. ``count_cache``:
    token counts of texts kept per endpoint."""

    connect_timeout: float = 5.0
    retries: int = 3
    backoff: float = 0.5
    max_wait: float = 30.0
    probe_timeout: float = 10.0
    count_cache: int = 4096

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before try ``attempt + 1`` (``attempt`` counts from 0)."""
        if retry_after is not None:
            return max(0.0, retry_after)
        return float(self.backoff * 2.0**attempt)
