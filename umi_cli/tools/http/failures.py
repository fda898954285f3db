"""How a failed HTTP call is described: an exception inside the executor, a kind outside it."""

from __future__ import annotations

from typing import Any

from umi_cli.tools.toolset import FailureKind


def kind_of_status(status: int) -> FailureKind:
    """429 means the service is unavailable to us now, 5xx that it failed, other 4xx refused."""
    if status == 429:
        return "unavailable"
    return "server" if status >= 500 else "client"


class CallFailed(Exception):
    """A call that cannot give a result; becomes a ``{"error", "status", ...}`` observation.

    ``retryable`` failures are tried again (bounded); ``extra`` adds fields to the observation
    (a cut excerpt of the answer, a ``Retry-After``).
    """

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        kind: FailureKind,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind: FailureKind = "server" if status is not None and status >= 500 else kind
        self.retryable = retryable
        self.extra: dict[str, Any] = {}
        self.wait: float | None = None
