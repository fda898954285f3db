"""The in-process llama.cpp backend: loading, sampling under grammars, KV slots, logs."""

from umi_cli.engine.llama.backend import LlamaBackend
from umi_cli.engine.llama.grammar import GrammarError, check_grammar, json_schema_grammar
from umi_cli.engine.llama.hardware import gpu_offload_supported, physical_cores
from umi_cli.engine.llama.opener import LlamaOpener, open_file

__all__ = [
    "GrammarError",
    "LlamaBackend",
    "LlamaOpener",
    "check_grammar",
    "gpu_offload_supported",
    "json_schema_grammar",
    "open_file",
    "physical_cores",
]
