"""A tiny random-weight LLaMA GGUF for fast, deterministic engine tests.

The vocabulary is byte-level GPT-2 BPE: the 256 byte tokens (in GPT-2's byte-to-unicode form)
make every byte string producible, so a grammar can force any text. Special tokens: ``<unk>`` 0,
``<s>`` 1, ``</s>`` 2 (EOS), then the bytes, one merge (``ĠĠ``, because llama.cpp requires a
non-empty merge list), ``<|im_start|>`` and ``<|im_end|>`` (control tokens).

``prefer`` biases greedy decoding deterministically, inside the weights: hidden dimension 0 holds a
large constant in every token embedding and no layer writes to it (its rows in the attention
output and FFN down projections are zero), so after the final norm it is a positive constant at
every position; the output-matrix entry of a preferred token in that dimension adds a logit boost.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

UNK_ID, BOS_ID, EOS_ID = 0, 1, 2
BYTE_BASE = 3  # token id of byte 0x00
N_EMBD, N_LAYER, N_HEAD, N_FF = 64, 2, 4, 128
SPECIAL_TOKENS = ("<unk>", "<s>", "</s>")
CONTROL_TOKENS = ("<|im_start|>", "<|im_end|>")
MERGES = ("Ġ Ġ",)


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable unicode characters."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, codes, strict=True)}


def vocabulary(extra: tuple[str, ...] = ()) -> tuple[list[str], list[int]]:
    """Token texts and llama.cpp token types, in id order.

    ``extra`` appends whole-word tokens (GPT-2 form, ``Ġ`` for a leading space) after all the
    others, so every other id stays the same. No merge reaches them: prompts never tokenize to
    them, but a model that prefers one writes the whole word in one token.
    """
    byte_map = bytes_to_unicode()
    tokens = list(SPECIAL_TOKENS) + [byte_map[b] for b in range(256)]
    tokens += [m.replace(" ", "") for m in MERGES] + list(CONTROL_TOKENS) + list(extra)
    types = [int(gguf.TokenType.UNKNOWN)] + [int(gguf.TokenType.CONTROL)] * 2
    types += [int(gguf.TokenType.NORMAL)] * (256 + len(MERGES))
    types += [int(gguf.TokenType.CONTROL)] * len(CONTROL_TOKENS)
    types += [int(gguf.TokenType.NORMAL)] * len(extra)
    return tokens, types


def word_tokens(prefer: dict[str, float]) -> tuple[str, ...]:
    """The ``prefer`` keys that are whole words (longer than one character, not special)."""
    special = set(SPECIAL_TOKENS) | set(CONTROL_TOKENS)
    return tuple(key for key in prefer if len(key) > 1 and key not in special)


def token_ids_for(key: str, tokens: list[str]) -> list[int]:
    """Ids boosted for a ``prefer`` key: a special token's id, or the byte tokens of a character."""
    if key in tokens and key not in bytes_to_unicode().values():
        return [tokens.index(key)]
    if len(key) != 1:
        raise ValueError(f"prefer keys are single characters or special tokens, got {key!r}")
    return [BYTE_BASE + b for b in key.encode("utf-8")]


def _weights(rng: np.random.Generator, n_vocab: int, prefer: dict[str, float], tokens: list[str]):
    def rand(*shape: int, std: float) -> np.ndarray:
        return (rng.standard_normal(shape) * std).astype(np.float32)

    embd = rand(n_vocab, N_EMBD, std=0.04)
    embd[:, 0] = 1.0  # the constant "bias" dimension
    output = rand(n_vocab, N_EMBD, std=0.1)
    output[:, 0] = 0.0
    for key, boost in prefer.items():
        for tid in token_ids_for(key, tokens):
            output[tid, 0] = boost / 6.4  # dim 0 is about 6.4 after the final RMS norm
    tensors = {"token_embd.weight": embd, "output_norm.weight": np.ones(N_EMBD, np.float32)}
    tensors["output.weight"] = output
    for i in range(N_LAYER):
        attn_out = rand(N_EMBD, N_EMBD, std=0.01)
        attn_out[0, :] = 0.0
        ffn_down = rand(N_EMBD, N_FF, std=0.01)
        ffn_down[0, :] = 0.0
        tensors |= {
            f"blk.{i}.attn_norm.weight": np.ones(N_EMBD, np.float32),
            f"blk.{i}.attn_q.weight": rand(N_EMBD, N_EMBD, std=0.1),
            f"blk.{i}.attn_k.weight": rand(N_EMBD, N_EMBD, std=0.1),
            f"blk.{i}.attn_v.weight": rand(N_EMBD, N_EMBD, std=0.1),
            f"blk.{i}.attn_output.weight": attn_out,
            f"blk.{i}.ffn_norm.weight": np.ones(N_EMBD, np.float32),
            f"blk.{i}.ffn_gate.weight": rand(N_FF, N_EMBD, std=0.1),
            f"blk.{i}.ffn_up.weight": rand(N_FF, N_EMBD, std=0.1),
            f"blk.{i}.ffn_down.weight": ffn_down,
        }
    return tensors


def write_tiny_gguf(
    path: Path | str,
    *,
    seed: int = 0,
    prefer: dict[str, float] | None = None,
    chat_template: str | None = CHATML_TEMPLATE,
    n_ctx: int = 4096,
    block_count: int = N_LAYER,
) -> Path:
    """Write the tiny model to ``path`` and return it.

    ``prefer`` maps single characters (or special-token texts such as ``"</s>"``) to a logit boost
    of about that many logits (negative avoids it); random logits spread under 2, so a boost of 5
    or more makes greedy decoding pick the preferred token wherever it is allowed. A longer key
    (``"Ġsearch_for_shop"``) becomes a whole-word token of its own (see :func:`vocabulary`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tokens, types = vocabulary(word_tokens(prefer or {}))
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_name("umi-tiny-test")
    writer.add_context_length(n_ctx)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(block_count)  # a different value than N_LAYER makes a damaged file
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(list(MERGES))
    writer.add_unk_token_id(UNK_ID)
    writer.add_bos_token_id(BOS_ID)
    writer.add_eos_token_id(EOS_ID)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    if chat_template is not None:
        writer.add_chat_template(chat_template)
    rng = np.random.default_rng(seed)
    for name, array in _weights(rng, len(tokens), prefer or {}, tokens).items():
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
