"""The engine: loads each GGUF file once and hands out the shared :class:`LoadedModel`."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from llama_cpp import Llama

from umi_cli.engine.gguf_header import check_gguf
from umi_cli.engine.hardware import default_gpu_layers, physical_cores
from umi_cli.engine.loading import open_llama
from umi_cli.engine.logs import capture_llama_log, install_llama_log
from umi_cli.engine.model import LoadedModel
from umi_cli.errors import UmiError

log = logging.getLogger(__name__)


class Engine:
    """Loads GGUF models in-process with llama.cpp.

    All layers go to the GPU when this llama-cpp-python build supports offload (``n_gpu_layers``
    overrides; 0 forces CPU); on CPU, ``n_threads`` defaults to the number of physical cores.
    """

    def __init__(self, n_gpu_layers: int | None = None, n_threads: int | None = None) -> None:
        install_llama_log()
        self.n_gpu_layers = default_gpu_layers(n_gpu_layers)
        self.n_threads = n_threads or physical_cores()
        self._models: dict[Path, LoadedModel] = {}
        self._lock = threading.Lock()

    def load(self, path: Path, n_ctx: int = 4096) -> LoadedModel:
        """The model in ``path``, loaded on first use; later calls share it.

        The first load fixes the context size; a later call asking for more is served by the
        same model (a completion that does not fit then fails with a clear error).
        """
        key = Path(path).expanduser().resolve()
        with self._lock:
            model = self._models.get(key)
            if model is None:
                model = LoadedModel(key, self._open(key, n_ctx))
                self._models[key] = model
            elif n_ctx > model.n_ctx:
                log.debug("%s already loaded with n_ctx=%d (asked %d)", key, model.n_ctx, n_ctx)
            return model

    @property
    def models(self) -> dict[Path, LoadedModel]:
        """Loaded models by resolved path."""
        return dict(self._models)

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
                )
            except (ValueError, RuntimeError, OSError) as exc:
                failure = exc
        if failure is None:
            return llm
        reason = lines[0].split(": ", 1)[-1] if lines else str(failure)
        raise UmiError(
            f"cannot load model {path}: {reason} (is it a GGUF file llama.cpp supports?)"
        )

    def close(self) -> None:
        """Free every loaded model."""
        with self._lock:
            for model in self._models.values():
                model.close()
            self._models.clear()
