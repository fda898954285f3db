"""In-process llama.cpp: load GGUF files once, complete with grammars, stops and KV slots."""

from umi_cli.engine.grammar import GrammarError, check_grammar, json_schema_grammar
from umi_cli.engine.hardware import gpu_offload_supported, physical_cores
from umi_cli.engine.llama import Engine
from umi_cli.engine.model import LoadedModel
from umi_cli.engine.types import (
    Completion,
    CompletionRequest,
    CompletionStats,
    StopReason,
    TokenCallback,
)

__all__ = [
    "Completion",
    "CompletionRequest",
    "CompletionStats",
    "Engine",
    "GrammarError",
    "LoadedModel",
    "StopReason",
    "TokenCallback",
    "check_grammar",
    "gpu_offload_supported",
    "json_schema_grammar",
    "physical_cores",
]
