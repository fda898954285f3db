"""The converted GGUF computes what the HF checkpoint computes, and tokenizes like sentencepiece.

llama.cpp runs the converted file; an independent numpy forward pass of HF's LlamaForCausalLM
(rotate-half RoPE, GQA, RMSNorm, SwiGLU) runs the original weights. Agreement proves the q/k
permutation, the tensor names and the norm/epsilon/RoPE metadata, not just that the file loads.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import pytest
from tiny_llama import golden_items, reference_logits

from umi_cli.models.convert import convert_checkpoint
from umi_cli.models.convert.llama import permute_qk

PROMPT = "user: What is the weather in Paris today?</s>assistant: "


def _llama(path: Path, **kwargs):
    pytest.importorskip("llama_cpp")
    from umi_cli.engine.llama.loading import open_llama

    return open_llama(str(path), verbose=False, **kwargs)


def _llama_logits(path: Path, ids: list[int]) -> np.ndarray:
    llm = _llama(path, n_ctx=128, logits_all=True, n_threads=1)
    try:
        llm.eval(ids)
        return np.array(llm.scores[: len(ids)], dtype=np.float64)
    finally:
        llm.close()


@pytest.fixture(scope="module")
def converted(tiny_checkpoint, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("gguf")
    return {
        kind: convert_checkpoint(tiny_checkpoint, out / f"tiny-{kind}.gguf", out_type=kind)
        for kind in ("F32", "F16")
    }


def _sp_ids(processor, text: str) -> list[int]:
    """What α-UMi's tokenizer gives: segments split at literal "</s>", each encoded by
    sentencepiece, joined by EOS (2)."""
    ids: list[int] = []
    parts = text.split("</s>")
    for i, part in enumerate(parts):
        if part:
            ids += processor.encode(part)
        if i < len(parts) - 1:
            ids.append(2)
    return ids


@pytest.mark.parametrize("kind", ["F32", "F16"])
def test_logits_match_a_numpy_reference_forward_pass(converted, tiny_config, tiny_weights, kind):
    ids = [1, *range(40, 52), 2, 7, 300, 301, 302]
    got = _llama_logits(converted[kind], ids)
    reference = reference_logits(tiny_config, tiny_weights, ids)
    scale = reference.std()
    # llama.cpp keeps the KV cache in f16, hence a small non-zero error even for F32 weights.
    tolerance = 0.03 * scale
    assert np.abs(got - reference).max() < tolerance
    assert (got.argmax(axis=1) == reference.argmax(axis=1)).mean() > 0.9

    # The check is sharp: had q/k not been permuted (or permuted over the wrong head count),
    # llama.cpp would compute HF's model with inverse-permuted q/k rows, far off the mark.
    wrong = dict(tiny_weights)
    for i in range(tiny_config.layers):
        q, k = (
            f"model.layers.{i}.self_attn.q_proj.weight",
            f"model.layers.{i}.self_attn.k_proj.weight",
        )
        wrong[q] = permute_qk(wrong[q], tiny_config.heads)
        wrong[k] = permute_qk(wrong[k], tiny_config.heads)  # n_heads instead of n_kv_heads
    off = reference_logits(tiny_config, wrong, ids)
    assert np.abs(got - off).max() > 10 * tolerance


def test_gguf_metadata(converted, tiny_config):
    reader = gguf.GGUFReader(converted["F16"])

    def value(key):
        return reader.get_field(key).contents()

    assert value("general.architecture") == "llama"
    assert value("llama.block_count") == tiny_config.layers
    assert value("llama.attention.head_count") == tiny_config.heads
    assert value("llama.attention.head_count_kv") == tiny_config.kv_heads
    assert value("llama.context_length") == tiny_config.context
    assert value("llama.rope.dimension_count") == tiny_config.head_dim
    assert value("llama.attention.layer_norm_rms_epsilon") == pytest.approx(tiny_config.rms_eps)
    assert value("llama.rope.freq_base") == pytest.approx(tiny_config.rope_theta)
    assert value("tokenizer.ggml.model") == "llama"
    assert (value("tokenizer.ggml.bos_token_id"), value("tokenizer.ggml.eos_token_id")) == (1, 2)
    assert value("tokenizer.ggml.unknown_token_id") == 0
    assert len(value("tokenizer.ggml.tokens")) == tiny_config.vocab_size
    types = {t.name: t.tensor_type.name for t in reader.tensors}
    assert types["blk.0.attn_q.weight"] == "F16"
    assert types["blk.0.attn_norm.weight"] == "F32"  # 1-D tensors stay F32
    assert len(types) == 3 + 9 * tiny_config.layers


def test_tokenization_matches_sentencepiece_on_golden_prompts(converted, sp_model):
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    llm = _llama(converted["F16"], vocab_only=True)
    prompts = [PROMPT, 'naïve café — 東京 ✓ {"a": [1, 2]}\n\n  x']
    for role in ("planner", "caller", "summarizer"):
        prompts += [item["input"] for item in golden_items(role)[:3]]
    assert sum(p.count("</s>") for p in prompts) > 10
    for prompt in prompts:
        ours = llm.tokenize(prompt.encode(), add_bos=False, special=True)
        assert ours == _sp_ids(processor, prompt), prompt[:80]
    # and with special parsing off, "</s>" stays text
    assert 2 not in llm.tokenize(PROMPT.encode(), add_bos=False, special=False)


def test_values_beyond_float16_range_need_f32(tmp_path, tiny_config, tiny_weights, sp_model):
    from tiny_llama import write_checkpoint

    from umi_cli.errors import UmiError

    weights = dict(tiny_weights)
    weights["model.layers.1.mlp.up_proj.weight"] = (
        weights["model.layers.1.mlp.up_proj.weight"] * 1e6
    )
    folder = write_checkpoint(tmp_path / "hf", tiny_config, weights, sp_model, "bin")
    with pytest.raises(UmiError, match=r"up_proj\.weight has values .* beyond float16's range"):
        convert_checkpoint(folder, tmp_path / "m.gguf", out_type="F16")
    assert list(tmp_path.glob("*.gguf*")) == [] and list(tmp_path.glob(".*partial")) == []
    assert convert_checkpoint(folder, tmp_path / "m.gguf", out_type="F32").is_file()
