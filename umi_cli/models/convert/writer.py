"""Write a LLaMA checkpoint as an F16 or F32 GGUF, streaming each tensor in chunks."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import gguf
import numpy as np

from umi_cli.errors import UmiError
from umi_cli.models.convert.checkpoint import Checkpoint
from umi_cli.models.convert.llama import (
    ARCHITECTURE,
    LlamaHParams,
    expected_shapes,
    gguf_tensor_name,
    permute_qk,
    qk_heads,
)
from umi_cli.models.convert.tensors import FLOAT_DTYPES, LazyTensor
from umi_cli.models.convert.vocab import Vocabulary

#: (bytes written so far, bytes to write in all)
WriteProgress = Callable[[int, int], None]

OUT_TYPES = {"F16": np.float16, "F32": np.float32}


def _plan(checkpoint: Checkpoint, hparams: LlamaHParams) -> list[tuple[str, LazyTensor]]:
    """(GGUF name, source tensor) in llama.cpp's customary order, shapes checked."""
    by_gguf: dict[str, LazyTensor] = {}
    for tensor in checkpoint.tensors:
        name = gguf_tensor_name(tensor.name)
        if name is not None:
            by_gguf[name] = tensor
    shapes = expected_shapes(hparams)
    if "output.weight" in by_gguf and "output.weight" not in shapes:
        shapes["output.weight"] = (hparams.vocab_size, hparams.hidden_size)
    for name, shape in shapes.items():
        found = by_gguf.get(name)
        if found is None:
            raise UmiError(f"{checkpoint.folder}: the checkpoint lacks the tensor for {name}")
        tensor = found
        if tensor.shape != shape:
            raise UmiError(
                f"{checkpoint.folder}: {tensor.name} has shape {list(tensor.shape)}, "
                f"config.json implies {list(shape)}"
            )
        if tensor.dtype not in FLOAT_DTYPES:
            raise UmiError(f"{checkpoint.folder}: {tensor.name} is {tensor.dtype}, not a float")
    return [(name, by_gguf[name]) for name in shapes]


def _out_dtype(shape: tuple[int, ...], out_type: str) -> np.dtype:
    # llama.cpp keeps 1-D tensors (norm weights) in F32 whatever the file type.
    return np.dtype(np.float32 if len(shape) == 1 else OUT_TYPES[out_type])


class _StreamedTensor:
    """Stands in for an ndarray in ``GGUFWriter.write_tensor_data``: the writer asks for
    ``nbytes`` and calls ``tofile``, which writes the tensor chunk by chunk."""

    def __init__(self, nbytes: int, chunks: Iterable[np.ndarray]) -> None:
        self.nbytes = nbytes
        self._chunks = chunks

    def tofile(self, file) -> None:
        written = 0
        for chunk in self._chunks:
            chunk.tofile(file)
            written += chunk.nbytes
        if written != self.nbytes:
            raise UmiError(f"wrote {written} bytes of a tensor of {self.nbytes}")


def _finite(chunks: Iterable[np.ndarray], name: str) -> Iterator[np.ndarray]:
    """Pass chunks through, refusing NaN/inf (bf16 values beyond float16's range become inf)."""
    for chunk in chunks:
        if not np.isfinite(chunk).all():
            raise UmiError(
                f"tensor {name} has values that are NaN or beyond float16's range; "
                "convert with --quant F32 instead"
            )
        yield chunk


def _tensor_data(
    tensor: LazyTensor, name: str, hparams: LlamaHParams, dtype: np.dtype, nbytes: int
) -> _StreamedTensor:
    heads = qk_heads(name, hparams)
    if heads is None:
        return _StreamedTensor(nbytes, _finite(tensor.chunks(dtype), tensor.name))
    # q/k rows are reordered within each head: load the whole (small) projection once.
    values = np.ascontiguousarray(permute_qk(tensor.to_dtype(dtype), heads))
    return _StreamedTensor(nbytes, _finite([values.reshape(-1)], tensor.name))


def _add_metadata(
    writer: gguf.GGUFWriter, hparams: LlamaHParams, vocab: Vocabulary, name: str, out_type: str
) -> None:
    writer.add_name(name)
    writer.add_file_type(
        gguf.LlamaFileType.MOSTLY_F16 if out_type == "F16" else gguf.LlamaFileType.ALL_F32
    )
    writer.add_vocab_size(hparams.vocab_size)
    writer.add_context_length(hparams.context_length)
    writer.add_embedding_length(hparams.hidden_size)
    writer.add_block_count(hparams.n_layers)
    writer.add_feed_forward_length(hparams.intermediate_size)
    writer.add_head_count(hparams.n_heads)
    writer.add_head_count_kv(hparams.n_kv_heads)
    writer.add_rope_dimension_count(hparams.head_dim)
    writer.add_rope_freq_base(hparams.rope_theta)
    writer.add_layer_norm_rms_eps(hparams.rms_norm_eps)
    if hparams.head_dim != hparams.hidden_size // hparams.n_heads:
        writer.add_key_length(hparams.head_dim)
        writer.add_value_length(hparams.head_dim)
    if hparams.rope_scaling_factor is not None:
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(hparams.rope_scaling_factor)
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(vocab.tokens)
    writer.add_token_scores(vocab.scores)
    writer.add_token_types(vocab.types)
    writer.add_add_space_prefix(vocab.add_space_prefix)
    setters = {
        "bos": writer.add_bos_token_id,
        "eos": writer.add_eos_token_id,
        "unk": writer.add_unk_token_id,
        "padding": writer.add_pad_token_id,
    }
    for kind, token_id in vocab.special_ids.items():
        setters[kind](token_id)
    writer.add_add_bos_token(vocab.add_bos)
    writer.add_add_eos_token(vocab.add_eos)
    if vocab.chat_template:
        writer.add_chat_template(vocab.chat_template)


def write_gguf(
    checkpoint: Checkpoint,
    hparams: LlamaHParams,
    vocab: Vocabulary,
    out_path: Path,
    *,
    out_type: str = "F16",
    name: str = "model",
    source: str | None = None,
    progress: WriteProgress | None = None,
) -> None:
    """Write ``out_path`` (overwritten) tensor by tensor; only one tensor is held at a time."""
    if out_type not in OUT_TYPES:
        raise UmiError(f"unsupported output type {out_type}; use F16 or F32")
    plan = _plan(checkpoint, hparams)
    writer = gguf.GGUFWriter(os.fspath(out_path), ARCHITECTURE)
    _add_metadata(writer, hparams, vocab, name, out_type)
    if source:
        writer.add_string("umi.convert.source", source)
    sizes = []
    for gguf_name, tensor in plan:
        dtype = _out_dtype(tensor.shape, out_type)
        nbytes = tensor.numel * dtype.itemsize
        writer.add_tensor_info(gguf_name, tensor.shape, dtype, nbytes)
        sizes.append(nbytes)
    total, done = sum(sizes), 0
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for (gguf_name, tensor), nbytes in zip(plan, sizes, strict=True):
            dtype = _out_dtype(tensor.shape, out_type)
            data = _tensor_data(tensor, gguf_name, hparams, dtype, nbytes)
            writer.write_tensor_data(data)  # type: ignore[arg-type]  # streamed: nbytes and tofile suffice
            done += nbytes
            if progress is not None:
                progress(done, total)
        writer.flush()
        for fout in writer.fout or []:
            os.fsync(fout.fileno())
    finally:
        writer.close()
