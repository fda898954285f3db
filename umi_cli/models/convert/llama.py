"""Hugging Face LLaMA → llama.cpp: hyperparameters, tensor names and the q/k row order."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from umi_cli.errors import UmiError

ARCHITECTURE = "llama"

_LAYER_TENSORS = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
_GLOBAL_TENSORS = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
_LAYER_NAME = re.compile(r"model\.layers\.(\d+)\.(.+)")
#: Buffers some checkpoints carry that llama.cpp recomputes itself.
_IGNORED = re.compile(r".*\.rotary_emb\.inv_freq$")


@dataclass(frozen=True)
class LlamaHParams:
    """The architecture figures llama.cpp needs, read from ``config.json``."""

    vocab_size: int
    hidden_size: int
    intermediate_size: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    context_length: int
    rms_norm_eps: float
    rope_theta: float
    rope_scaling_factor: float | None
    tie_word_embeddings: bool

    @classmethod
    def from_config(cls, path: Path) -> LlamaHParams:
        try:
            config: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise UmiError(f"{path}: cannot read the model config ({exc})") from None
        model_type = config.get("model_type")
        if model_type != "llama":
            raise UmiError(
                f"{path}: model_type is {model_type!r}; only LLaMA-architecture checkpoints "
                "can be converted"
            )
        try:
            hidden = int(config["hidden_size"])
            n_heads = int(config["num_attention_heads"])
            hparams = cls(
                vocab_size=int(config["vocab_size"]),
                hidden_size=hidden,
                intermediate_size=int(config["intermediate_size"]),
                n_layers=int(config["num_hidden_layers"]),
                n_heads=n_heads,
                n_kv_heads=int(config.get("num_key_value_heads") or n_heads),
                head_dim=int(config.get("head_dim") or hidden // n_heads),
                context_length=int(config.get("max_position_embeddings", 4096)),
                rms_norm_eps=float(config.get("rms_norm_eps", 1e-6)),
                rope_theta=float(config.get("rope_theta", 10000.0)),
                rope_scaling_factor=_rope_scaling(path, config.get("rope_scaling")),
                tie_word_embeddings=bool(config.get("tie_word_embeddings", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UmiError(f"{path}: missing or invalid field {exc}") from None
        if hparams.n_heads % hparams.n_kv_heads:
            raise UmiError(f"{path}: num_attention_heads is not a multiple of num_key_value_heads")
        return hparams


def _rope_scaling(path: Path, scaling: Any) -> float | None:
    if not scaling:
        return None
    kind = scaling.get("rope_type") or scaling.get("type")
    if kind == "default":
        return None
    if kind != "linear":
        raise UmiError(f"{path}: rope_scaling type {kind!r} is not supported (only 'linear')")
    return float(scaling["factor"])


def gguf_tensor_name(hf_name: str) -> str | None:
    """The llama.cpp name of a HF LLaMA tensor; None for buffers that are dropped."""
    if hf_name in _GLOBAL_TENSORS:
        return _GLOBAL_TENSORS[hf_name]
    if _IGNORED.match(hf_name):
        return None
    match = _LAYER_NAME.fullmatch(hf_name)
    if match and match.group(2) in _LAYER_TENSORS:
        return f"blk.{match.group(1)}.{_LAYER_TENSORS[match.group(2)]}"
    raise UmiError(
        f"unexpected tensor {hf_name!r} in the checkpoint; "
        "only plain LLaMA weights can be converted"
    )


def permute_qk(weights: np.ndarray, n_heads: int) -> np.ndarray:
    """Reorder the rows of a q or k projection from HF's rotate-half RoPE layout to the
    interleaved pairs llama.cpp rotates (what convert_hf_to_gguf.py's ``permute`` does)."""
    rows = weights.shape[0]
    return (
        weights.reshape(n_heads, 2, rows // n_heads // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def qk_heads(gguf_name: str, hparams: LlamaHParams) -> int | None:
    """How many heads to permute over for this tensor, or None when it is not q/k."""
    if gguf_name.endswith(".attn_q.weight"):
        return hparams.n_heads
    if gguf_name.endswith(".attn_k.weight"):
        return hparams.n_kv_heads
    return None


def expected_shapes(hparams: LlamaHParams) -> dict[str, tuple[int, ...]]:
    """The numpy shape (rows, cols) each llama.cpp tensor must have."""
    h, f = hparams.hidden_size, hparams.intermediate_size
    q_rows, kv_rows = hparams.n_heads * hparams.head_dim, hparams.n_kv_heads * hparams.head_dim
    shapes: dict[str, tuple[int, ...]] = {
        "token_embd.weight": (hparams.vocab_size, h),
        "output_norm.weight": (h,),
    }
    if not hparams.tie_word_embeddings:
        shapes["output.weight"] = (hparams.vocab_size, h)
    for i in range(hparams.n_layers):
        shapes |= {
            f"blk.{i}.attn_norm.weight": (h,),
            f"blk.{i}.attn_q.weight": (q_rows, h),
            f"blk.{i}.attn_k.weight": (kv_rows, h),
            f"blk.{i}.attn_v.weight": (kv_rows, h),
            f"blk.{i}.attn_output.weight": (h, q_rows),
            f"blk.{i}.ffn_norm.weight": (h,),
            f"blk.{i}.ffn_gate.weight": (f, h),
            f"blk.{i}.ffn_up.weight": (f, h),
            f"blk.{i}.ffn_down.weight": (h, f),
        }
    return shapes
