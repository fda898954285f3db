"""The served model's GGUF on this machine (``endpoint.gguf``): vocabulary and chat template.

Only the vocabulary is loaded (``vocab_only``: no weights, a fraction of a second), so tokens are
counted and chat templates rendered here exactly as the server's llama.cpp would, with no round
trip.
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path
from typing import Any

from umi_cli.errors import UmiError


class LocalVocab:
    """Tokenizer and chat template of a GGUF file, without its weights."""

    def __init__(self, path: Path) -> None:
        import llama_cpp

        from umi_cli.engine.llama.gguf_header import check_gguf
        from umi_cli.engine.llama.logs import capture_llama_log, install_llama_log

        self.path = path
        if not path.is_file():
            raise UmiError(f"endpoint gguf {path}: no such file (the local copy of the model)")
        try:
            header = check_gguf(path)
        except UmiError as exc:
            raise UmiError(f"endpoint gguf {path}: {exc}") from None
        self.template = header.values.get("tokenizer.chat_template")
        flag = header.values.get("tokenizer.ggml.add_bos_token")
        install_llama_log()
        params = llama_cpp.llama_model_default_params()
        params.vocab_only = True
        with capture_llama_log():
            self._model = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
        if not self._model:
            raise UmiError(f"endpoint gguf {path}: llama.cpp cannot read its vocabulary")
        self._vocab = llama_cpp.llama_model_get_vocab(self._model)
        bos = llama_cpp.llama_vocab_bos(self._vocab)
        self.adds_bos = str(flag).lower() == "true" if flag is not None else bos >= 0
        self.bos_text = self._special(bos)
        self.eos_text = self._special(llama_cpp.llama_vocab_eos(self._vocab))
        self._lock = threading.Lock()

    def _special(self, token: int) -> str:
        import llama_cpp

        if token < 0:
            return ""
        buffer = ctypes.create_string_buffer(256)
        n = llama_cpp.llama_token_to_piece(self._vocab, token, buffer, len(buffer), 0, True)
        return buffer.raw[: max(n, 0)].decode("utf-8", errors="replace")

    def count(self, text: str) -> int:
        """Tokens of ``text`` (special tokens parsed, no BOS), as the in-process engine counts."""
        from umi_cli.engine.llama.backend import tokenize

        with self._lock:
            return len(tokenize(self._vocab, text.encode("utf-8"), add_bos=False, special=True))

    def render_chat(
        self,
        messages: list[dict[str, Any]],
        *,
        add_generation_prompt: bool,
        tools: list[dict[str, Any]] | None,
        model_name: str,
    ) -> str:
        from umi_cli.engine.llama.chat import render_chat

        if not self.template:
            raise UmiError(
                f"{self.path} has no chat template (tokenizer.chat_template); use format: "
                "alpha-umi for this model"
            )
        return render_chat(
            str(self.template), messages, bos_token=self.bos_text, eos_token=self.eos_text,
            add_generation_prompt=add_generation_prompt, tools=tools, model_name=model_name,
        )  # fmt: skip

    def close(self) -> None:
        import llama_cpp

        with self._lock:
            if self._model:
                llama_cpp.llama_model_free(self._model)
                self._model = None
