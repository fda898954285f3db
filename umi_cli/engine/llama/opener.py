"""Open GGUF files in-process: machine checks, extra-buffer decision, one clean error line."""

from __future__ import annotations

import logging
from pathlib import Path

from llama_cpp import Llama

from umi_cli.engine.llama.backend import LlamaBackend
from umi_cli.engine.llama.batched import SEQUENCES
from umi_cli.engine.llama.gguf_header import check_gguf
from umi_cli.engine.llama.hardware import default_gpu_layers, physical_cores
from umi_cli.engine.llama.loading import open_llama
from umi_cli.engine.llama.logs import capture_llama_log, install_llama_log
from umi_cli.errors import UmiError
from umi_cli.models.refs import FileRef

log = logging.getLogger(__name__)


class LlamaOpener:
    """Opens GGUF files in-process with llama.cpp, as :class:`LlamaBackend` values.

    All layers go to the GPU when this llama-cpp-python build supports offload (``n_gpu_layers``
    overrides; 0 forces CPU); on CPU, ``n_threads`` defaults to the number of physical cores.
    The :class:`~umi_cli.engine.pool.BackendPool` keeps what it opens, once per file.
    Contexts hold :data:`~umi_cli.engine.llama.batched.SEQUENCES` sequences (decoded together
    by ``stream_many``) in one KV cache of ``n_ctx`` cells.
    """

    def __init__(self, n_gpu_layers: int | None = None, n_threads: int | None = None) -> None:
        install_llama_log()
        self.n_gpu_layers = default_gpu_layers(n_gpu_layers)
        self.n_threads = n_threads or physical_cores()

    def open(self, ref: FileRef, n_ctx: int) -> LlamaBackend:
        """Load the model of ``ref`` with a context of ``n_ctx`` tokens."""
        path = Path(ref.path).expanduser().resolve()
        return LlamaBackend(path, self._open(path, n_ctx))

    def describe(self) -> dict[str, int]:
        return {"n_gpu_layers": self.n_gpu_layers, "n_threads": self.n_threads}

    def _open(self, path: Path, n_ctx: int) -> Llama:
        if not path.is_file():
            raise UmiError(f"model file not found: {path}")
        try:
            check_gguf(path)  # llama.cpp aborts the process on some malformed headers
        except UmiError as exc:
            raise UmiError(f"cannot load model {path}: {exc}") from None
        log.debug(
            "loading %s (n_ctx=%d, n_gpu_layers=%d, n_threads=%d)",
            path,
            n_ctx,
            self.n_gpu_layers,
            self.n_threads,
        )
        failure: Exception | None = None
        with capture_llama_log() as lines:
            try:
                llm = open_llama(
                    str(path),
                    n_ctx=n_ctx,
                    n_gpu_layers=self.n_gpu_layers,
                    n_threads=self.n_threads,
                    n_threads_batch=self.n_threads,
                    logits_all=False,
                    verbose=False,
                    n_seq_max=SEQUENCES,
                )
            except (ValueError, RuntimeError, OSError) as exc:
                failure = exc
        if failure is None:
            return llm
        reason = lines[0].split(": ", 1)[-1] if lines else str(failure)
        raise UmiError(
            f"cannot load model {path}: {reason} (is it a GGUF file llama.cpp supports?)"
        )


def open_file(
    path: Path, n_ctx: int = 4096, *, n_gpu_layers: int | None = None, n_threads: int | None = None
) -> LlamaBackend:
    """One GGUF file opened on its own, outside a pool (`umi models try`, benchmarks, tests)."""
    return LlamaOpener(n_gpu_layers=n_gpu_layers, n_threads=n_threads).open(FileRef(path), n_ctx)
