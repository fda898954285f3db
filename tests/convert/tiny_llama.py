"""A tiny LLaMA checkpoint in Hugging Face layout, and an independent numpy forward pass.

The tokenizer is a SentencePiece BPE model with byte fallback trained (like LLaMA's) on text
from the α-UMi golden examples; weights are random, rounded to bf16, and saved either as a
``pytorch_model.bin`` (torch.save format, written without torch) or as sharded safetensors.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch_format import bf16_truncate, save_state_dict

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
GOLDEN = SHARED / "data" / "alpha-umi" / "golden"


def golden_items(name: str) -> list[dict]:
    return json.loads((GOLDEN / f"train_{name}.json").read_text(encoding="utf-8"))


def train_sentencepiece(vocab_size: int = 512) -> bytes:
    """A LLaMA-style SentencePiece model (BPE, byte fallback, <unk>=0 <s>=1 </s>=2)."""
    import sentencepiece as spm

    lines: list[str] = []
    for item in golden_items("summarizer"):
        lines.extend(line for line in item["input"].split("\n") if line.strip())
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="bpe",
        byte_fallback=True,
        character_coverage=0.9995,
        normalization_rule_name="identity",
        add_dummy_prefix=True,
        remove_extra_whitespaces=False,
        split_digits=True,
        allow_whitespace_only_pieces=True,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


@dataclass(frozen=True)
class TinyConfig:
    vocab_size: int
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    kv_heads: int = 2
    intermediate: int = 128
    rms_eps: float = 1e-5
    rope_theta: float = 10000.0
    context: int = 256

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    def to_hf(self) -> dict:
        return {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden,
            "intermediate_size": self.intermediate,
            "num_hidden_layers": self.layers,
            "num_attention_heads": self.heads,
            "num_key_value_heads": self.kv_heads,
            "max_position_embeddings": self.context,
            "rms_norm_eps": self.rms_eps,
            "rope_theta": self.rope_theta,
            "hidden_act": "silu",
            "bos_token_id": 1,
            "eos_token_id": 2,
            "pad_token_id": 0,
            "tie_word_embeddings": False,
            "torch_dtype": "bfloat16",
        }


def bf16_exact(values: np.ndarray) -> np.ndarray:
    """The float32 values a bf16 checkpoint stores (truncation, as the writers do)."""
    return (bf16_truncate(values).astype(np.uint32) << 16).view(np.float32)


def random_weights(cfg: TinyConfig, seed: int = 0) -> dict[str, np.ndarray]:
    """HF-named LLaMA weights, bf16-exact float32; scaled so attention and norms matter."""
    rng = np.random.default_rng(seed)
    h, hd = cfg.hidden, cfg.head_dim

    def mat(rows: int, cols: int, scale: float) -> np.ndarray:
        return bf16_exact(rng.standard_normal((rows, cols), dtype=np.float32) * scale)

    def norm(n: int) -> np.ndarray:
        return bf16_exact(1.0 + 0.3 * rng.standard_normal(n, dtype=np.float32))

    weights = {"model.embed_tokens.weight": mat(cfg.vocab_size, h, 1.0)}
    for i in range(cfg.layers):
        p = f"model.layers.{i}."
        weights |= {
            p + "input_layernorm.weight": norm(h),
            p + "self_attn.q_proj.weight": mat(cfg.heads * hd, h, 0.35),
            p + "self_attn.k_proj.weight": mat(cfg.kv_heads * hd, h, 0.35),
            p + "self_attn.v_proj.weight": mat(cfg.kv_heads * hd, h, 0.2),
            p + "self_attn.o_proj.weight": mat(h, cfg.heads * hd, 0.2),
            p + "post_attention_layernorm.weight": norm(h),
            p + "mlp.gate_proj.weight": mat(cfg.intermediate, h, 0.2),
            p + "mlp.up_proj.weight": mat(cfg.intermediate, h, 0.2),
            p + "mlp.down_proj.weight": mat(h, cfg.intermediate, 0.2),
        }
    weights["model.norm.weight"] = norm(h)
    weights["lm_head.weight"] = mat(cfg.vocab_size, h, 0.3)
    return weights


def save_safetensors(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """bf16 safetensors (JSON header + raw little-endian bytes)."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, array in arrays.items():
        raw = bf16_truncate(array).tobytes()
        header[name] = {
            "dtype": "BF16",
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with path.open("wb") as out:
        out.write(struct.pack("<Q", len(text)) + text)
        for blob in blobs:
            out.write(blob)


def write_checkpoint(
    folder: Path, cfg: TinyConfig, weights: dict[str, np.ndarray], sp_model: bytes, layout: str
) -> Path:
    """Write a HF model folder: ``layout`` is "bin" or "sharded-safetensors"."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(cfg.to_hf(), indent=2))
    (folder / "tokenizer.model").write_bytes(sp_model)
    (folder / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "add_bos_token": True,
                "add_eos_token": False,
                "bos_token": {"__type": "AddedToken", "content": "<s>"},
                "eos_token": "</s>",
                "unk_token": "<unk>",
                "pad_token": None,
                "tokenizer_class": "LlamaTokenizer",
            }
        )
    )
    (folder / "special_tokens_map.json").write_text(
        json.dumps({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"})
    )
    if layout == "bin":
        save_state_dict(folder / "pytorch_model.bin", weights)
        return folder
    names = list(weights)
    shards = [names[: len(names) // 2], names[len(names) // 2 :]]
    weight_map = {}
    for i, shard in enumerate(shards, 1):
        file = f"model-{i:05d}-of-{len(shards):05d}.safetensors"
        save_safetensors(folder / file, {n: weights[n] for n in shard})
        weight_map |= dict.fromkeys(shard, file)
    total = sum(w.size * 2 for w in weights.values())
    (folder / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map})
    )
    return folder


def repo_files(folder: Path) -> dict[str, bytes]:
    """The folder's files as a hub repository for ``support.hub_server.HubServer``."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# -- independent reference: the HF LlamaForCausalLM forward pass in numpy (float64) -----------


def _rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def _rotate_half(x: np.ndarray) -> np.ndarray:
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def _rope(x: np.ndarray, positions: np.ndarray, theta: float) -> np.ndarray:
    """HF ``apply_rotary_pos_emb``: x is (heads, T, head_dim)."""
    dim = x.shape[-1]
    inv_freq = 1.0 / theta ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    freqs = np.outer(positions, inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    return x * np.cos(emb) + _rotate_half(x) * np.sin(emb)


def reference_logits(cfg: TinyConfig, weights: dict[str, np.ndarray], ids: list[int]) -> np.ndarray:
    """Logits (T, vocab) of HF LLaMA for ``ids``: RMSNorm, rotate-half RoPE, GQA, SwiGLU."""
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    T, hd = len(ids), cfg.head_dim
    x = w["model.embed_tokens.weight"][ids]
    positions = np.arange(T, dtype=np.float64)
    mask = np.triu(np.full((T, T), -np.inf), k=1)
    group = cfg.heads // cfg.kv_heads
    for i in range(cfg.layers):
        p = f"model.layers.{i}."
        hn = _rms_norm(x, w[p + "input_layernorm.weight"], cfg.rms_eps)
        q = (hn @ w[p + "self_attn.q_proj.weight"].T).reshape(T, cfg.heads, hd).transpose(1, 0, 2)
        k = (
            (hn @ w[p + "self_attn.k_proj.weight"].T)
            .reshape(T, cfg.kv_heads, hd)
            .transpose(1, 0, 2)
        )
        v = (
            (hn @ w[p + "self_attn.v_proj.weight"].T)
            .reshape(T, cfg.kv_heads, hd)
            .transpose(1, 0, 2)
        )
        q, k = _rope(q, positions, cfg.rope_theta), _rope(k, positions, cfg.rope_theta)
        k, v = np.repeat(k, group, axis=0), np.repeat(v, group, axis=0)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        attn = (scores @ v).transpose(1, 0, 2).reshape(T, cfg.heads * hd)
        x = x + attn @ w[p + "self_attn.o_proj.weight"].T
        hn = _rms_norm(x, w[p + "post_attention_layernorm.weight"], cfg.rms_eps)
        gate = hn @ w[p + "mlp.gate_proj.weight"].T
        up = hn @ w[p + "mlp.up_proj.weight"].T
        x = x + (gate / (1.0 + np.exp(-gate)) * up) @ w[p + "mlp.down_proj.weight"].T
    x = _rms_norm(x, w["model.norm.weight"], cfg.rms_eps)
    return x @ w["lm_head.weight"].T
