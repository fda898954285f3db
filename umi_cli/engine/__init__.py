"""Model backends behind one seam: streaming completions with grammars, stops and KV slots.

The in-process llama.cpp backend lives in :mod:`umi_cli.engine.llama`; the
:class:`~umi_cli.engine.pool.BackendPool` opens each model once per process.
"""

from umi_cli.engine.backend import (
    Backend,
    BackendCaps,
    CompletionStream,
    GrammarKind,
    complete,
    finish,
)
from umi_cli.engine.pool import BackendPool, PoolSettings
from umi_cli.engine.types import (
    Completion,
    CompletionRequest,
    CompletionStats,
    StopReason,
    TokenCallback,
)

__all__ = [
    "Backend",
    "BackendCaps",
    "BackendPool",
    "Completion",
    "CompletionRequest",
    "CompletionStats",
    "CompletionStream",
    "GrammarKind",
    "PoolSettings",
    "StopReason",
    "TokenCallback",
    "complete",
    "finish",
]
